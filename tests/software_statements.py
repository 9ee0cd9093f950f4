"""An issuer of software statements (RFC 7591 §2.3) for tests: its key, its entry for
``softwareStatementTrustedIssuers``, and statements it signs (or forges)."""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

ISSUER = "https://statements.example.test"


class StatementIssuer:
    def __init__(self, issuer: str = ISSUER, *, rsa: bool = False, kid: str = "ss-1") -> None:
        self.issuer = issuer
        self.alg = "PS256" if rsa else "ES256"
        self.key: ECKey | RSAKey = (
            RSAKey.generate_key(2048, parameters={"kid": kid})
            if rsa
            else ECKey.generate_key("P-256", parameters={"kid": kid})
        )

    def trusted(self) -> dict[str, Any]:
        """This issuer's entry of ``softwareStatementTrustedIssuers`` (public key only)."""
        return {"issuer": self.issuer, "jwks": {"keys": [self.key.as_dict(private=False)]}}

    def sign(self, now: float, claims: dict[str, Any] | None = None, **header: Any) -> str:
        """A statement with ``iss``, ``iat`` and ``exp`` (now + 1 h), then ``claims`` over
        them (a claim set to None is left out)."""
        body: dict[str, Any] = {"iss": self.issuer, "iat": int(now), "exp": int(now) + 3600}
        body |= claims or {}
        body = {k: v for k, v in body.items() if v is not None}
        head = {"alg": self.alg, "kid": self.key.kid} | header
        return jwt.encode(head, body, self.key, algorithms=[head["alg"]])


def _part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def unsigned(claims: dict[str, Any]) -> str:
    """A JWT with ``alg: none`` and no signature."""
    return f"{_part({'alg': 'none'})}.{_part(claims)}."


def reheaded(token: str, **header: Any) -> str:
    """``token`` with its protected header replaced (so its signature no longer holds)."""
    _, payload, signature = token.split(".")
    return f"{_part(header)}.{payload}.{signature}"
