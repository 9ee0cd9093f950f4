"""Clients' public keys (RFC 7517 JWK Sets) and JWS signatures made with them (RFC 7515).

A client registers its keys inline (``jwks``) or by reference (``jwks_uri``, RFC 7591 §2):
private_key_jwt assertions (RFC 7523) and request objects are verified against its signing
keys, and the responses it asked to have encrypted are encrypted to its encryption keys
(:mod:`authgate.crypto.client_encryption`). Only public RSA and EC keys are accepted: a JWK
Set carrying private or symmetric key material is refused, since publishing it would leak
the key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, Key, RSAKey

#: JWK members that only private keys have (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class UnusableKeys(ValueError):
    """A JWK Set or key is unusable; the message says why."""


#: The shortest RSA modulus accepted, in bits (RFC 7518 §3.3 for signatures, §4.2 and §4.3
#: for RSA-OAEP); shorter keys would fail at the first signature check or encryption.
MIN_RSA_BITS = 2048
#: What a key is for (RFC 7517 §4.2); a key without ``use`` serves both.
KEY_USES = {"sig": "signing", "enc": "encryption"}


def import_public_jwks(data: Any, *, use: str = "sig") -> list[Key]:
    """The keys of a client's JWK Set for ``use`` (``sig`` or ``enc``).

    Keys of a type this server does not know are skipped (RFC 7517 §5), and so are keys
    whose ``use`` is the other one.

    Raises:
        UnusableKeys: not a JWK Set, private or symmetric key material, or no usable key.
    """
    return _import(data, (use,))


def check_jwks(data: Any) -> None:
    """A JWK Set a client may register: public keys only, at least one usable for
    signing or for encryption.

    Raises:
        UnusableKeys: as :func:`import_public_jwks`.
    """
    _import(data, tuple(KEY_USES))


def _import(data: Any, uses: tuple[str, ...]) -> list[Key]:
    if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
        raise UnusableKeys("jwks must be a JWK Set: an object with a keys array (RFC 7517 §5)")
    keys: list[Key] = []
    for item in data["keys"]:
        if not isinstance(item, Mapping):
            raise UnusableKeys("every member of keys must be a JWK object")
        if item.get("kty") == "oct" or PRIVATE_MEMBERS & set(item):
            raise UnusableKeys("jwks must hold public keys only: private or symmetric key found")
        if item.get("kty") not in ("RSA", "EC") or item.get("use", uses[0]) not in uses:
            continue
        bits = _rsa_bits(item)
        if bits is not None and bits < MIN_RSA_BITS:
            raise UnusableKeys(
                f"an RSA key in jwks has {bits} bits; signatures and encryption need at least "
                f"{MIN_RSA_BITS} (RFC 7518 §3.3, §4.2)"
            )
        try:
            keys.append(JWKRegistry.import_key(dict(item)))
        except (JoseError, ValueError, TypeError) as exc:
            raise UnusableKeys(f"a key in jwks cannot be used: {exc}") from None
    if not keys:
        purpose = " or ".join(KEY_USES[u] for u in uses)
        raise UnusableKeys(f"jwks holds no RSA or EC {purpose} key")
    return keys


def _rsa_bits(item: Mapping[str, Any]) -> int | None:
    """The modulus length of an RSA JWK, or None (not RSA, or a modulus the import refuses)."""
    n = item.get("n")
    if item.get("kty") != "RSA" or not isinstance(n, str):
        return None
    try:
        return int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4))).bit_length()
    except (ValueError, TypeError):
        return None


def _fits(key: Key, alg: str) -> bool:
    if alg.startswith(("RS", "PS")):
        return isinstance(key, RSAKey)
    return isinstance(key, ECKey) and key.curve_name == _EC_CURVES.get(alg)


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, *unverified* (to find the signer's keys).

    Raises:
        UnusableKeys: not a compact JWS with a JSON object payload.
    """
    try:
        obj = jws.extract_compact(token.encode("ascii"))
        claims = json.loads(obj.payload)
    except (JoseError, ValueError, UnicodeError):
        raise UnusableKeys("the assertion is not a compact JWS") from None
    if not isinstance(claims, dict):
        raise UnusableKeys("the assertion payload is not a JSON object")
    return dict(obj.headers()), claims


def verify(token: str, keys: Sequence[Key], alg: str, kid: str | None) -> bool:
    """True if one of ``keys`` (the one named ``kid``, if given) signed ``token`` with ``alg``."""
    candidates = [k for k in keys if _fits(k, alg) and (kid is None or k.kid == kid)]
    for key in candidates:
        try:
            jws.deserialize_compact(token, key, algorithms=[alg])
        except (JoseError, ValueError, TypeError, KeyError):  # joserfc on odd header members
            continue
        return True
    return False
