"""Scopes (/scopes) and users (/mgt/configuser) through the Config API."""

from __future__ import annotations

import logging

import httpx
import pytest

from authgate.admin import paths
from authgate.admin.scopes import PROPERTIES_WRITE, USERS_READ
from authgate.runtime import Runtime
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api, sign_in
from tests.support import USERNAME, Browser, flow_registration_body


async def test_scope_lifecycle(api: Api) -> None:
    body = {"scope_id": "orders.read", "description": "Read orders", "claims": []}
    created = await api.post(paths.SCOPES, body)
    assert created.status_code == 201, created.text
    assert created.json() == {**body, "registrable": True}
    assert (await api.post(paths.SCOPES, body)).status_code == 409
    listed = [s["scope_id"] for s in (await api.get(paths.SCOPES)).json()]
    assert {"openid", "profile", "orders.read", PROPERTIES_WRITE} <= set(listed)
    found = (await api.get(paths.SCOPES, pattern="ORDERS")).json()
    assert [s["scope_id"] for s in found] == ["orders.read"]
    path = f"{paths.SCOPES}/orders.read"
    updated = await api.put(path, {"description": "Orders", "registrable": False})
    assert updated.status_code == 200
    assert (await api.get(path)).json()["registrable"] is False
    assert (await api.delete(path)).status_code == 204
    assert (await api.get(path)).status_code == 404
    assert (await api.delete(path)).status_code == 404


async def test_admin_scope_by_url_path_and_protection(api: Api) -> None:
    path = f"{paths.SCOPES}/{PROPERTIES_WRITE}"
    assert (await api.get(path)).json()["registrable"] is False
    response = await api.put(path, {"description": "x", "registrable": True})
    assert response.status_code == 400
    assert "registrable" in response.json()["error_description"]
    assert (await api.delete(path)).status_code == 400
    assert (await api.delete(f"{paths.SCOPES}/openid")).status_code == 400


async def test_admin_scopes_cannot_be_registered_dynamically(http: httpx.AsyncClient) -> None:
    body = {**flow_registration_body(), "scope": ["openid", PROPERTIES_WRITE]}
    refused = await http.post("/jans-auth/restv1/register", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client_metadata"
    assert PROPERTIES_WRITE in refused.json()["error_description"]
    body.pop("scope")
    client = (await http.post("/jans-auth/restv1/register", json=body)).json()
    assert PROPERTIES_WRITE not in client["scope"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"scope_id": ""}, "scope_id"),
        ({"scope_id": "has space"}, "scope_id"),
        ({"scope_id": "x", "claims": "email"}, "claims"),
        ({"scope_id": "x", "extra": 1}, "extra"),
    ],
)
async def test_invalid_scope_is_400(api: Api, body: dict[str, object], named: str) -> None:
    response = await api.post(paths.SCOPES, body)
    assert response.status_code == 400
    assert named in response.json()["error_description"]


async def test_user_lifecycle_and_password(
    api: Api, http: httpx.AsyncClient, browser: Browser
) -> None:
    body = {"username": "bob", "password": "first password", "email": "bob@example.com"}
    created = await api.post(paths.USERS, body)
    assert created.status_code == 201, created.text
    user = created.json()
    assert "password" not in user and "password_hash" not in user
    assert (await api.post(paths.USERS, body)).status_code == 409
    assert (await api.get(f"{paths.USERS}/bob")).json() == user
    found = (await api.get(paths.USERS, pattern="EXAMPLE.com")).json()
    assert {u["username"] for u in found} >= {"bob", USERNAME}

    path = f"{paths.USERS}/{user['user_id']}"
    changed = await api.patch_json(path, {"name": "Bob Builder"})
    assert changed.json()["name"] == "Bob Builder"
    assert changed.json()["email"] == "bob@example.com"

    new = await api.post(f"{path}/password", {"password": "second password"})
    assert new.status_code == 200
    await sign_in(http, browser, username="bob", password="second password")


async def test_disabling_a_user_ends_their_access(
    api: Api, http: httpx.AsyncClient, browser: Browser, runtime: Runtime
) -> None:
    tokens = await sign_in(http, browser)
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None
    assert (await api.get(paths.SESSIONS, user_id=alice.user_id)).json()
    response = await api.patch_json(f"{paths.USERS}/{USERNAME}", {"enabled": False})
    assert response.status_code == 200
    assert response.json()["enabled"] is False
    assert (await api.get(paths.SESSIONS, user_id=alice.user_id)).json() == []
    refresh = await http.post("/jans-auth/restv1/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": tokens["client_id"]})  # fmt: skip
    assert refresh.status_code == 400
    audit = (await api.get(paths.AUDIT, target_type="user")).json()
    assert audit[0]["action"] == "user.disable"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"username": "carol", "password": "short"}, "password"),
        ({"username": "", "password": "long enough"}, "username"),
        ({"password": "long enough"}, "username"),
        ({"username": "carol", "password": "long enough", "enabled": "no"}, "enabled"),
        # an integer beyond 64 bits: shown by its digits (describing it was a 500)
        ({"username": 10**30, "password": "long enough"}, "username"),
    ],
)
async def test_invalid_user_is_400(api: Api, body: dict[str, object], named: str) -> None:
    response = await api.post(paths.USERS, body)
    assert response.status_code == 400
    assert named in response.json()["error_description"]
    assert not [u for u in (await api.get(paths.USERS)).json() if u["username"] == "carol"]


async def test_a_refused_password_is_in_no_response_or_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password, short = "short12", "x2"
    responses = [
        await api.post(paths.USERS, {"username": "dave", "password": password}),
        await api.post(paths.USERS, {"username": "dave", "password": 12345678}),
        await api.post(f"{paths.USERS}/{USERNAME}/password", {"password": short}),
    ]
    for response in responses:
        assert response.status_code == 400
        assert response.json()["error_description"].startswith("Invalid request body: password:")
        assert password not in response.text and short not in response.text
        assert "12345678" not in response.text
    assert "password:" in caplog.text  # the refusals are logged, without the values
    for value in (password, short, "12345678"):
        assert value not in caplog.text


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"username": "eve smith", "password": "long enough"}, "username: use letters"),
        ({"username": "eve", "password": "long enough", "email": "eve@"}, "email: not an"),
        ({"username": USERNAME.upper(), "password": "long enough"}, "differ only in case"),
    ],
)
async def test_malformed_or_case_twin_user_is_refused(
    api: Api, body: dict[str, object], named: str
) -> None:
    response = await api.post(paths.USERS, body)
    assert response.status_code in (400, 409)
    assert named in response.json()["error_description"]
    patched = await api.patch_json(f"{paths.USERS}/{USERNAME}", {"email": "not an address"})
    assert patched.status_code == 400


async def test_user_update_errors(api: Api) -> None:
    assert (await api.patch_json(f"{paths.USERS}/nobody", {"name": "x"})).status_code == 404
    response = await api.patch_json(f"{paths.USERS}/{USERNAME}", {"enabled": None})
    assert response.status_code == 400
    short = await api.post(f"{paths.USERS}/{USERNAME}/password", {"password": "x"})
    assert short.status_code == 400


async def test_user_scopes(http: httpx.AsyncClient, token_for: TokenFactory) -> None:
    reader = Api(http, await token_for(USERS_READ))
    assert (await reader.get(paths.USERS)).status_code == 200
    assert (
        await reader.post(paths.USERS, {"username": "x", "password": "12345678"})
    ).status_code == 403
    assert (await reader.get(paths.SCOPES)).status_code == 403
