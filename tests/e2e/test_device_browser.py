"""The device verification page in headless Chromium against a real ``authgate serve``: the
device asks for a code and polls over HTTP; the user types the code on the page, signs in on
the normal login page, sees the client and its scopes, and allows; the next poll gets tokens.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import AuthgateServer
from tests.web.device_support import DEVICE_GRANT, device_registration

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

ADMIN = "admin"
DEVICE_PAGE = "/jans-auth/device_authorization.htm"
LOGIN_PAGE = "/jans-auth/login.htm"


def _start(api: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    registered = api.post("/jans-auth/restv1/register", json=device_registration())
    assert registered.status_code == 201, registered.text
    client: dict[str, Any] = registered.json()
    response = api.post(
        "/jans-auth/restv1/device_authorization",
        data={"client_id": client["client_id"], "scope": "openid profile"},
    )
    assert response.status_code == 200, response.text
    device: dict[str, Any] = response.json()
    return client, device


def _poll(api: httpx.Client, client: dict[str, Any], device: dict[str, Any]) -> httpx.Response:
    form = {
        "grant_type": DEVICE_GRANT,
        "client_id": client["client_id"],
        "device_code": device["device_code"],
    }
    return api.post("/jans-auth/restv1/token", data=form)


def _sign_in(page: Page, server: AuthgateServer) -> None:
    assert page.url.startswith(server.issuer + LOGIN_PAGE), page.url
    assert "Living Room TV" in page.inner_text("main")
    page.fill("#username", ADMIN)
    page.fill("#password", server.admin_password)
    with page.expect_navigation():
        page.click("#login")


def test_enter_the_code_sign_in_and_allow(
    page: Page, api: httpx.Client, authgate_server: AuthgateServer
) -> None:
    client, device = _start(api)
    pending = _poll(api, client, device)
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"

    entry = page.goto(device["verification_uri"])
    assert entry is not None and entry.status == 200
    assert entry.headers["x-frame-options"] == "DENY"
    page.fill("#user_code", device["user_code"].lower())  # typed in lower case
    with page.expect_navigation():
        page.click("#continue")
    _sign_in(page, authgate_server)

    assert page.url.startswith(authgate_server.issuer + DEVICE_PAGE + "?ix="), page.url
    assert page.inner_text("#client-name") == "Living Room TV"
    scopes = page.locator("#scopes li").evaluate_all("els => els.map(e => e.dataset.scope)")
    assert scopes == ["openid", "profile"]
    with page.expect_navigation():
        page.click("#approve")
    assert page.inner_text("#device-done") == "Device connected"

    tokens = _poll(api, client, device)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert {"access_token", "id_token", "refresh_token"} <= set(body)
    assert body["scope"] == "openid profile"
    again = _poll(api, client, device)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_complete_link_asks_before_it_approves_and_a_denial_reaches_the_device(
    page: Page, api: httpx.Client, authgate_server: AuthgateServer
) -> None:
    client, device = _start(api)
    page.goto(device["verification_uri_complete"])
    _sign_in(page, authgate_server)
    assert page.url.startswith(authgate_server.issuer + DEVICE_PAGE + "?ix="), page.url
    assert _poll(api, client, device).json()["error"] == "authorization_pending"
    with page.expect_navigation():
        page.click("#deny")
    assert page.inner_text("#device-done") == "Request denied"
    denied = _poll(api, client, device)
    assert denied.status_code == 400 and denied.json()["error"] == "access_denied"


def test_a_wrong_code_is_refused_on_the_page(page: Page, authgate_server: AuthgateServer) -> None:
    page.goto(authgate_server.issuer + DEVICE_PAGE)
    page.fill("#user_code", "BBBB-BBBB")
    with page.expect_navigation():
        page.click("#continue")
    assert "not valid" in page.inner_text("#device-error")
    assert page.input_value("#user_code") == "BBBB-BBBB"
