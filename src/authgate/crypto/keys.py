"""Signing keys: generation, the in-memory key ring, JWS signing and the public JWKS.

Keys are RSA-2048 (RS256), generated on first start and stored in the database so every
instance signs with the same keys. The ``kid`` has Janssen's shape
``connect_<uuid>_sig_rs256`` (janssen-spec §6.1).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

SIGNING_ALG = "RS256"


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A signing key as persisted: private key PEM (PKCS#8) and metadata."""

    kid: str
    alg: str
    private_pem: str
    created_at: int
    expires_at: int | None = None


def new_kid(alg: str = SIGNING_ALG) -> str:
    """A Janssen-shaped key id: ``connect_<uuid4>_sig_<alg lower-case>``."""
    return f"connect_{uuid.uuid4()}_sig_{alg.lower()}"


def generate_rsa_key(created_at: int, bits: int = 2048) -> StoredKey:
    """A fresh RSA signing key for RS256."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return StoredKey(kid=new_kid(), alg=SIGNING_ALG, private_pem=pem, created_at=created_at)


class KeyRing:
    """The loaded signing keys. Parsing happens once per key, never per request.

    The newest key signs; every loaded key is published in the JWKS so tokens signed by an
    older key still verify.
    """

    def __init__(self, keys: Sequence[StoredKey]) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[StoredKey, RSAKey]] = {}
        self._signing: tuple[StoredKey, RSAKey] | None = None
        self._jwks: dict[str, Any] = {"keys": []}
        self.load(keys)

    def load(self, keys: Sequence[StoredKey]) -> None:
        """Replace the key set; keys already parsed are reused."""
        if not keys:
            raise ValueError("a key ring needs at least one key")
        loaded: dict[str, tuple[StoredKey, RSAKey]] = {}
        for stored in keys:
            previous = self._loaded.get(stored.kid)
            if previous is not None:
                loaded[stored.kid] = previous
            else:
                key = RSAKey.import_key(stored.private_pem, {"kid": stored.kid, "alg": stored.alg})
                loaded[stored.kid] = (stored, key)
        newest = max(loaded.values(), key=lambda pair: (pair[0].created_at, pair[0].kid))
        public = [
            {**key.as_dict(private=False), "kid": s.kid, "use": "sig", "alg": s.alg}
            for s, key in sorted(loaded.values(), key=lambda p: -p[0].created_at)
        ]
        with self._lock:
            self._loaded = loaded
            self._signing = newest
            self._jwks = {"keys": public}

    @property
    def signing_kid(self) -> str:
        assert self._signing is not None
        return self._signing[0].kid

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._loaded)

    def sign(self, claims: Mapping[str, Any], *, typ: str = "jwt") -> str:
        """Sign ``claims`` as a compact JWS with the current key (header ``typ``, ``kid``)."""
        stored, key = self._signing  # type: ignore[misc]
        header = {"kid": stored.kid, "typ": typ, "alg": stored.alg}
        return jwt.encode(header, dict(claims), key)

    def jwks(self) -> dict[str, Any]:
        return self._jwks

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a compact JWS that one of the loaded keys signed.

        Only the signature is checked (not ``exp``): callers such as the end-session endpoint
        accept expired ID Tokens as hints (OIDC RP-Initiated Logout 1.0 §2).

        Raises:
            ValueError: not a JWS, or not signed by one of our keys.
        """
        try:
            decoded = jwt.decode(token, self.verification_keys(), algorithms=[SIGNING_ALG])
        except (JoseError, ValueError, TypeError) as exc:
            raise ValueError(f"not signed by this server: {type(exc).__name__}") from None
        return dict(decoded.claims)

    def verification_keys(self) -> KeySet:
        """The public keys as a joserfc KeySet (for verifying our own tokens)."""
        return KeySet.import_key_set(self._jwks)  # type: ignore[arg-type]
