"""The OAuth 2.1 profile switch (core/profile.py): what it removes, whatever the individual
properties say (OAuth 2.1 §10.1, RFC 9700 §2.1.2, §2.4, RFC 7636, RFC 9207)."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core import profile
from authgate.errors import UnsupportedResponseType

CONFIG = AppConfiguration()
PROFILE = CONFIG.model_copy(update={"oauth21ProfileEnabled": True})
WITH_PASSWORD = {"grantTypesSupported": ["authorization_code", "password", "implicit"]}


@pytest.mark.parametrize(
    ("response_type", "front_channel"),
    [
        ("code", False),
        ("", False),
        ("token", True),
        ("id_token", True),
        ("code id_token", True),
        ("token code", True),
        ("code  id_token", True),
        ("tokens", False),
    ],
)
def test_returns_front_channel_token(response_type: str, front_channel: bool) -> None:
    assert profile.returns_front_channel_token(response_type) is front_channel


@pytest.mark.parametrize(
    ("response_type", "config"),
    [("code", PROFILE), ("", PROFILE), ("token", CONFIG), ("code id_token token", CONFIG)],
)
def test_check_response_type_passes(response_type: str, config: AppConfiguration) -> None:
    profile.check_response_type(response_type, config)


@pytest.mark.parametrize("response_type", ["token", "id_token", "code token", "id_token code"])
def test_check_response_type_refuses_under_the_profile(response_type: str) -> None:
    with pytest.raises(UnsupportedResponseType) as caught:
        profile.check_response_type(response_type, PROFILE)
    assert caught.value.description == (
        f"response_type '{response_type}' returns tokens from the authorization endpoint "
        "(implicit grant), which the OAuth 2.1 profile (oauth21ProfileEnabled) refuses"
    )


@pytest.mark.parametrize(
    ("grant_type", "update", "allowed"),
    [
        ("authorization_code", {}, True),
        ("implicit", {}, True),
        ("password", {}, False),
        ("password", WITH_PASSWORD, True),
        ("password", {**WITH_PASSWORD, "oauth21ProfileEnabled": True}, False),
        ("implicit", {**WITH_PASSWORD, "oauth21ProfileEnabled": True}, False),
        ("authorization_code", {**WITH_PASSWORD, "oauth21ProfileEnabled": True}, True),
        ("client_credentials", {"grantTypesSupported": ["authorization_code"]}, False),
        ("urn:ietf:params:oauth:grant-type:device_code", {}, True),
        (
            "urn:ietf:params:oauth:grant-type:device_code",
            {"grantTypesSupported": ["authorization_code"]},
            False,
        ),
        ("urn:ietf:params:oauth:grant-type:jwt-bearer", {}, False),
    ],
)
def test_grant_type_allowed(grant_type: str, update: dict[str, Any], allowed: bool) -> None:
    assert profile.grant_type_allowed(grant_type, CONFIG.model_copy(update=update)) is allowed


@pytest.mark.parametrize(
    ("update", "methods"),
    [
        ({}, ["S256", "plain"]),
        ({"codeChallengeMethodsSupported": ["S256"]}, ["S256"]),
        ({"oauth21ProfileEnabled": True}, ["S256"]),
        (
            {"oauth21ProfileEnabled": True, "codeChallengeMethodsSupported": ["plain", "S256"]},
            ["S256"],
        ),
    ],
)
def test_pkce_methods(update: dict[str, Any], methods: list[str]) -> None:
    assert profile.pkce_methods(CONFIG.model_copy(update=update)) == methods


@pytest.mark.parametrize(
    ("profile_on", "prop", "required"),
    [(False, True, True), (False, False, False), (True, False, True), (True, True, True)],
)
def test_pkce_required_for_public_clients(profile_on: bool, prop: bool, required: bool) -> None:
    config = CONFIG.model_copy(
        update={"oauth21ProfileEnabled": profile_on, "requirePkceForPublicClients": prop}
    )
    assert profile.pkce_required_for_public_clients(config) is required


@pytest.mark.parametrize(
    ("profile_on", "prop", "iss"),
    [(False, True, True), (False, False, False), (True, False, True), (True, True, True)],
)
def test_iss_in_authorization_responses(profile_on: bool, prop: bool, iss: bool) -> None:
    config = CONFIG.model_copy(
        update={
            "oauth21ProfileEnabled": profile_on,
            "authorizationResponseIssParameterSupported": prop,
        }
    )
    assert profile.iss_in_authorization_responses(config) is iss
