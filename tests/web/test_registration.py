"""Dynamic client registration (RFC 7591) in the flow document's shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from authgate.runtime import Runtime
from authgate.storage.models import CLIENTS
from tests.conftest import patch_config
from tests.support import ISSUER, REDIRECT_URI, SQLITE_ONLY, FakeClock, flow_registration_body

REGISTER = "/jans-auth/restv1/register"

# Every member of the flow document's registration response, minus the two authgate
# deliberately omits for a public client (client_secret, client_secret_expires_at), plus
# require_pkce (shown by newer Janssen versions).
FLOW_DOCUMENT_MEMBERS = {
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
    "redirect_uris",
    "redirect_uris_regex",
    "additional_audience",
    "frontchannel_logout_session_required",
    "access_token_signing_alg",
    "response_types",
    "require_pkce",
}


COUNT_CLIENTS = select(func.count().label("n")).select_from(CLIENTS)


async def _count_clients(runtime: Runtime) -> int:
    row = await runtime.db.fetch_one(COUNT_CLIENTS, {})
    assert row is not None
    return int(row["n"])


async def test_flow_document_registration(http: httpx.AsyncClient, clock: FakeClock) -> None:
    response = await http.post(REGISTER, json=flow_registration_body())
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert set(body) == FLOW_DOCUMENT_MEMBERS
    assert body["grant_types"] == ["implicit", "refresh_token", "authorization_code"]
    assert body["response_types"] == ["code", "token", "id_token"]
    assert body["scope"] == "email openid profile"
    assert body["token_endpoint_auth_method"] == "none"
    assert body["subject_type"] == "pairwise"
    assert body["id_token_signed_response_alg"] == "RS256"
    assert body["access_token_signing_alg"] == "RS256"
    assert body["par_lifetime"] == 600
    assert body["backchannel_logout_uri"] == []
    assert body["redirect_uris"] == [REDIRECT_URI]
    assert body["redirect_uris_regex"] == ""
    assert body["client_id_issued_at"] == int(clock.now())
    assert body["registration_client_uri"] == f"{ISSUER}{REGISTER}?client_id={body['client_id']}"
    assert "client_secret" not in body  # RFC 7591: no secret for token_endpoint_auth_method none
    assert len(body["registration_access_token"]) >= 43


async def test_scope_as_string_equals_scope_as_array(http: httpx.AsyncClient) -> None:
    a = (
        await http.post(REGISTER, json=flow_registration_body() | {"scope": "openid profile email"})
    ).json()
    b = (await http.post(REGISTER, json=flow_registration_body())).json()
    assert a["scope"] == b["scope"] == "email openid profile"


async def test_unknown_scopes_are_refused(http: httpx.AsyncClient) -> None:
    """Never dropped silently (tests/web/test_registration_refusals.py has the rest)."""
    body = flow_registration_body() | {"scope": ["openid", "invalid_scope", "admin"]}
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert "['invalid_scope', 'admin']" in response.json()["error_description"]


async def test_no_scope_gets_registrable_scopes(http: httpx.AsyncClient) -> None:
    body = flow_registration_body()
    del body["scope"]
    response = await http.post(REGISTER, json=body)
    assert response.json()["scope"] == "email offline_access openid profile"


async def test_confidential_client_gets_a_secret(http: httpx.AsyncClient, runtime: Runtime) -> None:
    body = flow_registration_body() | {"token_endpoint_auth_method": "client_secret_basic"}
    response = await http.post(REGISTER, json=body)
    data = response.json()
    assert len(data["client_secret"]) >= 43
    assert data["client_secret_expires_at"] == 0
    # only a hash is stored
    client = await runtime.services.clients.get(data["client_id"])
    assert client is not None
    assert client.secret_hash != data["client_secret"]
    assert data["client_secret"] not in str(client)


async def test_lifetime_sets_expiry(
    http: httpx.AsyncClient, clock: FakeClock, runtime: Runtime
) -> None:
    await patch_config(runtime, dynamicRegistrationExpirationTime=86400)
    body = flow_registration_body() | {"token_endpoint_auth_method": "client_secret_post"}
    data = (await http.post(REGISTER, json=body)).json()
    assert data["client_secret_expires_at"] == int(clock.now()) + 86400


async def test_default_auth_method_is_client_secret_basic(http: httpx.AsyncClient) -> None:
    body = flow_registration_body()
    del body["token_endpoint_auth_method"]
    assert (await http.post(REGISTER, json=body)).json()[
        "token_endpoint_auth_method"
    ] == "client_secret_basic"


async def test_autofix_off_keeps_requested_types(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, grantTypesAndResponseTypesAutofixEnabled=False)
    data = (await http.post(REGISTER, json=flow_registration_body())).json()
    assert data["grant_types"] == ["authorization_code"]


async def test_native_client_with_private_scheme_and_loopback(http: httpx.AsyncClient) -> None:
    body = flow_registration_body() | {
        "application_type": "native",
        "redirect_uris": ["com.example.app:/callback"],
        "subject_type": "public",
    }
    assert (await http.post(REGISTER, json=body)).status_code == 201
    body["redirect_uris"] = ["http://127.0.0.1/callback", "http://[::1]/callback"]
    assert (await http.post(REGISTER, json=body)).status_code == 201


def _bad(**overrides: Any) -> dict[str, Any]:
    return flow_registration_body() | overrides


INVALID_REGISTRATIONS = [
    (_bad(redirect_uris=["https://app.example/cb#frag"]), "invalid_redirect_uri", "fragment"),
    (_bad(redirect_uris=["http://app.example/cb"]), "invalid_redirect_uri", "non-loopback"),
    (_bad(redirect_uris=["myapp://cb"]), "invalid_redirect_uri", "web clients must use https"),
    (
        _bad(redirect_uris=["https://user@app.example/cb"]),
        "invalid_redirect_uri",
        "user information",
    ),
    (_bad(redirect_uris=["/relative"]), "invalid_redirect_uri", "absolute"),
    (_bad(redirect_uris=[]), "invalid_redirect_uri", "required"),
    (_bad(redirect_uris="https://app.example/cb"), "invalid_redirect_uri", "redirect_uris"),
    (
        _bad(redirect_uris=["https://a.example/cb", "https://b.example/cb"]),
        "invalid_redirect_uri",
        "sector_identifier_uri",
    ),
    (_bad(application_type="desktop"), "invalid_client_metadata", "application_type"),
    (
        _bad(token_endpoint_auth_method="client_secret_jwt"),
        "invalid_client_metadata",
        "token_endpoint_auth_method",
    ),
    (
        _bad(token_endpoint_auth_method="private_key_jwt"),
        "invalid_client_metadata",
        "needs jwks or jwks_uri",
    ),
    (_bad(subject_type="anonymous"), "invalid_client_metadata", "subject_type"),
    (
        _bad(id_token_signed_response_alg="none"),
        "invalid_client_metadata",
        "id_token_signed_response_alg",
    ),
    (_bad(require_pkce="yes"), "invalid_client_metadata", "require_pkce"),
    (_bad(scope=[1, 2]), "invalid_client_metadata", "scope"),
    (_bad(redirect_uris_regex=".*"), "invalid_client_metadata", "redirect_uris_regex"),
    (_bad(par_lifetime=-5), "invalid_client_metadata", "par_lifetime"),
]


@SQLITE_ONLY  # refused before anything is written; the count of clients says so
@pytest.mark.parametrize(
    ("body", "error", "needle"),
    INVALID_REGISTRATIONS,
    ids=[needle for _, _, needle in INVALID_REGISTRATIONS],
)
async def test_invalid_registrations_store_nothing(
    http: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], error: str, needle: str
) -> None:
    before = await _count_clients(runtime)
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert needle in response.json()["error_description"]
    assert await _count_clients(runtime) == before


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1,2]", "application/json"),
        (b"client_name=x", "application/x-www-form-urlencoded"),
        (b"\xff", "application/json"),
    ],
    ids=["broken JSON", "JSON array", "form body", "invalid UTF-8"],
)
async def test_malformed_bodies(
    http: httpx.AsyncClient, runtime: Runtime, content: bytes, content_type: str
) -> None:
    before = await _count_clients(runtime)  # the Config API admin client exists from the start
    response = await http.post(REGISTER, content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert await _count_clients(runtime) == before


async def test_none_refused_when_not_supported(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, tokenEndpointAuthMethodsSupported=["client_secret_basic"])
    response = await http.post(REGISTER, json=flow_registration_body())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


async def test_registration_can_be_disabled(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, dynamicRegistrationEnabled=False)
    response = await http.post(REGISTER, json=flow_registration_body())
    assert response.status_code == 403
    assert response.json()["error"] == "access_denied"
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert "registration_endpoint" not in discovery


async def test_client_cannot_choose_its_id(http: httpx.AsyncClient) -> None:
    body = flow_registration_body() | {"client_id": "admin", "client_secret": "chosen"}
    data = (await http.post(REGISTER, json=body)).json()
    assert data["client_id"] != "admin"
    assert "client_secret" not in data


async def test_client_name_defaults_to_redirect_host(http: httpx.AsyncClient) -> None:
    body = flow_registration_body()
    del body["client_name"]
    assert (await http.post(REGISTER, json=body)).json()["client_name"] == "127.0.0.1"


async def test_blacklisted_redirect(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, clientBlackList=["*.attacker.com/*"])
    response = await http.post(REGISTER, json=_bad(redirect_uris=["https://www.attacker.com/cb"]))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"
