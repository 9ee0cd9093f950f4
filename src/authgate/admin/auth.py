"""Bearer token protection of the Config API (RFC 6750) with per-operation scopes.

Tokens are authgate's own opaque access tokens. The Config API accepts tokens a client
obtained for itself with the ``client_credentials`` grant; a token carrying a user is refused
(403) because authgate has no notion of an administrator user yet, and any user of a client
holding admin scopes would otherwise become an administrator.
"""

from __future__ import annotations

from starlette.requests import Request

from authgate.admin.context import Actor
from authgate.core.userinfo import active_access_token
from authgate.errors import InsufficientScope, InvalidRequest, InvalidToken
from authgate.web.context import services

REALM = "jans-config-api"


def _challenge(**params: str) -> dict[str, str]:
    values = ", ".join(f'{k}="{v}"' for k, v in {"realm": REALM, **params}.items())
    return {"WWW-Authenticate": f"Bearer {values}"}


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        # RFC 6750 §3.1: a request that lacks usable authentication gets no error code
        return None
    if " " in value.strip():
        raise InvalidRequest(
            "The Authorization header is malformed", headers=_challenge(error="invalid_request")
        )
    return value.strip()


async def authenticate(request: Request, scope: str) -> Actor:
    """The client behind the request's bearer token, if that token carries ``scope``.

    Raises:
        InvalidToken: no token (401, bare challenge), or an unknown, expired or revoked
            token, or one whose client is gone or disabled (401 ``invalid_token``).
        InsufficientScope: the token lacks ``scope`` or was issued to a user (403).
    """
    value = _bearer(request)
    if value is None:
        raise InvalidToken("The Config API needs a bearer access token", headers=_challenge())
    svc = services(request)
    record = await active_access_token(value, svc)
    client = await svc.clients.get(record.client_id)
    if client is None or client.disabled or client.expired(svc.clock.now()):
        raise InvalidToken("The access token's client no longer exists or is disabled")
    if record.user_id is not None:
        raise InsufficientScope(
            "The Config API accepts only client_credentials tokens, not user tokens",
            headers=_challenge(error="insufficient_scope", scope=scope),
        )
    if scope not in record.scope:
        raise InsufficientScope(
            f"The access token lacks the scope {scope}",
            headers=_challenge(
                error="insufficient_scope",
                error_description=f"The access token lacks the scope {scope}",
                scope=scope,
            ),
        )
    return Actor(f"client:{client.client_id}")
