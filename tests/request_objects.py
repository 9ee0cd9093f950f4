"""Test support for request objects (RFC 9101): client keys and signed (or unsigned)
request JWTs, shared by the core, HTTP and relying-party tests."""

from __future__ import annotations

import base64
import functools
import uuid
from typing import Any

import orjson
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.support import ISSUER


@functools.cache
def rsa_key(kid: str = "ro-rsa") -> RSAKey:
    """One RSA key per kid for the session: generating RSA-2048 keys is slow."""
    return RSAKey.generate_key(2048, parameters={"kid": kid})


@functools.cache
def ec_key(kid: str = "ro-ec") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid})


def jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [dict(k.as_dict(private=False)) for k in keys]}


def request_claims(
    client_id: str,
    now: float,
    params: dict[str, Any],
    /,
    *,
    aud: Any = ISSUER,
    lifetime: float = 300,
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> dict[str, Any]:
    """The claims of a request object: ``iss``/``aud``/``exp``/``nbf``/``iat``/``jti`` and the
    authorization request ``params``; ``claims`` override, ``drop`` removes."""
    body: dict[str, Any] = {
        "iss": client_id,
        "aud": aud,
        "client_id": client_id,
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now + lifetime),
        "jti": str(uuid.uuid4()),
        **params,
    }
    body |= claims
    for name in drop:
        body.pop(name, None)
    return body


def sign(claims: dict[str, Any], key: RSAKey | ECKey, alg: str = "RS256") -> str:
    header = {"alg": alg, "kid": key.kid, "typ": "oauth-authz-req+jwt"}
    return jwt.encode(header, claims, key, algorithms=[alg])


def unsigned(claims: dict[str, Any]) -> str:
    """An ``alg: none`` request object (OIDC Core §6.1): header, payload, empty signature."""

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()

    return f"{b64({'alg': 'none'})}.{b64(claims)}."
