"""The client_credentials grant (RFC 6749 §4.4): a confidential client acting for itself.

Rules: only confidential clients (§4.4: "MUST only be used by confidential clients"), those
with no ``none`` among their authentication methods, by secret or private_key_jwt; the
scope is limited to the client's registered scopes (a request for anything else is
``invalid_scope``), and defaults to all of them when the request names none (§3.3); no refresh
token (§4.4.3: "A refresh token SHOULD NOT be included") and no id_token (there is no user).
The granted scope is always returned, since it may differ from the request (§5.1). A
``resource`` (RFC 8707) must be one the client may name; the token's audience is then the
resources named.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from authgate.core import resources
from authgate.core.ports import Services
from authgate.core.tokens.dpop import Proof
from authgate.core.tokens.mint import GrantContext, mint, response
from authgate.core.types import Client
from authgate.crypto.handles import new_grant_id
from authgate.errors import InvalidScope, UnauthorizedClient

GRANT_TYPE = "client_credentials"


def granted_scope(form: Mapping[str, str], client: Client) -> tuple[str, ...]:
    """The scope to grant: the requested subset of the client's scopes, or all of them."""
    registered = client.metadata.scope
    if "scope" not in form:
        return registered
    asked = tuple(dict.fromkeys(s for s in form["scope"].split(" ") if s))
    if not asked:
        raise InvalidScope("The scope parameter is empty")
    unknown = sorted(set(asked) - set(registered))
    if unknown:
        raise InvalidScope(f"The client is not registered for scope(s): {' '.join(unknown)}")
    return asked


async def exchange(
    form: Mapping[str, str],
    client: Client,
    svc: Services,
    *,
    dpop: Proof | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Issue an access token to an authenticated confidential client, bound to ``dpop``'s
    key when the request carried a proof (RFC 9449 §5). This grant records no security
    event (``source`` is unused)."""
    if not client.metadata.is_confidential:
        raise UnauthorizedClient("The client_credentials grant is only for confidential clients")
    scope = granted_scope(form, client)
    audience = resources.at_authorization(form, client, svc.config.current)
    now = svc.clock.now()
    ctx = GrantContext(
        grant_id=new_grant_id(),
        client=client,
        user_id="",
        scope=scope,
        auth_time=None,
        sid=None,
        acr=None,
        jkt=dpop.jkt if dpop else None,
        audience=audience,
    )
    minted = mint(ctx, svc, now, refresh=False)
    records = [dataclasses.replace(r, user_id=None) for r in minted.records]
    await svc.grants.add_tokens(records)
    return response(minted, svc, id_token=None, scope=scope)
