"""Token introspection (RFC 7662): the response members, inactive tokens, who may ask and
about which tokens."""

from __future__ import annotations

import httpx
import pytest

from authgate.runtime import Runtime
from tests.lifecycle import (
    INTROSPECTION,
    REVOKE,
    basic,
    confidential_tokens,
    public_tokens,
    refresh_form,
)
from tests.support import ISSUER, SQLITE_ONLY, USERNAME, FakeClock, Flow, token_form


async def _introspect(
    http: httpx.AsyncClient, client: dict[str, str], token: str, **extra: str
) -> httpx.Response:
    return await http.post(
        INTROSPECTION,
        data={"token": token, **extra},
        headers=basic(client["client_id"], client["client_secret"]),
    )


async def test_active_access_token(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    client, tokens = await confidential_tokens(flow)
    response = await _introspect(http, client, tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    now = int(clock.now())
    assert body == {
        "active": True,
        "scope": "openid profile email",
        "client_id": client["client_id"],
        "username": USERNAME,
        "sub": body["sub"],
        "token_type": "Bearer",
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "aud": client["client_id"],
        "iss": ISSUER,
        "auth_time": now,
        "acr": "simple_password_auth",
    }
    userinfo = await http.get(
        "/jans-auth/restv1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert body["sub"] == userinfo.json()["sub"]  # the same (pairwise) subject


async def test_refresh_token(http: httpx.AsyncClient, flow: Flow) -> None:
    client, tokens = await confidential_tokens(flow)
    body = (
        await _introspect(http, client, tokens["refresh_token"], token_type_hint="refresh_token")
    ).json()
    assert body["active"] is True
    assert "token_type" not in body
    assert body["exp"] == body["iat"] + 14400
    # once rotated it is no longer active
    auth = basic(client["client_id"], client["client_secret"])
    rotated = await flow.token(
        refresh_form(client["client_id"], tokens["refresh_token"]), headers=auth
    )
    assert rotated.status_code == 200
    assert (await _introspect(http, client, tokens["refresh_token"])).json() == {"active": False}
    assert (await _introspect(http, client, rotated.json()["refresh_token"])).json()["active"]


async def test_inactive_tokens(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    client, tokens = await confidential_tokens(flow)
    assert (await _introspect(http, client, "no-such-token")).json() == {"active": False}
    revoked = await http.post(
        REVOKE,
        data={"token": tokens["access_token"]},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert revoked.status_code == 200
    assert (await _introspect(http, client, tokens["access_token"])).json() == {"active": False}
    assert (await _introspect(http, client, tokens["refresh_token"])).json()["active"] is True
    clock.advance(14401)
    assert (await _introspect(http, client, tokens["refresh_token"])).json() == {"active": False}


async def test_expired_access_token(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    client, tokens = await confidential_tokens(flow)
    clock.advance(300)
    assert (await _introspect(http, client, tokens["access_token"])).json() == {"active": False}


async def test_a_client_sees_only_its_own_tokens(http: httpx.AsyncClient, flow: Flow) -> None:
    owner, tokens = await confidential_tokens(flow)
    stranger, _ = await confidential_tokens(flow, client_name="stranger")
    body = (await _introspect(http, stranger, tokens["access_token"])).json()
    assert body == {"active": False}
    assert (await _introspect(http, owner, tokens["access_token"])).json()["active"] is True


async def test_an_audience_client_may_introspect(http: httpx.AsyncClient, flow: Flow) -> None:
    api = await flow.register(token_endpoint_auth_method="client_secret_basic", client_name="api")
    app, tokens = await confidential_tokens(flow, additional_audience=[api["client_id"]])
    body = (await _introspect(http, api, tokens["access_token"])).json()
    assert body["active"] is True
    assert body["client_id"] == app["client_id"]
    assert body["aud"] == [app["client_id"], api["client_id"]]


async def test_public_clients_cannot_introspect(http: httpx.AsyncClient, flow: Flow) -> None:
    client, tokens = await public_tokens(flow)
    response = await http.post(
        INTROSPECTION, data={"token": tokens["access_token"], "client_id": client["client_id"]}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "public clients" in response.json()["error_description"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "case", ["no credentials", "wrong secret", "unknown client", "client_id without secret"]
)
async def test_authentication_failures(http: httpx.AsyncClient, flow: Flow, case: str) -> None:
    client, tokens = await confidential_tokens(flow)
    data = {"token": tokens["access_token"]}
    headers = {
        "wrong secret": basic(client["client_id"], "wrong"),
        "unknown client": basic("nobody", "x"),
    }.get(case, {})
    if case == "client_id without secret":
        data["client_id"] = client["client_id"]
    response = await http.post(INTROSPECTION, data=data, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


@SQLITE_ONLY
async def test_malformed_requests(http: httpx.AsyncClient, flow: Flow) -> None:
    client, _ = await confidential_tokens(flow)
    auth = basic(client["client_id"], client["client_secret"])
    missing = await http.post(INTROSPECTION, data={}, headers=auth)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    as_json = await http.post(INTROSPECTION, json={"token": "x"}, headers=auth)
    assert as_json.status_code == 400
    assert (await http.get(INTROSPECTION, headers=auth)).status_code == 405


async def test_deleted_client_makes_its_tokens_inactive(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    api = await flow.register(token_endpoint_auth_method="client_secret_basic", client_name="api")
    app, tokens = await confidential_tokens(flow, additional_audience=[api["client_id"]])
    assert await runtime.services.clients.delete(app["client_id"])
    assert (await _introspect(http, api, tokens["access_token"])).json() == {"active": False}


async def test_introspection_with_client_secret_post(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_post")
    issued = await flow.code(client["client_id"])
    form = token_form(client["client_id"], issued.code, issued.verifier)
    tokens = (await flow.token(form | {"client_secret": client["client_secret"]})).json()
    credentials = {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    ok = await http.post(INTROSPECTION, data={"token": tokens["access_token"], **credentials})
    assert ok.json()["active"] is True
    # Basic is not a method this client registered
    basic_auth = await _introspect(http, client, tokens["access_token"])
    assert basic_auth.status_code == 401
