"""Dynamic client registration (RFC 7591) on memory services: defaults, redirect URI checks,
who gets a secret, the response's members, and that the credentials returned work."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey

from authgate.appconfig import AppConfiguration
from authgate.core.clients.authentication import authenticated
from authgate.core.registration.endpoint import Registration, client_response, register
from authgate.core.registration.management import configured_client
from authgate.crypto.handles import hash_matches
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri
from tests.core.flow_support import basic
from tests.memory import StaticConfig, make_services
from tests.memory.services import double
from tests.memory.stores import MemoryClientStore
from tests.support import flow_registration_body

RP = "https://rp.example.test/cb"
#: The response members of a confidential client registered with defaults, in order.
CONFIDENTIAL_MEMBERS = [
    "allow_spontaneous_scopes",
    "application_type",
    "rpt_as_jwt",
    "registration_client_uri",
    "tls_client_auth_subject_dn",
    "run_introspection_script_before_jwt_creation",
    "registration_access_token",
    "client_id",
    "token_endpoint_auth_method",
    "scope",
    "client_secret",
    "client_id_issued_at",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "client_name",
    "par_lifetime",
    "spontaneous_scopes",
    "id_token_signed_response_alg",
    "access_token_as_jwt",
    "grant_types",
    "subject_type",
    "additional_token_endpoint_auth_methods",
    "keep_client_authorization_after_expiration",
    "require_par",
    "require_pkce",
    "redirect_uris",
    "redirect_uris_regex",
    "additional_audience",
    "frontchannel_logout_session_required",
    "client_secret_expires_at",
    "access_token_signing_alg",
    "response_types",
]


def _body(registration: Registration, issuer: str) -> dict[str, Any]:
    """The response the web layer sends for ``registration``."""
    return client_response(
        registration.client,
        issuer,
        client_secret=registration.client_secret,
        registration_access_token=registration.registration_access_token,
    )


async def test_defaults_make_a_confidential_code_client() -> None:
    svc = make_services()
    registration = await register({"redirect_uris": [RP]}, svc)
    client = registration.client
    meta = client.metadata
    assert await svc.clients.get(client.client_id) == client
    assert meta.token_endpoint_auth_method == "client_secret_basic"
    assert (meta.grant_types, meta.response_types) == (
        ("refresh_token", "authorization_code"),
        ("code",),
    )
    assert meta.scope == ("email", "offline_access", "openid", "profile")
    assert (meta.application_type, meta.subject_type, meta.client_name) == (
        "web",
        "pairwise",
        "rp.example.test",
    )
    assert (meta.id_token_signed_response_alg, meta.access_token_signing_alg) == ("RS256", "RS256")
    assert (client.client_id_issued_at, client.expires_at) == (int(svc.clock.now()), None)
    assert registration.client_secret is not None
    assert hash_matches(registration.client_secret, client.secret_hash)
    assert client.client_secret_expires_at == 0


async def test_response_shape_of_a_confidential_client() -> None:
    svc = make_services()
    registration = await register({"redirect_uris": [RP]}, svc)
    body = _body(registration, svc.issuer)
    client_id = registration.client.client_id
    assert list(body) == CONFIDENTIAL_MEMBERS
    assert body["registration_client_uri"] == (
        f"{svc.issuer}/jans-auth/restv1/register?client_id={client_id}"
    )
    assert (body["client_secret"], body["client_secret_expires_at"]) == (
        registration.client_secret,
        0,
    )
    assert body["scope"] == "email offline_access openid profile"
    assert (body["grant_types"], body["redirect_uris"]) == (
        ["refresh_token", "authorization_code"],
        [RP],
    )


async def test_returned_credentials_work() -> None:
    svc = make_services()
    registration = await register({"redirect_uris": [RP]}, svc)
    client_id, secret = registration.client.client_id, registration.client_secret
    assert secret is not None
    result = await authenticated({}, basic(client_id, secret), svc)
    assert (result.client.client_id, result.method) == (client_id, "client_secret_basic")
    token = registration.registration_access_token
    assert await configured_client(client_id, token, svc) == registration.client


async def test_public_client_gets_no_secret() -> None:
    svc = make_services()
    registration = await register(flow_registration_body(), svc)
    client = registration.client
    assert (registration.client_secret, client.secret_hash) == (None, None)
    body = _body(registration, svc.issuer)
    assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert list(body) == [m for m in CONFIDENTIAL_MEMBERS if not m.startswith("client_secret")]
    assert body["token_endpoint_auth_method"] == "none"
    # autofix: token and id_token response types bring the implicit grant
    assert body["grant_types"] == ["implicit", "refresh_token", "authorization_code"]
    assert body["response_types"] == ["code", "token", "id_token"]
    assert body["scope"] == "email openid profile"


async def test_private_key_jwt_client_gets_no_secret() -> None:
    svc = make_services()
    key = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    body = {
        "redirect_uris": [RP],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [dict(key.as_dict(private=False))]},
    }
    registration = await register(body, svc)
    assert (registration.client_secret, registration.client.secret_hash) == (None, None)
    assert registration.client.metadata.jwks == body["jwks"]


@pytest.mark.parametrize(
    ("uri", "application_type", "description"),
    [
        ("http://rp.example.test/cb", "web", "uses http on a non-loopback host"),
        ("https://rp.example.test/cb#frag", "web", "has a fragment"),
        ("/relative/cb", "web", "is not an absolute URI"),
        ("https://user:pw@rp.example.test/cb", "web", "must not contain user information"),
        ("https://rp.example.test/c b", "web", "contains whitespace"),
        ("com.example.app:/cb", "web", "uses the scheme 'com.example.app'; web clients"),
        ("myapp:/cb", "native", "private-use schemes must be reverse domain names"),
    ],
)
async def test_invalid_redirect_uris_are_refused_and_nothing_is_stored(
    uri: str, application_type: str, description: str
) -> None:
    svc = make_services()
    body = {"redirect_uris": [RP, uri], "application_type": application_type}
    with pytest.raises(InvalidRedirectUri) as caught:
        await register(body, svc)
    assert caught.value.error == "invalid_redirect_uri"
    assert description in caught.value.description
    assert await double(svc.clients, MemoryClientStore).list() == []


async def test_native_client_may_use_a_private_use_scheme() -> None:
    svc = make_services()
    body = {"redirect_uris": ["com.example.app:/cb"], "application_type": "native"}
    registration = await register(body, svc)
    assert registration.client.metadata.redirect_uris == ("com.example.app:/cb",)


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({}, "redirect_uris is required for the authorization_code and implicit grants"),
        (
            {"redirect_uris": [RP, "https://other.example.test/cb"]},
            "pairwise subject_type with redirect URIs on several hosts needs a "
            "sector_identifier_uri (OIDC Core §8.1)",
        ),
    ],
)
async def test_redirect_uri_set_is_checked(body: dict[str, Any], description: str) -> None:
    with pytest.raises(InvalidRedirectUri) as caught:
        await register(body, make_services())
    assert caught.value.description == description


async def test_blacklisted_redirect_uri_is_refused() -> None:
    config = AppConfiguration(clientBlackList=["https://*.evil.example/*"])
    svc = make_services(config=StaticConfig(config))
    with pytest.raises(InvalidRedirectUri, match="refused by clientBlackList"):
        await register({"redirect_uris": ["https://rp.evil.example/cb"]}, svc)


@pytest.mark.parametrize(
    ("method", "description"),
    [
        ("client_secret_jwt", "client_secret_jwt is not supported"),
        ("tls_client_auth", "'tls_client_auth' is not one of"),
        ("private_key_jwt", "private_key_jwt needs jwks or jwks_uri"),
    ],
)
async def test_unusable_authentication_methods(method: str, description: str) -> None:
    body = {"redirect_uris": [RP], "token_endpoint_auth_method": method}
    with pytest.raises(InvalidClientMetadata) as caught:
        await register(body, make_services())
    assert description in caught.value.description


@pytest.mark.parametrize(
    ("config", "scope", "expected"),
    [
        ({}, ["openid", "email"], ("email", "openid")),
        ({}, "openid profile", ("openid", "profile")),
        ({"dynamicRegistrationScopesParamEnabled": False}, ["openid"], None),
    ],
)
async def test_scopes_are_limited_to_registrable_ones(
    config: dict[str, Any], scope: Any, expected: tuple[str, ...] | None
) -> None:
    svc = make_services(config=StaticConfig(AppConfiguration(**config)))
    registration = await register({"redirect_uris": [RP], "scope": scope}, svc)
    everything = ("email", "offline_access", "openid", "profile")
    assert registration.client.metadata.scope == (expected or everything)


async def test_an_unknown_scope_is_refused_by_name() -> None:
    with pytest.raises(InvalidClientMetadata) as caught:
        await register({"redirect_uris": [RP], "scope": ["openid", "bogus"]}, make_services())
    assert "['bogus'] cannot be registered" in caught.value.description


async def test_expiration_time_applies_to_client_and_secret() -> None:
    config = AppConfiguration(dynamicRegistrationExpirationTime=3600)
    svc = make_services(config=StaticConfig(config))
    registration = await register({"redirect_uris": [RP]}, svc)
    expires = int(svc.clock.now()) + 3600
    assert registration.client.expires_at == expires
    assert _body(registration, svc.issuer)["client_secret_expires_at"] == expires
    public = await register(flow_registration_body(), svc)
    assert public.client.expires_at == expires
    assert "client_secret_expires_at" not in _body(public, svc.issuer)
