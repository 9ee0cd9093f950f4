"""The Config API sets the client members that registration accepts: keys for
private_key_jwt, signing algorithms, back-channel logout, PAR, request objects, the sector
identifier, with the rules of registration (/jans-config-api/api/v1/openid/clients)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.admin import paths
from authgate.admin.scopes import PROPERTIES_READ
from authgate.settings import Settings
from tests.admin.support import Api
from tests.sector_site import SectorSite
from tests.support import ISSUER, FakeClock
from tests.web.test_private_key_jwt import ASSERTION_TYPE, assertion, ec_key, jwks

SERVICE = {
    "client_name": "Billing service",
    "grant_types": ["client_credentials"],
    "response_types": [],
    "scope": [PROPERTIES_READ],
}
SPA = {
    "client_name": "Orders SPA",
    "redirect_uris": ["https://spa.example/cb"],
    "token_endpoint_auth_method": "none",
    "scope": ["openid"],
}
#: Every member this module is about, set away from its default.
MEMBERS: dict[str, Any] = {
    "backchannel_logout_uri": ["https://spa.example/backchannel"],
    "backchannel_logout_session_required": True,
    "jwks_uri": "https://spa.example/jwks.json",
    "id_token_signed_response_alg": "RS256",
    "access_token_signing_alg": "RS256",
    "access_token_as_jwt": True,
    "require_par": True,
    "par_lifetime": 90,
    "default_max_age": 3600,
    "require_auth_time": True,
    "default_acr_values": ["mfa"],
    "request_object_signing_alg": "ES256",
    "require_signed_request_object": True,
    "introspection_signed_response_alg": "RS256",
    "authorization_signed_response_alg": "PS256",
    "userinfo_signed_response_alg": "ES256",
    "id_token_encrypted_response_alg": "RSA-OAEP-256",
    "id_token_encrypted_response_enc": "A256GCM",
    "userinfo_encrypted_response_alg": "ECDH-ES",
    "userinfo_encrypted_response_enc": "A128CBC-HS256",
    "authorization_encrypted_response_alg": "ECDH-ES+A128KW",
    "authorization_encrypted_response_enc": "A128GCM",
    "introspection_encrypted_response_alg": "RSA-OAEP",
    "introspection_encrypted_response_enc": "A256CBC-HS512",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The sector site runs on 127.0.0.1 over http, which only this setting lets through."""
    return Settings(
        issuer_url=ISSUER,
        database_url=database_url,
        admin_password="admin-password-1",
        sector_identifier_allow_http_loopback=True,
    )


@pytest.fixture
def site() -> Iterator[SectorSite]:
    with SectorSite() as running:
        yield running


async def _created(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(paths.CLIENTS, body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_private_key_jwt_client_holds_no_secret_and_signs_in_with_its_key(
    api: Api, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    key = ec_key()
    body = SERVICE | {
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "jwks": jwks(key),
    }
    created = await _created(api, body)
    assert "client_secret" not in created
    assert created["has_secret"] is False
    assert created["jwks"] == jwks(key)
    client_id = created["client_id"]
    form = {
        "grant_type": "client_credentials",
        "scope": PROPERTIES_READ,
        "client_assertion_type": ASSERTION_TYPE,
    }
    signed = await http.post(
        "/jans-auth/restv1/token",
        data=form | {"client_assertion": assertion(key, client_id, clock.now())},
    )
    assert signed.status_code == 200, signed.text
    # a key the client did not register is refused
    stranger = ec_key("k2")
    refused = await http.post(
        "/jans-auth/restv1/token",
        data=form | {"client_assertion": assertion(stranger, client_id, clock.now())},
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_client"


async def test_a_client_that_stops_using_its_secret_loses_it(api: Api) -> None:
    created = await _created(api, SERVICE)
    assert created["has_secret"] is True
    changed = SERVICE | {"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(ec_key())}
    updated = await api.put(f"{paths.CLIENTS}/{created['client_id']}", changed)
    assert updated.status_code == 200, updated.text
    assert updated.json()["has_secret"] is False


async def test_every_member_is_stored_read_back_and_reset_by_a_replace(api: Api) -> None:
    created = await _created(api, SPA | MEMBERS)
    path = f"{paths.CLIENTS}/{created['client_id']}"
    fetched = (await api.get(path)).json()
    for name, value in MEMBERS.items():
        assert fetched[name] == value, name
    # PUT replaces every member: what it leaves out returns to its default
    replaced = await api.put(path, SPA)
    assert replaced.status_code == 200, replaced.text
    after = replaced.json()
    assert after["backchannel_logout_uri"] == []
    assert after["jwks_uri"] is None
    assert after["require_par"] is False
    assert after["par_lifetime"] == 600
    assert after["default_acr_values"] == []
    assert after["request_object_signing_alg"] is None
    assert after["id_token_encrypted_response_alg"] is None
    assert after["id_token_encrypted_response_enc"] is None


@pytest.mark.parametrize(
    ("members", "named"),
    [
        ({"id_token_encrypted_response_enc": "A128GCM"}, "id_token_encrypted_response_enc"),
        (
            {
                "jwks_uri": "https://spa.example/jwks.json",
                "userinfo_encrypted_response_alg": "RSA1_5",
            },
            "userinfo_encrypted_response_alg",
        ),
        (
            {"jwks": jwks(ec_key()), "id_token_encrypted_response_alg": "RSA-OAEP"},
            "jwks holds no key",
        ),
    ],
)
async def test_encryption_members_follow_the_rules_of_registration(
    api: Api, members: dict[str, Any], named: str
) -> None:
    refused = await api.post(paths.CLIENTS, SPA | members)
    assert refused.status_code == 400, refused.text
    assert named in refused.json()["error_description"]


async def test_an_alg_without_enc_is_stored_with_the_default_enc(api: Api) -> None:
    body = SPA | {"jwks": jwks(ec_key()), "id_token_encrypted_response_alg": "ECDH-ES"}
    created = await _created(api, body)
    assert created["id_token_encrypted_response_enc"] == "A128CBC-HS256"


async def test_a_jwt_access_token_for_a_client_that_asks_for_one(
    api: Api, http: httpx.AsyncClient
) -> None:
    created = await _created(api, SERVICE | {"access_token_as_jwt": True})
    response = await http.post(
        "/jans-auth/restv1/token",
        data={"grant_type": "client_credentials", "scope": PROPERTIES_READ},
        auth=(created["client_id"], created["client_secret"]),
    )
    assert response.status_code == 200, response.text
    keys = (await http.get("/jans-auth/restv1/jwks")).json()
    token = jwt.decode(response.json()["access_token"], KeySet.import_key_set(keys))
    assert token.claims["client_id"] == created["client_id"]


async def test_the_sector_identifier_document_is_fetched_and_must_list_every_redirect_uri(
    api: Api, site: SectorSite
) -> None:
    listed = site.publish("/listed.json", ["https://spa.example/cb"])
    created = await _created(api, SPA | {"sector_identifier_uri": listed})
    assert created["sector_identifier_uri"] == listed
    assert site.hits == ["/listed.json"]
    before = (await api.get(paths.CLIENTS)).json()
    other = site.publish("/other.json", ["https://other.example/cb"])
    refused = await api.post(paths.CLIENTS, SPA | {"sector_identifier_uri": other})
    assert refused.status_code == 400, refused.text
    assert "sector_identifier_uri" in refused.json()["error_description"]
    assert (await api.get(paths.CLIENTS)).json() == before
