"""Client management: /jans-config-api/api/v1/openid/clients."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.admin import paths
from authgate.admin.scopes import CLIENTS_READ, CLIENTS_WRITE, PROPERTIES_READ
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api, client_credentials_token
from tests.support import authorize_params, flow_registration_body, new_verifier, query_of, s256

SPA = {
    "client_name": "Orders SPA",
    "redirect_uris": ["https://spa.example/cb"],
    "token_endpoint_auth_method": "none",
    "grant_types": ["authorization_code", "refresh_token"],
    "scope": "openid profile",
}
SERVICE = {
    "client_name": "Billing service",
    "grant_types": ["client_credentials"],
    "response_types": [],
    "scope": [PROPERTIES_READ],
}


async def _create(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(paths.CLIENTS, body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_public_client_has_no_secret(api: Api) -> None:
    created = await _create(api, SPA)
    assert "client_secret" not in created
    assert created["has_secret"] is False
    assert created["scope"] == ["openid", "profile"]
    assert created["token_endpoint_auth_method"] == "none"
    fetched = (await api.get(f"{paths.CLIENTS}/{created['client_id']}")).json()
    assert fetched == created


async def test_confidential_client_secret_is_shown_once_and_works(
    api: Api, http: httpx.AsyncClient
) -> None:
    created = await _create(api, SERVICE)
    secret = created["client_secret"]
    assert created["has_secret"] is True
    fetched = (await api.get(f"{paths.CLIENTS}/{created['client_id']}")).json()
    assert "client_secret" not in fetched
    token = await client_credentials_token(http, created["client_id"], secret, [PROPERTIES_READ])
    assert (await Api(http, token).get(paths.CONFIG)).status_code == 200


async def test_list_and_search_by_name_or_id(api: Api) -> None:
    spa = await _create(api, SPA)
    await _create(api, SERVICE)
    names = [c["client_name"] for c in (await api.get(paths.CLIENTS)).json()]
    assert names == sorted(names)
    assert {"Orders SPA", "Billing service", "authgate admin (Config API)"} <= set(names)
    found = (await api.get(paths.CLIENTS, pattern="orders")).json()
    assert [c["client_id"] for c in found] == [spa["client_id"]]
    found = (await api.get(paths.CLIENTS, pattern=spa["client_id"][:13])).json()
    assert [c["client_id"] for c in found] == [spa["client_id"]]
    assert (await api.get(paths.CLIENTS, pattern="%")).json() == []
    page = (await api.get(paths.CLIENTS, limit=1, startIndex=2)).json()
    assert len(page) == 1


async def test_update_replaces_metadata_and_issues_secret_when_becoming_confidential(
    api: Api,
) -> None:
    created = await _create(api, SPA)
    path = f"{paths.CLIENTS}/{created['client_id']}"
    changed = {
        **SPA,
        "client_name": "Orders app",
        "token_endpoint_auth_method": "client_secret_post",
    }
    response = await api.put(path, changed)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["client_name"] == "Orders app"
    assert body["client_secret"]
    again = await api.put(path, {**changed, "client_name": "Orders app 2"})
    assert "client_secret" not in again.json()
    back = await api.put(path, SPA)
    assert back.json()["has_secret"] is False


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"grant_types": ["password"]}, "grant_types"),
        ({"response_types": ["code", "bogus"]}, "response_types"),
        ({"redirect_uris": ["http://evil.example/cb"]}, "redirect URI"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"scope": ["no-such-scope"]}, "scope"),
        ({"token_endpoint_auth_method": "client_secret_jwt"}, "token_endpoint_auth_method"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "private_key_jwt needs jwks"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "jwks"),
        ({"jwks_uri": "http://keys.example/jwks"}, "jwks_uri"),
        ({"id_token_signed_response_alg": "HS256"}, "id_token_signed_response_alg"),
        ({"access_token_signing_alg": "none"}, "access_token_signing_alg"),
        ({"require_signed_request_object": True}, "require_signed_request_object"),
        ({"introspection_signed_response_alg": "XX1"}, "introspection_signed_response_alg"),
        ({"authorization_signed_response_alg": "none"}, "authorization_signed_response_alg"),
        ({"userinfo_signed_response_alg": "HS256"}, "userinfo_signed_response_alg"),
        ({"backchannel_logout_uri": ["http://rp.example/bc"]}, "backchannel_logout_uri"),
        ({"post_logout_redirect_uris": ["http://evil.example/out"]}, "post_logout_redirect_uris"),
        ({"sector_identifier_uri": "http://sector.example/uris"}, "sector_identifier_uri"),
        ({"par_lifetime": 0}, "par_lifetime"),
        ({"default_max_age": -1}, "default_max_age"),
        ({"require_pkce": "yes"}, "require_pkce"),
        ({"colour": "blue"}, "colour"),
        ({"access_token_lifetime": -1}, "access_token_lifetime"),
        ({"grant_types": ["client_credentials"]}, "client_credentials"),
    ],
)
async def test_invalid_client_is_400_and_nothing_is_stored(
    api: Api, change: dict[str, Any], named: str
) -> None:
    before = (await api.get(paths.CLIENTS)).json()
    response = await api.post(paths.CLIENTS, {**SPA, **change})
    assert response.status_code == 400, response.text
    assert named in response.json()["error_description"]
    assert (await api.get(paths.CLIENTS)).json() == before


async def test_invalid_update_changes_nothing(api: Api) -> None:
    created = await _create(api, SPA)
    path = f"{paths.CLIENTS}/{created['client_id']}"
    response = await api.put(path, {**SPA, "grant_types": ["nope"]})
    assert response.status_code == 400
    assert (await api.get(path)).json() == created


async def test_not_json_is_415_and_bad_json_is_400(api: Api, http: httpx.AsyncClient) -> None:
    response = await http.post(paths.CLIENTS, content=b"x=1", headers={
        **api.headers, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert response.status_code == 415
    response = await http.post(paths.CLIENTS, content=b"{", headers={
        **api.headers, "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 400


async def test_delete_revokes_the_clients_tokens(api: Api, http: httpx.AsyncClient) -> None:
    created = await _create(api, SERVICE)
    token = await client_credentials_token(
        http, created["client_id"], created["client_secret"], [PROPERTIES_READ]
    )
    path = f"{paths.CLIENTS}/{created['client_id']}"
    assert (await api.delete(path)).status_code == 204
    assert (await api.get(path)).status_code == 404
    assert (await api.delete(path)).status_code == 404
    assert (await Api(http, token).get(paths.CONFIG)).status_code == 401


async def test_unknown_client_is_404(api: Api) -> None:
    for response in (
        await api.get(f"{paths.CLIENTS}/nope"),
        await api.put(f"{paths.CLIENTS}/nope", SPA),
        await api.delete(f"{paths.CLIENTS}/nope"),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


async def test_scopes_are_enforced_per_operation(
    http: httpx.AsyncClient, token_for: TokenFactory, api: Api, runtime: Runtime
) -> None:
    assert (await http.get(paths.CLIENTS)).status_code == 401
    reader = Api(http, await token_for(CLIENTS_READ))
    assert (await reader.get(paths.CLIENTS)).status_code == 200
    assert (await reader.post(paths.CLIENTS, SPA)).status_code == 403
    writer = Api(http, await token_for(CLIENTS_WRITE))
    assert (await writer.get(paths.CLIENTS)).status_code == 403
    created = (await writer.post(paths.CLIENTS, SPA)).json()
    assert (await writer.delete(f"{paths.CLIENTS}/{created['client_id']}")).status_code == 403
    assert (await api.get(f"{paths.CLIENTS}/{created['client_id']}")).status_code == 200


async def test_disabled_admin_client_token_stops_working(api: Api, runtime: Runtime) -> None:
    admin_id = runtime.first_start.admin_client_id
    path = f"{paths.CLIENTS}/{admin_id}"
    current = (await api.get(path)).json()
    body = {k: current[k] for k in ("client_name", "grant_types", "response_types", "scope",
                                    "token_endpoint_auth_method")}  # fmt: skip
    response = await api.put(path, {**body, "disabled": True})
    assert response.status_code == 200, response.text
    assert (await api.get(paths.CONFIG)).status_code == 401


@pytest.mark.parametrize(
    "attributes",
    [{"tenant": "v" * 1025}, {"t" * 129: "v"}, {"": "v"}],
    ids=["long-value", "long-name", "empty-name"],
)
async def test_custom_attributes_beyond_what_a_client_holds_are_refused(
    api: Api, attributes: dict[str, str]
) -> None:
    response = await api.post(paths.CLIENTS, SPA | {"custom_attributes": attributes})
    assert response.status_code == 400, response.text
    assert "custom_attributes" in response.text


async def test_errors_for_an_administrator_client_are_redirected(
    api: Api, http: httpx.AsyncClient
) -> None:
    """RFC 6749 §4.1.2.1 for clients an administrator created, even for a visitor nobody
    signed in: only dynamically registered clients get the error page (RFC 9700 §4.11.2)."""
    created = await _create(api, SPA)
    params = authorize_params(
        created["client_id"],
        s256(new_verifier()),
        "S256",
        redirect_uri=SPA["redirect_uris"][0],
        prompt="none",
    )
    response = await http.get("/jans-auth/restv1/authorize", params=params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("https://spa.example/cb?")
    assert query_of(location)["error"] == "login_required"


async def test_no_client_secret_or_registration_token_is_ever_read_back(
    api: Api, http: httpx.AsyncClient
) -> None:
    """A secret is shown once, to whoever created it; reads show only ``has_secret``."""
    registered = await http.post(
        "/jans-auth/restv1/register",
        json=flow_registration_body() | {"token_endpoint_auth_method": "client_secret_basic"},
    )
    assert registered.status_code == 201, registered.text
    created = await _create(api, SERVICE)
    secrets = [
        registered.json()["client_secret"],
        registered.json()["registration_access_token"],
        created["client_secret"],
    ]
    reads = [
        await api.get(paths.CLIENTS),
        await api.get(f"{paths.CLIENTS}/{registered.json()['client_id']}"),
        await api.get(f"{paths.CLIENTS}/{created['client_id']}"),
        await api.get(paths.AUDIT),
    ]
    for response in reads:
        assert response.status_code == 200, response.text
        for secret in secrets:
            assert secret not in response.text
    clients = [*reads[0].json(), reads[1].json(), reads[2].json()]
    for client in clients:
        assert not {"client_secret", "secret_hash", "registration_token_hash"} & set(client)
    assert reads[1].json()["has_secret"] is True


async def test_creation_and_deletion_are_security_events(api: Api, runtime: Runtime) -> None:
    created = await _create(api, SERVICE)
    assert (await api.delete(f"{paths.CLIENTS}/{created['client_id']}")).status_code == 204
    await runtime.services.events.flush()
    events = [
        e for e in await runtime.services.events.list() if e.client_id == created["client_id"]
    ]
    assert [(e.kind, e.source, e.detail) for e in events] == [
        (EventKind.CLIENT_DELETED, "127.0.0.1", "deleted by an administrator"),
        (EventKind.CLIENT_REGISTERED, "127.0.0.1", "created by an administrator"),
    ]
    assert created["client_secret"] not in repr(events)


async def test_frontchannel_logout_members(api: Api) -> None:
    """Set, validated like at registration (same origin as a redirect URI, https), read back."""
    body = SPA | {
        "frontchannel_logout_uri": "https://spa.example/fc",
        "frontchannel_logout_session_required": True,
    }
    created = await _create(api, body)
    assert created["frontchannel_logout_uri"] == "https://spa.example/fc"
    assert created["frontchannel_logout_session_required"] is True
    for bad in ("https://elsewhere.example/fc", "https://spa.example/fc#x"):
        refused = await api.post(paths.CLIENTS, SPA | {"frontchannel_logout_uri": bad})
        assert refused.status_code == 400, refused.text
        assert "frontchannel_logout_uri" in refused.json()["error_description"]
