"""Token revocation (RFC 7009) at ``/jans-auth/restv1/revoke``.

The client authenticates as at the token endpoint (RFC 7009 §2.1); a public client names
itself with ``client_id`` and may revoke only its own tokens. Revoking a refresh token
revokes its whole grant, access tokens included (§2.1: "SHOULD also invalidate all access
tokens based on the same authorization grant"); revoking an access token revokes only it.
An unknown, expired or already revoked token is not an error (§2.2). A token issued to
another client is refused with ``invalid_grant`` and left alone (§2.1: "verifies whether the
token was issued to the client making the revocation request ... the request is refused").
``token_type_hint`` is optional and ignored: the token's kind is known from its record.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from authgate.core.clients import authentication as client_auth
from authgate.core.endpoints import REVOKE
from authgate.core.ports import Services
from authgate.core.protection.attempts import UNKNOWN_SOURCE
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidGrant, InvalidRequest

logger = logging.getLogger(__name__)


async def revoke(
    form: Mapping[str, str],
    authorization: str | None,
    svc: Services,
    *,
    source: str = UNKNOWN_SOURCE,
) -> None:
    """Handle a revocation request; returning normally means HTTP 200 (RFC 7009 §2.2).

    Raises:
        InvalidClient: client authentication failed.
        InvalidRequest: no ``token`` parameter.
        InvalidGrant: the token belongs to another client.
    """
    client = await client_auth.authenticate(
        form, authorization, svc, endpoint=REVOKE, source=source
    )
    value = form.get("token")
    if not value:
        raise InvalidRequest("The request is missing the token parameter")
    record = await svc.grants.get_token(handle_hash(value))
    if record is None:
        return
    if record.client_id != client.client_id:
        raise InvalidGrant("The token was not issued to this client")
    now = svc.clock.now()
    if record.kind == "refresh_token":
        count = await svc.grants.revoke_grant(record.grant_id, now)
        logger.info("client %s revoked a refresh token: %d token(s)", client.client_id, count)
    else:
        await svc.grants.revoke_token(record.token_hash, now)
        logger.info("client %s revoked an access token", client.client_id)
