"""Token protection of the Config API (RFC 6750; RFC 9449 §7 for DPoP-bound tokens) with
per-operation scopes.

Tokens are authgate's own access tokens, checked like at the userinfo endpoint: looked up,
then presented the way their binding requires (``Bearer``, or ``DPoP`` with a proof from the
bound key). The Config API accepts tokens a client obtained for itself with the
``client_credentials`` grant; a token carrying a user is refused (403) because authgate has no
notion of an administrator user yet, and any user of a client holding admin scopes would
otherwise become an administrator.
"""

from __future__ import annotations

from starlette.requests import Request

from authgate.admin.context import Actor
from authgate.core.tokens.binding import parse_authorization, verify_binding
from authgate.core.tokens.userinfo import active_access_token
from authgate.errors import InsufficientScope, InvalidToken
from authgate.web.context import authorization, check_target, dpop_header, services
from authgate.web.source import source

REALM = "jans-config-api"


def _challenge(**params: str) -> dict[str, str]:
    values = ", ".join(f'{k}="{v}"' for k, v in {"realm": REALM, **params}.items())
    return {"WWW-Authenticate": f"Bearer {values}"}


async def authenticate(request: Request, scope: str) -> Actor:
    """The client behind the request's access token, if that token carries ``scope``.

    Raises:
        InvalidRequest: a control character in the path, the query or a parsed header.
        InvalidToken: no token (401, bare challenge, RFC 6750 §3.1), or an unknown, expired or
            revoked token, one presented against its binding, or one whose client is gone or
            disabled (401 ``invalid_token``).
        InvalidDPoPProof: a DPoP-bound token with a bad proof.
        InsufficientScope: the token lacks ``scope`` or was issued to a user (403).
    """
    check_target(request)
    presented = parse_authorization(authorization(request))
    if presented is None:
        raise InvalidToken("The Config API needs a bearer access token", headers=_challenge())
    scheme, value = presented
    svc = services(request)
    record = await active_access_token(value, svc)
    await verify_binding(
        record,
        scheme=scheme,
        access_token=value,
        proof=dpop_header(request),
        htm=request.method,
        htu=svc.issuer + request.url.path,
        svc=svc,
    )
    client = await svc.clients.get(record.client_id)
    if client is None or client.disabled or client.expired(svc.clock.now()):
        raise InvalidToken("The access token's client no longer exists or is disabled")
    if record.user_id is not None:
        raise InsufficientScope(
            "The Config API accepts only client_credentials tokens, not user tokens",
            headers=_challenge(error="insufficient_scope", scope=scope),
        )
    if scope not in record.scope:
        description = f"The access token lacks the scope {scope}"
        raise InsufficientScope(
            description,
            headers=_challenge(
                error="insufficient_scope", error_description=description, scope=scope
            ),
        )
    return Actor(f"client:{client.client_id}", source=source(request))
