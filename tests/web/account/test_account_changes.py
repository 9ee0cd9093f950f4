"""Changes on the account page over HTTP: revoking an app (its refresh token fails at once, its
access token is inactive at introspection), ending a session (back-channel logout as at
end_session), CSRF on every form, and a fresh sign-in for changes after five minutes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.lifecycle import INTROSPECTION, basic, confidential_tokens, refresh_form
from tests.receiver import Receiver
from tests.support import SQLITE_ONLY, FakeClock, Flow, loopback_settings
from tests.web.account.support import csrf_of, sign_in


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The back-channel receiver runs on 127.0.0.1, which the outbound policy must allow."""
    return loopback_settings(database_url)


async def _introspect(http: httpx.AsyncClient, client: dict[str, Any], token: str) -> Any:
    response = await http.post(
        INTROSPECTION,
        data={"token": token},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200, response.text
    return response.json()


def _sids(html: str) -> list[str]:
    return re.findall(r'data-sid="([^"]+)"', html)


async def test_revoking_an_app_revokes_its_tokens_at_once(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client, tokens = await confidential_tokens(flow, scope=["openid", "offline_access"])
    page = await sign_in(http)
    assert f'data-client-id="{client["client_id"]}"' in page.text
    assert (await _introspect(http, client, tokens["access_token"]))["active"] is True
    response = await http.post(
        "/account/apps/revoke",
        data={"csrf": csrf_of(page.text), "client_id": client["client_id"]},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account"
    assert (await _introspect(http, client, tokens["access_token"])) == {"active": False}
    refresh = await flow.token(
        refresh_form(client["client_id"], tokens["refresh_token"]),
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"
    page = await http.get("/account")
    assert f'data-client-id="{client["client_id"]}"' not in page.text
    assert 'id="no-apps"' in page.text
    await runtime.services.events.flush()
    events = await runtime.services.events.list(kind="app_revoked")
    assert [(e.client_id, e.detail) for e in events] == [
        (client["client_id"], "revoked by the user")
    ]


async def test_ending_a_session_sends_back_channel_logout(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    async with Receiver() as rx:
        client, _ = await confidential_tokens(flow, backchannel_logout_uri=rx.url("/bcl"))
        page = await sign_in(http)
        [sid] = _sids(page.text)
        response = await http.post(
            "/account/sessions/end", data={"csrf": csrf_of(page.text), "sid": sid}
        )
        assert response.status_code == 303, response.text
        [request] = await rx.wait_for(1)
        await runtime.backchannel.drain()
    token = parse_qs(request.body.decode())["logout_token"][0]
    claims = runtime.keyring.verify(token)
    assert claims["sid"] == sid
    assert claims["aud"] == client["client_id"]
    # that was this browser's session: the account page's sign-in ended with it
    again = await http.get("/account")
    assert again.status_code == 302
    assert again.headers["location"].startswith("/account/signin")


@SQLITE_ONLY
@pytest.mark.parametrize("csrf", [None, "", "wrong"])
async def test_forms_without_the_csrf_token_are_refused(
    http: httpx.AsyncClient, flow: Flow, csrf: str | None
) -> None:
    client, tokens = await confidential_tokens(flow)
    page = await sign_in(http)
    [sid] = _sids(page.text)
    for action, field in (
        ("/account/apps/revoke", {"client_id": client["client_id"]}),
        ("/account/sessions/end", {"sid": sid}),
        ("/account/signout", {"go": "1"}),
    ):
        data = field | ({} if csrf is None else {"csrf": csrf})
        response = await http.post(action, data=data)
        assert response.status_code == 403, (action, response.text)
        assert "text/html" in response.headers["content-type"]
    page = await http.get("/account")
    assert f'data-client-id="{client["client_id"]}"' in page.text
    assert _sids(page.text) == [sid]
    assert (await _introspect(http, client, tokens["access_token"]))["active"] is True


@SQLITE_ONLY
async def test_changes_need_a_recent_sign_in(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client, tokens = await confidential_tokens(flow, scope=["openid", "offline_access"])
    page = await sign_in(http)
    csrf = csrf_of(page.text)
    clock.advance(301)  # the access token has expired by now: watch the refresh token
    assert (await http.get("/account")).status_code == 200  # reading needs no fresh sign-in
    response = await http.post(
        "/account/apps/revoke", data={"csrf": csrf, "client_id": client["client_id"]}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/signin?next=%2Faccount&fresh=1"
    start = await http.get(response.headers["location"])
    assert "prompt=login" in start.headers["location"]
    assert "max_age=0" in start.headers["location"]
    assert (await _introspect(http, client, tokens["refresh_token"]))["active"] is True
    # signing in again (the login page is shown despite the live session) allows the change
    page = await sign_in(http, "/account/signin?next=%2Faccount&fresh=1")
    assert page.status_code == 200
    response = await http.post(
        "/account/apps/revoke", data={"csrf": csrf_of(page.text), "client_id": client["client_id"]}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert (await _introspect(http, client, tokens["refresh_token"])) == {"active": False}


@SQLITE_ONLY
async def test_another_users_session_cannot_be_ended(http: httpx.AsyncClient) -> None:
    page = await sign_in(http)
    response = await http.post(
        "/account/sessions/end", data={"csrf": csrf_of(page.text), "sid": "not-mine"}
    )
    assert response.status_code == 400
    assert "No such session" in response.text


@SQLITE_ONLY
async def test_sessions_show_device_and_current(http: httpx.AsyncClient) -> None:
    http.headers["user-agent"] = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    )
    page = await sign_in(http)
    assert "Chrome 131 on Linux" in page.text
    assert 'class="current-session"' in page.text
    assert "this browser" in page.text
