"""Signing keys: generation, the in-memory key ring, JWS signing and the public JWKS.

One key per algorithm signs at a time: RS256 and PS256 with RSA-2048 keys, ES256 with P-256
keys. Keys live in the database so every instance signs with the same ones; the ``kid`` has
Janssen's shape ``connect_<uuid>_sig_<alg>`` (docs/janssen-compatibility.md §7.2).

A key's life (see :mod:`authgate.crypto.rotation`): published in the JWKS from creation;
signs from ``activates_at`` (publish before sign) until a newer key of its algorithm activates;
stays published until ``expires_at``, after every token it signed has expired.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

SIGNING_ALG = "RS256"
SigningKey = RSAKey | ECKey
NEVER = float("inf")


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A signing key as persisted: private key PEM (PKCS#8) and its lifecycle times."""

    kid: str
    alg: str
    private_pem: str
    created_at: int
    expires_at: int | None = None
    activates_at: int | None = None

    @property
    def signs_from(self) -> int:
        """When the key may start signing (``created_at`` for keys without a schedule)."""
        return self.created_at if self.activates_at is None else self.activates_at

    def published(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at


def new_kid(alg: str = SIGNING_ALG) -> str:
    """A Janssen-shaped key id: ``connect_<uuid4>_sig_<alg lower-case>``."""
    return f"connect_{uuid.uuid4()}_sig_{alg.lower()}"


def _pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def generate_key(alg: str, created_at: int, *, activates_at: int | None = None) -> StoredKey:
    """A fresh signing key for ``alg`` (RS256, PS256: RSA-2048; ES256: P-256).

    Raises:
        ValueError: an algorithm authgate does not sign with.
    """
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if alg in ("RS256", "PS256"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError(f"no key type for signing algorithm {alg}")
    return StoredKey(
        kid=new_kid(alg),
        alg=alg,
        private_pem=_pem(private),
        created_at=created_at,
        activates_at=activates_at,
    )


def generate_rsa_key(created_at: int, bits: int = 2048) -> StoredKey:
    """A fresh RSA signing key for RS256 (kept for callers that predate multi-algorithm keys)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return StoredKey(
        kid=new_kid(), alg=SIGNING_ALG, private_pem=_pem(private), created_at=created_at
    )


def _parse(stored: StoredKey) -> SigningKey:
    """The key of ``stored``, ready to sign.

    Every stored key is one :func:`generate_key` made (nothing else writes the key table), so
    an RSA key is loaded without OpenSSL's consistency check of its primes and CRT values,
    which cryptography allows for keys known to be valid: the check costs about 30 ms of CPU
    per RSA-2048 key, paid by every process that starts a runtime (each server worker, each
    local admin command) for each RSA key it loads.
    """
    params = {"kid": stored.kid, "alg": stored.alg, "use": "sig"}
    if stored.alg == "ES256":
        return ECKey.import_key(stored.private_pem, params)  # type: ignore[arg-type]
    private = serialization.load_pem_private_key(
        stored.private_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError(f"key {stored.kid} ({stored.alg}) is not an RSA private key")
    return RSAKey.import_key(private, params)  # type: ignore[arg-type]


class KeyRing:
    """The loaded signing keys. Parsing happens once per key, never per request.

    ``sign`` costs one float comparison beyond the signature itself: the signing key of each
    algorithm and the public JWKS are recomputed only when a key's activation or expiry time
    passes, or when :meth:`load` brings a new key set.
    """

    def __init__(self, keys: Sequence[StoredKey], clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._parsed: dict[str, tuple[StoredKey, SigningKey]] = {}
        self._signing: dict[str, tuple[dict[str, str], SigningKey]] = {}
        self._jwks: dict[str, Any] = {"keys": []}
        self._next_change = NEVER
        self.load(keys)

    def load(self, keys: Sequence[StoredKey]) -> None:
        """Replace the key set; keys already parsed are reused."""
        if not keys:
            raise ValueError("a key ring needs at least one key")
        parsed: dict[str, tuple[StoredKey, SigningKey]] = {}
        for stored in keys:
            previous = self._parsed.get(stored.kid)
            key = previous[1] if previous is not None else _parse(stored)
            parsed[stored.kid] = (stored, key)
        self._parsed = parsed
        self._select(self._clock())

    def _select(self, now: float) -> None:
        """Pick each algorithm's signing key and the published keys as of ``now``."""
        signing: dict[str, tuple[StoredKey, SigningKey]] = {}
        changes = [NEVER]
        for stored, key in self._parsed.values():
            for moment in (stored.signs_from, stored.expires_at):
                if moment is not None and moment > now:
                    changes.append(moment)
            if stored.signs_from > now or not stored.published(now):
                continue
            best = signing.get(stored.alg)
            rank = (stored.signs_from, stored.created_at, stored.kid)
            if best is None or rank > (best[0].signs_from, best[0].created_at, best[0].kid):
                signing[stored.alg] = (stored, key)
        published = sorted(
            (pair for pair in self._parsed.values() if pair[0].published(now)),
            key=lambda pair: (-pair[0].created_at, pair[0].kid),
        )
        self._jwks = {
            "keys": [
                {**key.as_dict(private=False), "kid": s.kid, "use": "sig", "alg": s.alg}
                for s, key in published
            ]
        }
        self._signing = {alg: ({"kid": s.kid}, key) for alg, (s, key) in signing.items()}
        self._next_change = min(changes)

    def _current(self) -> None:
        now = self._clock()
        if now >= self._next_change:
            self._select(now)

    def signing_kid_for(self, alg: str) -> str:
        """The kid that signs ``alg`` now.

        Raises:
            LookupError: no active key for ``alg``.
        """
        self._current()
        if alg not in self._signing:
            raise LookupError(f"no active signing key for {alg}")
        return self._signing[alg][0]["kid"]

    @property
    def signing_kid(self) -> str:
        """The kid that signs RS256 now (the default algorithm)."""
        return self.signing_kid_for(SIGNING_ALG)

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._parsed)

    @property
    def stored(self) -> tuple[StoredKey, ...]:
        """The loaded keys with their lifecycle times (no parsing)."""
        return tuple(stored for stored, _key in self._parsed.values())

    @property
    def algorithms(self) -> frozenset[str]:
        self._current()
        return frozenset(self._signing)

    def sign(self, claims: Mapping[str, Any], *, typ: str = "jwt", alg: str = SIGNING_ALG) -> str:
        """Sign ``claims`` as a compact JWS with ``alg``'s current key (header typ, kid, alg).

        Raises:
            LookupError: no active key for ``alg``.
        """
        if self._clock() >= self._next_change:
            self._select(self._clock())
        try:
            base, key = self._signing[alg]
        except KeyError:
            raise LookupError(f"no active signing key for {alg}") from None
        header = {"kid": base["kid"], "typ": typ, "alg": alg}
        return jwt.encode(header, dict(claims), key, algorithms=[alg])

    def jwks(self) -> dict[str, Any]:
        """Published public keys: the signing keys, keys about to sign, and retiring keys."""
        self._current()
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
        """The published public keys as a joserfc KeySet (for verifying our own tokens)."""
        return KeySet.import_key_set(self.jwks())  # type: ignore[arg-type]
