"""Encrypting to a client's public key: JWE in the compact serialization (RFC 7516 §7.1).

Only key management algorithms that encrypt to a client's published key are offered (the
configuration lists them: :mod:`authgate.appconfig_encryption`):
RSAES-OAEP (with SHA-1 or SHA-256) and ECDH-ES, directly or with AES key wrap (RFC 7518
§4.3, §4.6). RSAES-PKCS1-v1_5 is left out for its padding-oracle history, and the
symmetric algorithms would need the client's secret in the clear, which authgate does not
keep (it stores a hash).
"""

from __future__ import annotations

from collections.abc import Sequence

from joserfc import jwe
from joserfc.jwk import ECKey, Key, RSAKey

#: The content encryption of a client that registered an algorithm and no ``enc`` (OIDC
#: Registration §2).
DEFAULT_ENC = "A128CBC-HS256"


def fits(key: Key, alg: str) -> bool:
    """Whether ``key`` can take a content key with ``alg``: an RSA key for RSA-OAEP, an EC
    key for ECDH-ES, and no other ``alg`` named on the key itself (RFC 7517 §4.4)."""
    named = key.get("alg")
    if named is not None and named != alg:
        return False
    if alg.startswith("RSA-OAEP"):
        return isinstance(key, RSAKey)
    return alg.startswith("ECDH-ES") and isinstance(key, ECKey)


def pick(keys: Sequence[Key], alg: str) -> Key | None:
    """The first of ``keys`` that fits ``alg``, or None."""
    return next((k for k in keys if fits(k, alg)), None)


def encrypt(payload: bytes, key: Key, alg: str, enc: str, *, cty: str | None = None) -> str:
    """``payload`` encrypted to ``key``; the header names the key's ``kid`` when it has one,
    and ``cty`` (``JWT`` for a signed JWT inside, RFC 7519 §5.2)."""
    header: dict[str, str] = {"alg": alg, "enc": enc}
    if key.kid:
        header["kid"] = key.kid
    if cty is not None:
        header["cty"] = cty
    return jwe.encrypt_compact(header, payload, key, algorithms=[alg, enc])
