"""Token introspection (RFC 7662) at ``/jans-auth/restv1/introspection``.

Only authenticated clients may introspect: a public client (``none``) cannot (§2.1 requires
the protected resource to authenticate). Access rule: a client sees a token issued to it,
or a token whose audience includes it (its client_id is in the ``additional_audience`` of the
client the token was issued to, or among the audiences of a token exchange, RFC 8693), which
is how a resource server registered as a client validates tokens meant for it. ``aud`` is the
token's resources (RFC 8707) or exchange audiences when it has them; ``act`` the actor chain
of a delegated token (RFC 8693 §4.1). For any other token the answer is ``{"active": false}``,
exactly as for an unknown one, so introspection reveals nothing about foreign tokens (§4).

A token is active when it exists, is unexpired and unrevoked, is not a refresh token that has
been rotated, and its client and user still exist and are enabled. A DPoP-bound token is
reported with ``token_type: DPoP`` and its key thumbprint in ``cnf.jkt`` (RFC 9449 §6.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.core.authorize import authorization_details
from authgate.core.clients import authentication as client_auth
from authgate.core.endpoints import INTROSPECTION
from authgate.core.ports import Services
from authgate.core.protection.attempts import UNKNOWN_SOURCE
from authgate.core.tokens.binding import binding_members
from authgate.core.tokens.subject import subject
from authgate.core.types import PUBLIC_AUTH_METHOD, Client, TokenRecord
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidClient, InvalidRequest

INACTIVE: dict[str, Any] = {"active": False}


async def introspect(
    form: Mapping[str, str],
    authorization: str | None,
    svc: Services,
    *,
    source: str = UNKNOWN_SOURCE,
) -> dict[str, Any]:
    """The introspection response (RFC 7662 §2.2).

    Raises:
        InvalidClient: authentication failed, or a public client tried to introspect.
        InvalidRequest: no ``token`` parameter.
    """
    body, _caller = await introspect_for(form, authorization, svc, source=source)
    return body


async def introspect_for(
    form: Mapping[str, str],
    authorization: str | None,
    svc: Services,
    *,
    source: str = UNKNOWN_SOURCE,
) -> tuple[dict[str, Any], Client]:
    """The introspection response (RFC 7662 §2.2) and the client that asked for it (the
    audience of a JWT response, :mod:`.introspection_jwt`).

    Raises:
        InvalidClient: authentication failed, or a public client tried to introspect.
        InvalidRequest: no ``token`` parameter.
    """
    caller = await client_auth.authenticated(
        form, authorization, svc, endpoint=INTROSPECTION, source=source
    )
    if caller.method == PUBLIC_AUTH_METHOD:
        raise InvalidClient(
            "Client authentication failed: public clients cannot use the introspection endpoint"
        )
    value = form.get("token")
    if not value:
        raise InvalidRequest("The request is missing the token parameter")
    record = await svc.grants.get_token(handle_hash(value))
    if record is None:
        return dict(INACTIVE), caller.client
    owner = await svc.clients.get(record.client_id)
    if owner is None or not _visible(caller.client, owner, record):
        return dict(INACTIVE), caller.client
    return await _describe(record, owner, svc), caller.client


def _visible(caller: Client, owner: Client, record: TokenRecord) -> bool:
    return (
        caller.client_id == owner.client_id
        or caller.client_id in owner.metadata.additional_audience
        or (record.kind == "access_token" and caller.client_id in record.audience)
    )


def audience(record: TokenRecord, owner: Client) -> str | list[str]:
    """The token's audience: its resources or exchange audiences when it has them
    (RFC 8707, RFC 8693), else its client and the client's ``additional_audience``."""
    if record.kind == "access_token" and record.audience:
        return list(record.audience) if len(record.audience) > 1 else record.audience[0]
    extra = owner.metadata.additional_audience
    return [owner.client_id, *extra] if extra else owner.client_id


async def _describe(record: TokenRecord, owner: Client, svc: Services) -> dict[str, Any]:
    now = svc.clock.now()
    if (
        record.revoked_at is not None
        or record.used_at is not None
        or now >= record.expires_at
        or owner.disabled
        or owner.expired(now)
    ):
        return INACTIVE
    body: dict[str, Any] = {
        "active": True,
        "scope": " ".join(record.scope),
        "client_id": record.client_id,
    }
    if record.user_id:
        user = await svc.users.get(record.user_id)
        if user is None or not user.enabled:
            return INACTIVE
        body["username"] = user.username
        body["sub"] = subject(user.user_id, owner, svc.config.current)
    if record.kind == "access_token":
        body |= binding_members(record)  # token_type Bearer or DPoP with cnf.jkt
    elif record.jkt is not None:
        body["cnf"] = {"jkt": record.jkt}  # a DPoP-bound refresh token (RFC 9449 §5)
    body |= {
        "exp": int(record.expires_at),
        "iat": int(record.issued_at),
        "nbf": int(record.issued_at),
        "aud": audience(record, owner),
        "iss": svc.issuer,
    }
    if record.act is not None:
        body["act"] = dict(record.act)
    if record.auth_time is not None:
        body["auth_time"] = record.auth_time
    if record.acr is not None:
        body["acr"] = record.acr
    if record.authorization_details is not None:  # RFC 9396 §9.2
        body["authorization_details"] = authorization_details.loaded(record.authorization_details)
    return body
