"""The account page over HTTP: its sign-in through authgate's own authorization endpoint,
its cookie and headers, and the profile it shows."""

from __future__ import annotations

import httpx

from authgate.runtime import Runtime
from tests.support import PASSWORD, SQLITE_ONLY, USERNAME, hidden_form
from tests.web.account.support import sign_in


@SQLITE_ONLY
async def test_unauthenticated_access_redirects_to_sign_in(http: httpx.AsyncClient) -> None:
    response = await http.get("/account")
    assert response.status_code == 302
    assert response.headers["location"] == "/account/signin?next=%2Faccount"
    start = await http.get(response.headers["location"])
    assert start.status_code == 302
    location = start.headers["location"]
    assert location.startswith("/jans-auth/restv1/authorize?")
    assert "client_id=authgate-account" in location
    assert "code_challenge_method=S256" in location
    cookie = start.headers["set-cookie"]
    assert "authgate_account_signin=" in cookie
    assert "Path=/account/callback" in cookie
    assert "HttpOnly" in cookie


@SQLITE_ONLY
async def test_sign_in_shows_the_profile(http: httpx.AsyncClient) -> None:
    page = await sign_in(http)
    assert page.status_code == 200, page.text
    assert 'id="profile-username">alice<' in page.text
    assert "alice@example.com" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # no consent page for the first-party client, and it is not a connected app
    assert "authgate-account" not in page.text


@SQLITE_ONLY
async def test_account_cookie_is_strict_and_scoped(http: httpx.AsyncClient) -> None:
    response = await http.get("/account/signin")
    response = await http.get(response.headers["location"])
    page = await http.get(response.headers["location"])
    action, fields = hidden_form(page.text)
    done = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    callback = await http.get(done.headers["location"])
    assert callback.status_code == 200, callback.text
    cookies = callback.headers.get_list("set-cookie")
    account = next(c for c in cookies if c.startswith("authgate_account="))
    assert "Path=/account" in account
    assert "SameSite=strict" in account or "SameSite=Strict" in account
    assert "HttpOnly" in account
    assert any(c.startswith('authgate_account_signin=""') for c in cookies)


@SQLITE_ONLY
async def test_callback_without_pending_sign_in_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.get("/account/callback?code=x&state=y")
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]


@SQLITE_ONLY
async def test_the_sign_in_pages_link_to_the_account_page(http: httpx.AsyncClient) -> None:
    login = await http.get("/account")
    while login.status_code == 302:
        login = await http.get(login.headers["location"])
    assert 'action="/jans-auth/login.htm"' in login.text
    assert '<a href="/account">' in login.text
    signed_out = await http.get("/jans-auth/restv1/end_session")
    assert signed_out.status_code == 200
    assert 'id="account-link"' in signed_out.text


@SQLITE_ONLY
async def test_the_security_section_lists_the_factors_and_only_routes_that_exist(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    page = await sign_in(http)
    for path, link_id in (
        ("/account/security/passkeys", "security-passkeys"),
        ("/account/security/authenticator", "security-authenticator"),
        ("/account/security/recovery-codes", "security-recovery-codes"),
    ):
        assert f'href="{path}" id="{link_id}"' in page.text
    assert 'id="factor-recovery-codes">0 unused' in page.text
    app = http._transport.app  # type: ignore[attr-defined]
    app.router.routes[:] = [
        r for r in app.router.routes if getattr(r, "path", "") != "/account/security/recovery-codes"
    ]
    page = await http.get("/account")
    assert 'id="security-recovery-codes"' not in page.text
