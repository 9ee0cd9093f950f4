"""The discovery document as a function of the configuration (OIDC Discovery 1.0 §3,
RFC 8414 §2): what it advertises, and that switching a property changes it."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.discovery import document, grant_types
from authgate.core.endpoints import EndpointUrls
from authgate.core.types import Scope

ISSUER = "https://op.example"
URLS = EndpointUrls(ISSUER)
CONFIG = AppConfiguration()
SCOPES = [Scope("openid"), Scope("profile"), Scope("email"), Scope("shoe_size", claims=("shoe",))]
ALL_ALGS = ("RS256", "ES256", "PS256")


def doc_for(**update: Any) -> dict[str, Any]:
    return document(ISSUER, CONFIG.model_copy(update=update), SCOPES, ALL_ALGS)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("issuer", ISSUER),
        ("authorization_endpoint", URLS.authorization_endpoint),
        ("token_endpoint", URLS.token_endpoint),
        ("userinfo_endpoint", URLS.userinfo_endpoint),
        ("jwks_uri", URLS.jwks_uri),
        ("registration_endpoint", URLS.registration_endpoint),
        ("pushed_authorization_request_endpoint", URLS.par_endpoint),
        ("revocation_endpoint", URLS.revocation_endpoint),
        ("introspection_endpoint", URLS.introspection_endpoint),
        ("end_session_endpoint", URLS.end_session_endpoint),
        ("subject_types_supported", ["public", "pairwise"]),
        (
            "response_modes_supported",
            ["query", "fragment", "form_post", "query.jwt", "fragment.jwt", "form_post.jwt", "jwt"],
        ),
        ("code_challenge_methods_supported", ["S256", "plain"]),
        ("scopes_supported", ["email", "openid", "profile", "shoe_size"]),
        ("prompt_values_supported", ["none", "login", "consent", "select_account"]),
        ("acr_values_supported", ["simple_password_auth", "mfa", "phr", "phrh"]),
        ("require_pushed_authorization_requests", False),
        ("authorization_response_iss_parameter_supported", True),
        ("request_parameter_supported", True),
        ("request_uri_parameter_supported", True),
        ("claims_parameter_supported", True),
        ("request_object_signing_alg_values_supported", ["RS256", "PS256", "ES256"]),
        ("require_signed_request_object", False),
        ("backchannel_logout_supported", True),
        ("frontchannel_logout_supported", True),
        ("frontchannel_logout_session_supported", True),
        ("jansOpenIdConnectVersion", "openidconnect-1.0"),
    ],
)
def test_default_document_member(member: str, value: object) -> None:
    assert doc_for()[member] == value


def test_endpoints_are_under_the_issuer() -> None:
    assert URLS.authorization_endpoint == ISSUER + "/jans-auth/restv1/authorize"
    endpoints = {k: v for k, v in doc_for().items() if k.endswith(("_endpoint", "_uri"))}
    assert len(endpoints) == 10
    assert all(url.startswith(ISSUER + "/jans-auth/restv1/") for url in endpoints.values())


def test_the_flow_documents_needs_are_advertised() -> None:
    """Register a public client, authorization code with PKCE S256, openid profile email."""
    doc = doc_for()
    assert "code" in doc["response_types_supported"]
    assert "authorization_code" in doc["grant_types_supported"]
    assert "S256" in doc["code_challenge_methods_supported"]
    assert "none" in doc["token_endpoint_auth_methods_supported"]
    assert {"openid", "profile", "email"} <= set(doc["scopes_supported"])
    assert "registration_endpoint" in doc


def test_claims_come_from_the_scopes() -> None:
    claims = doc_for()["claims_supported"]
    assert claims == sorted(claims)
    assert {"sub", "iss", "nonce", "sid", "email", "email_verified", "name", "shoe"} <= set(claims)
    only_openid = document(ISSUER, CONFIG, [Scope("openid")], ALL_ALGS)["claims_supported"]
    assert "email" not in only_openid


@pytest.mark.parametrize(
    ("update", "member", "value"),
    [
        ({"oauth21ProfileEnabled": True}, "response_types_supported", ["code"]),
        ({"oauth21ProfileEnabled": True}, "code_challenge_methods_supported", ["S256"]),
        (
            {"oauth21ProfileEnabled": True},
            "grant_types_supported",
            [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
        ),
        (
            {"authorizationResponseIssParameterSupported": False},
            "authorization_response_iss_parameter_supported",
            False,
        ),
        ({"implicitFlowEnabled": False}, "response_types_supported", ["code"]),
        (
            {"implicitFlowEnabled": False},
            "grant_types_supported",
            [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
        ),
        ({"codeChallengeMethodsSupported": ["S256"]}, "code_challenge_methods_supported", ["S256"]),
        ({"responseModesSupported": ["query"]}, "response_modes_supported", ["query"]),
        ({"responseModesSupported": ["query"]}, "response_types_supported", ["code"]),
        ({"requirePar": True}, "require_pushed_authorization_requests", True),
        (
            {"subjectTypesSupported": ["public"], "defaultSubjectType": "public"},
            "subject_types_supported",
            ["public"],
        ),
        (
            {"tokenEndpointAuthMethodsSupported": ["client_secret_basic", "none"]},
            "introspection_endpoint_auth_methods_supported",
            ["client_secret_basic"],
        ),
        (
            {"tokenEndpointAuthMethodsSupported": ["client_secret_basic", "none"]},
            "revocation_endpoint_auth_methods_supported",
            ["client_secret_basic", "none"],
        ),
        (
            {"tokenEndpointAuthSigningAlgValuesSupported": ["ES256"]},
            "token_endpoint_auth_signing_alg_values_supported",
            ["ES256"],
        ),
        (
            {"idTokenSigningAlgValuesSupported": ["RS256", "PS256"]},
            "id_token_signing_alg_values_supported",
            ["RS256", "PS256"],
        ),
    ],
)
def test_a_property_changes_what_is_advertised(
    update: dict[str, Any], member: str, value: object
) -> None:
    assert doc_for()[member] != value
    assert doc_for(**update)[member] == value


@pytest.mark.parametrize(
    ("update", "member", "value"),
    [
        (
            {"authorizationResponseIssParameterSupported": False},
            "authorization_response_iss_parameter_supported",
            True,
        ),
        (
            {"codeChallengeMethodsSupported": ["S256", "plain"]},
            "code_challenge_methods_supported",
            ["S256"],
        ),
        ({"implicitFlowEnabled": True}, "response_types_supported", ["code"]),
        (
            {"grantTypesSupported": ["authorization_code", "password"]},
            "grant_types_supported",
            ["authorization_code"],
        ),
    ],
)
def test_the_oauth21_profile_wins_over_the_property(
    update: dict[str, Any], member: str, value: object
) -> None:
    assert doc_for(**update, oauth21ProfileEnabled=True)[member] == value


@pytest.mark.parametrize(
    ("update", "absent"),
    [
        ({"dynamicRegistrationEnabled": False}, "registration_endpoint"),
        (
            {"tokenEndpointAuthMethodsSupported": ["client_secret_basic", "none"]},
            "token_endpoint_auth_signing_alg_values_supported",
        ),
        (
            {"tokenEndpointAuthMethodsSupported": ["client_secret_basic", "none"]},
            "introspection_endpoint_auth_signing_alg_values_supported",
        ),
    ],
)
def test_a_property_removes_a_member(update: dict[str, Any], absent: str) -> None:
    assert absent in doc_for()
    assert absent not in doc_for(**update)


@pytest.mark.parametrize(
    ("signable", "advertised"),
    [(("RS256", "ES256", "PS256"), ["RS256", "ES256", "PS256"]), (("ES256",), ["ES256"]), ((), [])],
)
def test_only_signable_algorithms_are_advertised(
    signable: tuple[str, ...], advertised: list[str]
) -> None:
    doc = document(ISSUER, CONFIG, SCOPES, signable)
    assert doc["id_token_signing_alg_values_supported"] == advertised
    assert doc["access_token_signing_alg_values_supported"] == advertised


@pytest.mark.parametrize(
    ("update", "grants"),
    [
        (
            {},
            [
                "authorization_code",
                "implicit",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
        ),
        (
            {"grantTypesSupported": ["refresh_token", "authorization_code"]},
            ["authorization_code", "refresh_token"],
        ),
        ({"grantTypesSupported": ["authorization_code", "password"]}, ["authorization_code"]),
        ({"grantTypesSupported": ["implicit"], "implicitFlowEnabled": False}, []),
    ],
)
def test_grant_types(update: dict[str, Any], grants: list[str]) -> None:
    assert grant_types(CONFIG.model_copy(update=update)) == grants


def test_the_device_authorization_endpoint_is_advertised_with_its_grant() -> None:
    device = "urn:ietf:params:oauth:grant-type:device_code"
    doc = doc_for()
    assert device in doc["grant_types_supported"]
    assert doc["device_authorization_endpoint"] == (
        ISSUER + "/jans-auth/restv1/device_authorization"
    )
    without = doc_for(grantTypesSupported=["authorization_code"])
    assert "device_authorization_endpoint" not in without


def test_request_objects_advertise_none_only_when_it_can_be_accepted() -> None:
    assert "none" not in doc_for()["request_object_signing_alg_values_supported"]
    allowed = doc_for(requestObjectNoneAlgAllowed=True)
    assert allowed["request_object_signing_alg_values_supported"][-1] == "none"
    required = doc_for(requestObjectNoneAlgAllowed=True, requireSignedRequestObject=True)
    assert "none" not in required["request_object_signing_alg_values_supported"]
    assert required["require_signed_request_object"] is True


def test_request_objects_switched_off() -> None:
    doc = doc_for(requestParameterSupported=False, requestUriParameterSupported=False)
    assert (doc["request_parameter_supported"], doc["request_uri_parameter_supported"]) == (
        False,
        False,
    )
    assert "request_object_signing_alg_values_supported" not in doc
    assert "require_request_uri_registration" not in doc
    assert doc_for()["require_request_uri_registration"] is False


def test_claims_parameter_and_introspection_algs() -> None:
    assert doc_for(claimsParameterSupported=False)["claims_parameter_supported"] is False
    assert doc_for()["introspection_signing_alg_values_supported"] == ["RS256", "ES256", "PS256"]
    signable = document(ISSUER, CONFIG, SCOPES, ("ES256",))
    assert signable["introspection_signing_alg_values_supported"] == ["ES256"]
    assert "introspection_signing_alg_values_supported" not in doc_for(
        introspectionSigningAlgValuesSupported=[]
    )


def test_jarm_modes_and_algs() -> None:
    """JARM §4: the signing algorithms of authorization responses are listed where a JWT
    response mode is; only those with an active key."""
    assert doc_for()["authorization_signing_alg_values_supported"] == ["RS256", "ES256", "PS256"]
    signable = document(ISSUER, CONFIG, SCOPES, ("PS256",))
    assert signable["authorization_signing_alg_values_supported"] == ["PS256"]
    plain = doc_for(responseModesSupported=["query", "fragment", "form_post"])
    assert plain["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert "authorization_signing_alg_values_supported" not in plain
    only_jwt = doc_for(responseModesSupported=["query", "jwt"])
    assert only_jwt["response_modes_supported"] == ["query", "jwt"]
    assert "authorization_signing_alg_values_supported" in only_jwt


def test_userinfo_signing_algs() -> None:
    """OIDC Discovery §3: the algorithms a client may ask UserInfo to be signed with, only
    those with an active key; absent when none is configured."""
    assert doc_for()["userinfo_signing_alg_values_supported"] == ["RS256", "ES256", "PS256"]
    only_rsa = document(ISSUER, CONFIG, SCOPES, ("RS256",))
    assert only_rsa["userinfo_signing_alg_values_supported"] == ["RS256"]
    assert "userinfo_signing_alg_values_supported" not in doc_for(
        userInfoSigningAlgValuesSupported=[]
    )
