"""The account page in headless Chromium against a real ``authgate serve``: sign in to
/account (through the server's own authorization endpoint), see the app approved in a flow,
revoke it on the page, and the app's refresh token fails at once."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import (
    LOGIN_PATH,
    path_of,
    prepare,
    register,
    sign_in_and_consent,
    submit_login,
    token_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]


def _refresh(api: httpx.Client, client_id: str, refresh_token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    return api.post("/jans-auth/restv1/token", data=form)


def test_revoke_an_app_on_the_account_page(
    page: Page, api: httpx.Client, authgate_server: AuthgateServer, rp_site: RelyingPartySite
) -> None:
    client = register(api, rp_site.redirect_uri)
    attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
    params = sign_in_and_consent(page, authgate_server, rp_site, attempt)
    tokens = token_request(api, attempt, params["code"]).json()
    assert "refresh_token" in tokens, tokens

    # the login session signs the account page in without a login page or consent page
    page.goto(f"{authgate_server.issuer}/account")
    page.wait_for_url(f"{authgate_server.issuer}/account")
    assert page.inner_text("#profile-username") == "admin"
    row = page.locator(f'tr[data-client-id="{client["client_id"]}"]')
    assert row.count() == 1
    assert "openid" in row.inner_text()
    assert page.locator("tr.current-session").count() == 1
    assert "HeadlessChrome" in page.locator("tr.current-session").inner_text()

    with page.expect_navigation():
        row.locator("button.revoke-app").click()
    assert path_of(page.url) == "/account"
    assert page.locator(f'tr[data-client-id="{client["client_id"]}"]').count() == 0
    assert page.locator("#no-apps").count() == 1

    refreshed = _refresh(api, client["client_id"], tokens["refresh_token"])
    assert refreshed.status_code == 400, refreshed.text
    assert refreshed.json()["error"] == "invalid_grant"


def test_account_page_from_a_fresh_browser_asks_to_log_in(
    page: Page, authgate_server: AuthgateServer
) -> None:
    login = page.goto(f"{authgate_server.issuer}/account")
    assert login is not None
    assert path_of(page.url) == LOGIN_PATH
    submit_login(page, "admin", authgate_server.admin_password)
    page.wait_for_url(f"{authgate_server.issuer}/account")
    assert page.inner_text("#profile-username") == "admin"
    # the account cookie is HttpOnly, SameSite=Strict and scoped to /account
    [cookie] = [c for c in page.context.cookies() if c["name"] == "authgate_account"]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/account"
    # signing out of the page keeps the login session: the next visit signs in silently
    with page.expect_navigation():
        page.click("#account-signout")
    assert page.locator("#account-signed-out").count() == 1
    page.goto(f"{authgate_server.issuer}/account")
    page.wait_for_url(f"{authgate_server.issuer}/account")
    assert page.inner_text("#profile-username") == "admin"
