"""``id_token_hint``: an ID Token this server issued, sent back by a client as a hint about
who the user is (OIDC Core §3.1.2.1 at the authorization endpoint, OIDC RP-Initiated Logout
1.0 §2 at logout).

Its signature must be one of the server's keys and its ``iss`` the issuer; an expired token
is accepted, as both specifications expect clients to send old ones. A hint only narrows
what the server does (it asks for a login, or names the client to return to): it never
signs anyone in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.core.ports import Services
from authgate.errors import InvalidRequest


def read(token: str, svc: Services) -> dict[str, Any]:
    """The claims of a hint signed by this server's keys and issued by it.

    Raises:
        InvalidRequest: not a JWS signed by one of the server's keys, or another issuer.
    """
    try:
        claims = svc.keys.verify(token)
    except ValueError:
        raise InvalidRequest("id_token_hint is not an ID Token issued by this server") from None
    if claims.get("iss") != svc.issuer:
        raise InvalidRequest("id_token_hint was not issued by this server")
    return claims


def audiences(claims: Mapping[str, Any]) -> list[str]:
    """The hint's ``aud``, as a list of strings."""
    aud = claims.get("aud")
    return [a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str)]


def hinted_client_id(claims: Mapping[str, Any]) -> str | None:
    """The client the hint was issued to: ``azp``, else its only audience, else None."""
    azp = claims.get("azp")
    if isinstance(azp, str):
        return azp
    named = audiences(claims)
    return named[0] if len(named) == 1 else None


def subject_for(token: str, client_id: str, svc: Services) -> str:
    """The ``sub`` of a hint sent to the authorization endpoint by ``client_id``, which must be
    one of its audiences (the hint was issued to that client).

    Raises:
        InvalidRequest: an unusable hint, another client's, or one without ``sub``.
    """
    claims = read(token, svc)
    if client_id not in audiences(claims):
        raise InvalidRequest("id_token_hint was not issued to this client")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidRequest("id_token_hint has no sub")
    return sub
