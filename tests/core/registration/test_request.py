"""Parsing of registration requests (RFC 7591 §2, §3.1): JSON members to typed values, and
the error naming the first malformed member (RFC 7591 §3.2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core.registration.request import RegistrationRequest, parse_registration_request
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri, OAuthError


@pytest.mark.parametrize("body", [None, [], "{}", 1, [{"redirect_uris": []}]])
def test_body_must_be_a_json_object(body: Any) -> None:
    with pytest.raises(InvalidClientMetadata) as caught:
        parse_registration_request(body)
    assert caught.value.description == "The registration request body must be a JSON object"


@pytest.mark.parametrize(
    ("body", "error", "member"),
    [
        ({"redirect_uris": "https://rp.example/cb"}, InvalidRedirectUri, "redirect_uris"),
        ({"redirect_uris": ["https://rp.example/cb", 1]}, InvalidRedirectUri, "redirect_uris"),
        ({"response_types": "code"}, InvalidClientMetadata, "response_types"),
        ({"grant_types": ["authorization_code", 1]}, InvalidClientMetadata, "grant_types"),
        ({"application_type": "desktop"}, InvalidClientMetadata, "application_type"),
        ({"client_name": 1}, InvalidClientMetadata, "client_name"),
        ({"scope": 5}, InvalidClientMetadata, "scope"),
        ({"scope": ["openid", 1]}, InvalidClientMetadata, "scope"),
        ({"require_pkce": "yes"}, InvalidClientMetadata, "require_pkce"),
        ({"require_par": 1}, InvalidClientMetadata, "require_par"),
        ({"par_lifetime": 0}, InvalidClientMetadata, "par_lifetime"),
        ({"par_lifetime": 86401}, InvalidClientMetadata, "par_lifetime"),
        ({"par_lifetime": True}, InvalidClientMetadata, "par_lifetime"),
        ({"par_lifetime": 60.0}, InvalidClientMetadata, "par_lifetime"),
        ({"default_max_age": -1}, InvalidClientMetadata, "default_max_age"),
        ({"default_max_age": "60"}, InvalidClientMetadata, "default_max_age"),
        ({"access_token_lifetime": 0}, InvalidClientMetadata, "access_token_lifetime"),
        ({"lifetime": "3600"}, InvalidClientMetadata, "lifetime"),
        ({"contacts": "ops@rp.example"}, InvalidClientMetadata, "contacts"),
        ({"jwks": []}, InvalidClientMetadata, "jwks"),
        ({"backchannel_logout_uri": 3}, InvalidClientMetadata, "backchannel_logout_uri"),
        ({"authorized_origins": "https://rp.example"}, InvalidClientMetadata, "authorized_origins"),
        ({"dpop_bound_access_tokens": "true"}, InvalidClientMetadata, "dpop_bound_access_tokens"),
    ],
)
def test_malformed_member_is_named(
    body: dict[str, Any], error: type[OAuthError], member: str
) -> None:
    with pytest.raises(OAuthError) as caught:
        parse_registration_request(body)
    assert type(caught.value) is error
    assert caught.value.description.startswith(f"Parameter {member} is not valid: ")


def test_first_malformed_member_is_reported() -> None:
    with pytest.raises(InvalidClientMetadata) as caught:
        parse_registration_request({"require_pkce": "yes", "par_lifetime": 0})
    assert caught.value.description.startswith("Parameter require_pkce is not valid: ")


def test_defaults() -> None:
    request = parse_registration_request({})
    assert request == RegistrationRequest()
    assert request.application_type == "web"
    assert request.par_lifetime == 600
    assert (request.redirect_uris, request.grant_types, request.response_types) == ([], [], [])
    assert request.token_endpoint_auth_method is None
    assert request.scopes() is None
    assert request.extra_members() == {}


@pytest.mark.parametrize(
    ("scope", "scopes"),
    [
        ("openid profile", ["openid", "profile"]),
        ("openid  profile ", ["openid", "profile"]),
        ("", []),
        (["openid", "", "email"], ["openid", "email"]),
        ([], []),
    ],
)
def test_scope_as_string_or_array(scope: str | list[str], scopes: list[str]) -> None:
    assert parse_registration_request({"scope": scope}).scopes() == scopes


@pytest.mark.parametrize(
    ("value", "uris"),
    [
        ("", []),
        ("https://rp.example/logout", ["https://rp.example/logout"]),
        (["https://rp.example/logout", ""], ["https://rp.example/logout"]),
        ([], []),
    ],
)
def test_backchannel_logout_uri_as_string_or_array(value: str | list[str], uris: list[str]) -> None:
    request = parse_registration_request({"backchannel_logout_uri": value})
    assert request.backchannel_logout_uris() == uris


def test_unknown_members_are_kept_aside() -> None:
    request = parse_registration_request(
        {"client_name": "RP", "shoe_size": 44, "nested": {"a": 1}, "client_id": "chosen"}
    )
    assert request.extra_members() == {"shoe_size": 44, "nested": {"a": 1}}
    assert request.client_id == "chosen"
    assert request.client_name == "RP"
