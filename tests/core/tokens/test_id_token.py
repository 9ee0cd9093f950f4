"""id_token claims (OIDC Core §2, §3.1.3.6, §3.3.2.11) and the left-half hash rule."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core.tokens.id_token import half_hash, id_token_claims

ISSUER = "https://op.example"


# Vectors from `openssl dgst -sha256 -binary | head -c 16 | base64`, made base64url.
@pytest.mark.parametrize(
    ("value", "digest"),
    [
        ("", "47DEQpj8HBSa-_TImW-5JA"),
        ("abc", "ungWv48Bz-pBQUDeXa4iIw"),
        ("jHkWEdUXMU1BwAsC4vtUsZwnNhYE8aeYZuYdj07PCgU", "pGfi2qYdSb2xdnKE9h4wCA"),
    ],
)
def test_half_hash(value: str, digest: str) -> None:
    assert half_hash(value) == digest


def test_half_hash_of_a_non_ascii_state_hashes_its_utf8_octets() -> None:
    assert half_hash("\u00e9") == "SplVfkAzw1Od4utlRyAXyg"
    assert claims(state="\u00e9")["s_hash"] == "SplVfkAzw1Od4utlRyAXyg"


def claims(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "issuer": ISSUER,
        "client_id": "client-1",
        "sub": "subject-1",
        "now": 1_800_000_000,
        "lifetime": 3600,
        "auth_time": 1_799_999_000,
        "sid": "sid-1",
        "acr": "simple_password_auth",
        "amr": ("pwd",),
        "grant": "authorization_code",
        "version": "openidconnect-1.0",
    }
    args.update(overrides)
    return id_token_claims(**args)


def test_code_flow_claims() -> None:
    assert claims(nonce="n-1") == {
        "iss": ISSUER,
        "aud": "client-1",
        "exp": 1_800_003_600,
        "iat": 1_800_000_000,
        "auth_time": 1_799_999_000,
        "nonce": "n-1",
        "sid": "sid-1",
        "acr": "simple_password_auth",
        "amr": ["pwd"],
        "grant": "authorization_code",
        "jansOpenIDConnectVersion": "openidconnect-1.0",
        "sub": "subject-1",
    }


@pytest.mark.parametrize(
    ("overrides", "absent"),
    [
        ({"auth_time": None}, "auth_time"),
        ({"sid": None}, "sid"),
        ({"acr": None}, "acr"),
        ({}, "nonce"),
        ({}, "azp"),
        ({}, "at_hash"),
        ({}, "c_hash"),
        ({}, "s_hash"),
    ],
)
def test_optional_claims_left_out(overrides: dict[str, Any], absent: str) -> None:
    assert absent not in claims(**overrides)


@pytest.mark.parametrize(
    ("argument", "claim"),
    [("access_token", "at_hash"), ("code", "c_hash"), ("state", "s_hash")],
)
def test_hash_claims(argument: str, claim: str) -> None:
    assert claims(**{argument: "abc"})[claim] == "ungWv48Bz-pBQUDeXa4iIw"


def test_empty_nonce_is_kept() -> None:
    assert claims(nonce="")["nonce"] == ""


def test_additional_audience_makes_aud_a_list_with_azp() -> None:
    got = claims(additional_audience=("api-1", "api-2"))
    assert got["aud"] == ["client-1", "api-1", "api-2"]
    assert got["azp"] == "client-1"


def test_amr_is_a_list() -> None:
    assert claims(amr=("pwd", "otp"))["amr"] == ["pwd", "otp"]
    assert claims(amr=())["amr"] == []


@pytest.mark.parametrize(
    "protocol", ["iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "acr", "amr", "sub"]
)
def test_user_claims_never_replace_protocol_claims(protocol: str) -> None:
    honest = claims(nonce="n-1")
    got = claims(nonce="n-1", user_claims={protocol: "forged", "email": "a@rp.example"})
    assert got[protocol] == honest[protocol]
    assert got["email"] == "a@rp.example"


def test_user_claims_are_added() -> None:
    got = claims(user_claims={"email": "a@rp.example", "email_verified": True, "name": None})
    assert (got["email"], got["email_verified"], got["name"]) == ("a@rp.example", True, None)
