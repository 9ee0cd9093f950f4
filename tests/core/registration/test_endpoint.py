"""The pure parts of dynamic registration (RFC 7591 §2, §3.2): a parsed request and the
server's configuration to client metadata, the scopes a client gets, and whether it gets a
secret."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.registration.client_types import resolve_scopes
from authgate.core.registration.endpoint import build_metadata, needs_secret
from authgate.core.registration.request import parse_registration_request
from authgate.core.types import ClientMetadata, Scope
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri, OAuthError

CONFIG = AppConfiguration()
REDIRECT_URI = "https://rp.example/cb"
SCOPES = [Scope("openid"), Scope("profile"), Scope("email"), Scope("admin", registrable=False)]


def build(body: dict[str, Any], **update: Any) -> ClientMetadata:
    request = parse_registration_request({"redirect_uris": [REDIRECT_URI], **body})
    return build_metadata(request, CONFIG.model_copy(update=update), SCOPES, ("RS256", "ES256"))


# --- resolve_scopes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "update", "scopes"),
    [
        (None, {}, ("email", "openid", "profile")),
        (["profile", "openid"], {}, ("openid", "profile")),
        ([], {}, ()),
        (
            ["openid"],
            {"dynamicRegistrationScopesParamEnabled": False},
            ("email", "openid", "profile"),
        ),
    ],
)
def test_resolve_scopes(
    requested: list[str] | None, update: dict[str, Any], scopes: tuple[str, ...]
) -> None:
    assert resolve_scopes(requested, SCOPES, CONFIG.model_copy(update=update)) == scopes


@pytest.mark.parametrize("requested", [["openid", "admin"], ["openid", "unknown"]])
def test_unregistrable_and_unknown_scopes_are_refused_alike(requested: list[str]) -> None:
    with pytest.raises(InvalidClientMetadata) as raised:
        resolve_scopes(requested, SCOPES, CONFIG)
    assert raised.value.description == (
        f"Parameter scope is not valid: {requested[1:]} cannot be registered (no such scope, "
        "or not open to dynamic registration)"
    )


# --- needs_secret ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "additional", "secret"),
    [
        ("client_secret_basic", (), True),
        ("client_secret_post", (), True),
        ("none", (), False),
        ("private_key_jwt", (), False),
        ("private_key_jwt", ("client_secret_post",), True),
        ("none", ("private_key_jwt",), False),
    ],
)
def test_needs_secret(method: str, additional: tuple[str, ...], secret: bool) -> None:
    metadata = ClientMetadata(
        token_endpoint_auth_method=method, additional_token_endpoint_auth_methods=additional
    )
    assert needs_secret(metadata) is secret


# --- build_metadata: accepted ---------------------------------------------------------------


def test_flow_document_registration() -> None:
    metadata = build(
        {
            "client_name": "PKCE Test Client",
            "application_type": "web",
            "token_endpoint_auth_method": "none",
            "scope": ["openid", "profile", "email"],
            "grant_types": ["authorization_code"],
            "response_types": ["code", "token", "id_token"],
        }
    )
    assert metadata.client_name == "PKCE Test Client"
    assert metadata.redirect_uris == (REDIRECT_URI,)
    assert metadata.token_endpoint_auth_method == "none"
    assert metadata.is_public
    assert metadata.scope == ("email", "openid", "profile")
    assert metadata.grant_types == ("implicit", "refresh_token", "authorization_code")
    assert metadata.response_types == ("code", "token", "id_token")
    assert not needs_secret(metadata)


def test_defaults_for_a_bare_request() -> None:
    metadata = build({})
    assert metadata.client_name == "rp.example"
    assert metadata.token_endpoint_auth_method == "client_secret_basic"
    assert metadata.subject_type == "pairwise"
    assert metadata.id_token_signed_response_alg == "RS256"
    assert metadata.access_token_signing_alg == "RS256"
    assert metadata.scope == ("email", "openid", "profile")
    assert metadata.lifetime is None
    assert metadata.custom_attributes == {}
    assert needs_secret(metadata)


@pytest.mark.parametrize(
    ("body", "update", "member", "value"),
    [
        ({"redirect_uris": [REDIRECT_URI, REDIRECT_URI]}, {}, "redirect_uris", (REDIRECT_URI,)),
        ({"subject_type": "public"}, {}, "subject_type", "public"),
        ({}, {"defaultSignatureAlgorithm": "ES256"}, "id_token_signed_response_alg", "ES256"),
        ({"access_token_signing_alg": "ES256"}, {}, "access_token_signing_alg", "ES256"),
        ({"lifetime": 3600}, {}, "lifetime", 3600),
        ({"lifetime": 3600}, {"dcrForbidExpirationTimeInRequest": True}, "lifetime", None),
        ({"sector_identifier_uri": ""}, {}, "sector_identifier_uri", None),
        (
            {"backchannel_logout_uri": "https://rp.example/bc"},
            {},
            "backchannel_logout_uri",
            ("https://rp.example/bc",),
        ),
        (
            {"authorized_origins": ["https://app.example", "HTTPS://APP.EXAMPLE:443"]},
            {},
            "authorized_origins",
            ("https://app.example",),
        ),
        (
            {"dept": "sales", "level": 3, "flag": True, "other": "x", "nested": {"a": "b"}},
            {"dynamicRegistrationCustomAttributes": ["dept", "level", "nested"]},
            "custom_attributes",
            {"dept": "sales", "level": "3"},
        ),
        (
            {"redirect_uris": [REDIRECT_URI, "https://other.example/cb"], "subject_type": "public"},
            {},
            "client_name",
            "rp.example",
        ),
    ],
)
def test_member_resolved(
    body: dict[str, Any], update: dict[str, Any], member: str, value: Any
) -> None:
    assert getattr(build(body, **update), member) == value


# --- build_metadata: refused ----------------------------------------------------------------

CLIENT_SECRET_JWT = (
    "Parameter token_endpoint_auth_method is not valid: client_secret_jwt is not supported "
    "(it needs the plaintext client secret, and authgate stores secrets only as hashes); use "
    "private_key_jwt"
)


@pytest.mark.parametrize(
    ("body", "update", "error", "description"),
    [
        (
            {"token_endpoint_auth_method": "client_secret_jwt"},
            {},
            InvalidClientMetadata,
            CLIENT_SECRET_JWT,
        ),
        (
            {"additional_token_endpoint_auth_methods": ["client_secret_jwt"]},
            {},
            InvalidClientMetadata,
            CLIENT_SECRET_JWT,
        ),
        (
            {"token_endpoint_auth_method": "none"},
            {"tokenEndpointAuthMethodsSupported": ["client_secret_basic"]},
            InvalidClientMetadata,
            "Parameter token_endpoint_auth_method is not valid: 'none' is not one of "
            "['client_secret_basic']",
        ),
        (
            {"additional_token_endpoint_auth_methods": ["tls_client_auth"]},
            {},
            InvalidClientMetadata,
            "Parameter additional_token_endpoint_auth_methods is not valid: 'tls_client_auth'",
        ),
        (
            {"subject_type": "public"},
            {"subjectTypesSupported": ["pairwise"]},
            InvalidClientMetadata,
            "Parameter subject_type is not valid: 'public' is not one of ['pairwise']",
        ),
        (
            {"redirect_uris": []},
            {},
            InvalidRedirectUri,
            "redirect_uris is required for the authorization_code and implicit grants",
        ),
        (
            {"redirect_uris_regex": ".*"},
            {},
            InvalidClientMetadata,
            "redirect_uris_regex is not supported: redirect URIs are matched exactly "
            "(RFC 9700 §4.1.3)",
        ),
        (
            {"redirect_uris": [REDIRECT_URI, "https://other.example/cb"]},
            {},
            InvalidRedirectUri,
            "pairwise subject_type with redirect URIs on several hosts needs a "
            "sector_identifier_uri (OIDC Core §8.1)",
        ),
        (
            {"id_token_signed_response_alg": "PS256"},
            {},
            InvalidClientMetadata,
            "Parameter id_token_signed_response_alg is not valid: 'PS256' is not one of "
            "['RS256', 'ES256']",
        ),
        (
            {"access_token_signing_alg": "HS256"},
            {},
            InvalidClientMetadata,
            "Parameter access_token_signing_alg is not valid: 'HS256' is not one of "
            "['RS256', 'ES256']",
        ),
        (
            {"access_token_signing_alg": "ES256"},
            {"accessTokenSigningAlgValuesSupported": ["RS256"]},
            InvalidClientMetadata,
            "Parameter access_token_signing_alg is not valid: 'ES256' is not one of ['RS256']",
        ),
        (
            {"token_endpoint_auth_method": "private_key_jwt"},
            {},
            InvalidClientMetadata,
            "Parameter jwks is not valid: private_key_jwt needs jwks or jwks_uri",
        ),
        (
            {"jwks_uri": "http://rp.example/jwks"},
            {},
            InvalidClientMetadata,
            "Parameter jwks_uri is not valid: http is allowed only on a loopback host",
        ),
        (
            {"backchannel_logout_uri": "http://rp.example/bc"},
            {},
            InvalidClientMetadata,
            "Parameter backchannel_logout_uri is not valid: http is allowed only on a loopback "
            "host",
        ),
        (
            {"authorized_origins": ["http://rp.example"]},
            {},
            InvalidClientMetadata,
            "Parameter authorized_origins is not valid: 'http://rp.example' must use https "
            "(http only on a loopback host)",
        ),
        (
            {"redirect_uris": ["http://rp.example/cb"]},
            {},
            InvalidRedirectUri,
            "redirect URI 'http://rp.example/cb' uses http on a non-loopback host; use https "
            "(RFC 9700 §2.6; http is allowed only for localhost/127.0.0.1/[::1])",
        ),
    ],
)
def test_refused(
    body: dict[str, Any], update: dict[str, Any], error: type[OAuthError], description: str
) -> None:
    with pytest.raises(OAuthError) as caught:
        build(body, **update)
    assert type(caught.value) is error
    assert caught.value.description == description
