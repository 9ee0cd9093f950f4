"""JWT access token claims (RFC 9068 §2.2), bound with cnf.jkt under DPoP (RFC 9449 §6.1)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from authgate.core.tokens.jwt_access import ACCESS_TOKEN_TYP, jwt_access_token_claims

ISSUER = "https://op.example"
JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"


def claims(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "issuer": ISSUER,
        "client_id": "client-1",
        "sub": "subject-1",
        "scope": ("openid", "profile"),
        "now": 1_800_000_000,
        "lifetime": 300,
    }
    args.update(overrides)
    return jwt_access_token_claims(**args)


def test_typ_header_value() -> None:
    assert ACCESS_TOKEN_TYP == "at+jwt"


def test_minimal_bearer_token() -> None:
    got = claims()
    jti = got.pop("jti")
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", jti)
    assert got == {
        "iss": ISSUER,
        "sub": "subject-1",
        "aud": "client-1",
        "exp": 1_800_000_300,
        "iat": 1_800_000_000,
        "nbf": 1_800_000_000,
        "client_id": "client-1",
        "scope": "openid profile",
        "token_type": "Bearer",
    }


def test_rfc9068_required_claims_present() -> None:
    assert {"iss", "exp", "aud", "sub", "client_id", "iat", "jti"} <= set(claims())


def test_jti_is_fresh_each_time() -> None:
    assert claims()["jti"] != claims()["jti"]


@pytest.mark.parametrize(
    ("overrides", "claim", "value"),
    [
        ({"auth_time": 1_799_999_000}, "auth_time", 1_799_999_000),
        ({"acr": "simple_password_auth"}, "acr", "simple_password_auth"),
        ({"amr": ("pwd", "otp")}, "amr", ["pwd", "otp"]),
        ({"jkt": JKT}, "cnf", {"jkt": JKT}),
        ({"jkt": JKT}, "token_type", "DPoP"),
        ({"scope": ()}, "scope", ""),
        ({"scope": ["a", "b", "c"]}, "scope", "a b c"),
        ({"additional_audience": ("api-1",)}, "aud", ["client-1", "api-1"]),
    ],
)
def test_claim(overrides: dict[str, Any], claim: str, value: object) -> None:
    assert claims(**overrides)[claim] == value


@pytest.mark.parametrize("absent", ["auth_time", "acr", "amr", "cnf", "azp"])
def test_optional_claims_left_out(absent: str) -> None:
    assert absent not in claims(amr=())
