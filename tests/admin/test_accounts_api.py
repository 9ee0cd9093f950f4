"""A user's grants and sessions through the Config API (/mgt/configuser/{user}/grants and
/sessions): revocation takes the client's tokens at once, ending a session is logout with
back-channel logout, scopes, the audit log and security events, and no secret in a response."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from authgate.admin import paths
from authgate.admin.scopes import SESSIONS_READ, USERS_READ
from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api
from tests.lifecycle import INTROSPECTION, basic, confidential_tokens, refresh_form
from tests.receiver import Receiver
from tests.support import SQLITE_ONLY, USERNAME, Flow, loopback_settings

USER = f"{paths.USERS}/{USERNAME}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The back-channel receiver runs on 127.0.0.1, which the outbound policy must allow."""
    return loopback_settings(database_url)


async def _active(http: httpx.AsyncClient, client: dict[str, Any], token: str) -> bool:
    response = await http.post(
        INTROSPECTION,
        data={"token": token},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    return bool(response.json()["active"])


async def test_grants_list_and_revoke(
    api: Api, http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client, tokens = await confidential_tokens(
        flow, client_name="Photos", scope=["openid", "offline_access"]
    )
    listed = await api.get(f"{USER}/grants")
    assert listed.status_code == 200, listed.text
    [grant] = listed.json()
    assert grant["client_id"] == client["client_id"]
    assert grant["client_name"] == "Photos"
    assert "openid" in grant["scope"]

    revoked = await api.delete(f"{USER}/grants/{client['client_id']}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"client_id": client["client_id"], "tokens_revoked": 2}
    assert not await _active(http, client, tokens["access_token"])
    refresh = await flow.token(
        refresh_form(client["client_id"], tokens["refresh_token"]),
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert refresh.status_code == 400
    assert (await api.get(f"{USER}/grants")).json() == []
    again = await api.delete(f"{USER}/grants/{client['client_id']}")
    assert again.status_code == 404
    assert again.json()["error"] == "not_found"

    audit = (await api.get(paths.AUDIT, target_type="user")).json()
    assert audit[0]["action"] == "grant.revoke"
    assert audit[0]["before"] == {"client_id": client["client_id"]}
    await runtime.services.events.flush()
    [event] = await runtime.services.events.list(kind="app_revoked")
    assert event.detail == "revoked by the administrator"
    assert event.client_id == client["client_id"]
    for value in (tokens["access_token"], tokens["refresh_token"], client["client_secret"]):
        assert value not in str(audit)


async def test_revoke_all_grants(api: Api, flow: Flow) -> None:
    first, _ = await confidential_tokens(flow)
    second, _ = await confidential_tokens(flow)
    response = await api.delete(f"{USER}/grants")
    assert response.status_code == 200, response.text
    assert sorted(response.json()["revoked"]) == sorted([first["client_id"], second["client_id"]])
    assert (await api.get(f"{USER}/grants")).json() == []


async def test_sessions_list_and_end_with_back_channel_logout(
    api: Api, http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    async with Receiver() as rx:
        client, _ = await confidential_tokens(flow, backchannel_logout_uri=rx.url("/bcl"))
        listed = await api.get(f"{USER}/sessions")
        assert listed.status_code == 200, listed.text
        [session] = listed.json()
        assert set(session) == {"sid", "auth_time", "expires_at", "last_used_at", "acr",
                                "amr", "user_agent"}  # fmt: skip
        assert session["user_agent"].startswith("python-httpx/")
        ended = await api.delete(f"{USER}/sessions/{session['sid']}")
        assert ended.status_code == 204, ended.text
        [request] = await rx.wait_for(1)
        await runtime.backchannel.drain()
    token = parse_qs(request.body.decode())["logout_token"][0]
    claims = runtime.keyring.verify(token)
    assert claims["sid"] == session["sid"]
    assert claims["aud"] == client["client_id"]
    assert (await api.get(f"{USER}/sessions")).json() == []
    assert (await api.delete(f"{USER}/sessions/{session['sid']}")).status_code == 404
    audit = (await api.get(paths.AUDIT, target_type="session")).json()
    assert audit[0]["action"] == "session.end"
    await runtime.services.events.flush()
    [event] = await runtime.services.events.list(kind="session_ended")
    assert event.detail == "ended by the administrator"


@SQLITE_ONLY
async def test_end_every_session(api: Api, flow: Flow) -> None:
    await confidential_tokens(flow)
    flow.browser.http.cookies.clear()
    await confidential_tokens(flow)
    assert len((await api.get(f"{USER}/sessions")).json()) == 2
    response = await api.delete(f"{USER}/sessions")
    assert response.status_code == 200, response.text
    assert response.json() == {"ended": 2}
    assert (await api.get(f"{USER}/sessions")).json() == []


@SQLITE_ONLY
async def test_scopes_and_unknown_users(
    http: httpx.AsyncClient, token_for: TokenFactory, api: Api
) -> None:
    readers = Api(http, await token_for(USERS_READ, SESSIONS_READ))
    assert (await readers.get(f"{USER}/grants")).status_code == 200
    assert (await readers.get(f"{USER}/sessions")).status_code == 200
    assert (await readers.delete(f"{USER}/grants")).status_code == 403
    assert (await readers.delete(f"{USER}/sessions")).status_code == 403
    no_sessions = Api(http, await token_for(USERS_READ))
    assert (await no_sessions.get(f"{USER}/sessions")).status_code == 403
    assert (await api.get(f"{paths.USERS}/nobody/grants")).status_code == 404
    assert (await api.get(f"{paths.USERS}/nobody/sessions")).status_code == 404
