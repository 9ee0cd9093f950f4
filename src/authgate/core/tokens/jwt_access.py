"""JWT access tokens (RFC 9068) for clients registered with ``access_token_as_jwt``.

Claims are RFC 9068 §2.2's (``iss exp aud sub client_id iat jti``, plus ``scope``,
``auth_time``, ``acr``, ``amr``) and Janssen's extras (``nbf``, ``token_type``), with
``cnf.jkt`` when the token is DPoP-bound (RFC 9449 §6.1). The header has ``typ: at+jwt``
(RFC 9068 §2.1) and the client's ``access_token_signing_alg``. Opaque handles stay the
default: a JWT access token cannot be revoked from the resource server's point of view
until it expires, and it discloses its claims to whoever holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from authgate.core.federation.model import split_amr
from authgate.crypto.handles import new_handle

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type, not a secret


def jwt_access_token_claims(
    *,
    issuer: str,
    client_id: str,
    sub: str,
    scope: Sequence[str],
    now: int,
    lifetime: int,
    auth_time: int | None = None,
    acr: str | None = None,
    amr: Sequence[str] = (),
    jkt: str | None = None,
    additional_audience: Sequence[str] = (),
    audience: Sequence[str] = (),
    act: Mapping[str, Any] | None = None,
    authorization_details: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The claims of a JWT access token (RFC 9068 §2.2), ready to sign.

    ``audience``, when given, replaces the default audience (the client and its
    ``additional_audience``): the resources of RFC 8707, the audiences of an RFC 8693
    exchange. ``act`` is the actor chain of a delegated token (RFC 8693 §4.1).
    ``authorization_details`` are the grant's (RFC 9396 §9.1).
    """
    aud: str | list[str]
    if audience:
        aud = list(audience) if len(audience) > 1 else audience[0]
    else:
        aud = [client_id, *additional_audience] if additional_audience else client_id
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": aud,
        "exp": now + lifetime,
        "iat": now,
        "nbf": now,
        "jti": new_handle(),
        "client_id": client_id,
        "scope": " ".join(scope),
        "token_type": "DPoP" if jkt else "Bearer",
    }
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if acr is not None:
        claims["acr"] = acr
    values, idp = split_amr(list(amr))
    if values:
        claims["amr"] = values
    if idp is not None:
        claims["idp"] = idp
    if jkt is not None:
        claims["cnf"] = {"jkt": jkt}
    if act is not None:
        claims["act"] = dict(act)
    if authorization_details is not None:
        claims["authorization_details"] = [dict(d) for d in authorization_details]
    return claims
