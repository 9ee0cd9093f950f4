"""ID Token claims (OIDC Core §2, §3.1.3.6, §3.2.2.10, §3.3.2.11) in Janssen's shape
(docs/janssen-compatibility.md §7)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from authgate.core.federation.model import split_amr


def half_hash(value: str) -> str:
    """Left half of SHA-256 of the value's octets, base64url without padding.

    The rule of ``at_hash`` (OIDC Core §3.1.3.6), ``c_hash`` (§3.3.2.11) and ``s_hash``
    (FAPI 1.0 Advanced §5.1) for RS256 id_tokens. Tokens and codes are ASCII; a client's
    ``state`` may not be, and is hashed as UTF-8 (the same octets for ASCII).
    """
    digest = hashlib.sha256(value.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def id_token_claims(
    *,
    issuer: str,
    client_id: str,
    sub: str,
    now: int,
    lifetime: int,
    auth_time: int | None,
    sid: str | None,
    acr: str | None,
    amr: Sequence[str],
    grant: str,
    version: str,
    nonce: str | None = None,
    code: str | None = None,
    access_token: str | None = None,
    state: str | None = None,
    additional_audience: Sequence[str] = (),
    user_claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The claims of an id_token, ready to sign.

    Args:
        code: The code issued with this id_token, hashed into ``c_hash``.
        access_token: The access token issued with it, hashed into ``at_hash``.
        state: The request's ``state`` for id_tokens from the authorization endpoint,
            hashed into ``s_hash``.
        user_claims: Claims about the user to include (OIDC Core §5.4: when no access
            token is issued, scope claims go in the id_token). They never replace a
            protocol claim.
    """
    aud: str | list[str] = [client_id, *additional_audience] if additional_audience else client_id
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": aud,
        "exp": now + lifetime,
        "iat": now,
    }
    if additional_audience:
        claims["azp"] = client_id
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if nonce is not None:
        claims["nonce"] = nonce
    if sid is not None:
        claims["sid"] = sid
    if acr is not None:
        claims["acr"] = acr
    claims["amr"], idp = split_amr(list(amr))
    if idp is not None:
        claims["idp"] = idp  # the upstream provider of a federated sign-in (docs/federation.md)
    if access_token is not None:
        claims["at_hash"] = half_hash(access_token)
    if code is not None:
        claims["c_hash"] = half_hash(code)
    if state is not None:
        claims["s_hash"] = half_hash(state)
    claims["grant"] = grant
    claims["jansOpenIDConnectVersion"] = version
    for name, value in (user_claims or {}).items():
        claims.setdefault(name, value)
    claims["sub"] = sub
    return claims
