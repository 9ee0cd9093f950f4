"""A DPoP client for tests: a key pair and proofs built independently of the server's code
(RFC 9449 §4.2), with knobs to break each check of §4.3."""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any

import orjson
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey, RSAKey

TOKEN_URL = "http://127.0.0.1:8080/jans-auth/restv1/token"
USERINFO_URL = "http://127.0.0.1:8080/jans-auth/restv1/userinfo"
PAR_URL = "http://127.0.0.1:8080/jans-auth/restv1/par"

Key = ECKey | RSAKey | OKPKey


@functools.cache
def _rsa() -> RSAKey:
    return RSAKey.generate_key(2048)


def ath(token: str) -> str:
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class DPoPKey:
    """A client's DPoP key. ``proof`` signs a fresh proof; keyword arguments break it."""

    def __init__(self, alg: str = "ES256", now: Callable[[], float] = time.time) -> None:
        self.alg = alg
        self.now = now
        self.key: Key
        if alg == "ES256":
            self.key = ECKey.generate_key("P-256")
        elif alg in ("PS256", "RS256"):
            self.key = _rsa()
        elif alg == "Ed25519":
            self.key = OKPKey.generate_key("Ed25519")
        else:
            raise ValueError(alg)

    @property
    def public_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=False))

    @property
    def jkt(self) -> str:
        """RFC 7638 thumbprint, computed here from the required members."""
        jwk = self.public_jwk
        members = {
            "EC": ("crv", "kty", "x", "y"),
            "RSA": ("e", "kty", "n"),
            "OKP": ("crv", "kty", "x"),
        }
        canonical = {m: jwk[m] for m in members[jwk["kty"]]}
        data = orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    def proof(
        self,
        htm: str = "POST",
        htu: str = TOKEN_URL,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat: float | None = None,
        jti: str | None = None,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        payload: dict[str, Any] = {
            "jti": jti or secrets.token_urlsafe(16),
            "htm": htm,
            "htu": htu,
            "iat": int(self.now() if iat is None else iat),
        }
        if access_token is not None:
            payload["ath"] = ath(access_token)
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims or {})
        protected: dict[str, Any] = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.public_jwk}
        protected.update(header or {})
        for name in drop:
            payload.pop(name, None)
            protected.pop(name, None)
        return jws.serialize_compact(
            protected, orjson.dumps(payload), self.key, algorithms=[protected.get("alg", self.alg)]
        )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jws(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A compact JWS assembled by hand (for algorithms no key here can sign with)."""
    return f"{b64(orjson.dumps(header))}.{b64(orjson.dumps(payload))}.{b64(signature)}"
