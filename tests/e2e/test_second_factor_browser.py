"""Second factors in headless Chromium against a real ``authgate serve``: TOTP enrolment
required for a client (QR page, a code computed here with pyotp, recovery codes shown once),
sign-in with TOTP, a recovery code used once, and step-up of a live password-only session
through ``acr_values=mfa``."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from typing import Any

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response

from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import (
    CONSENT_PATH,
    LOGIN_PATH,
    Attempt,
    landed,
    path_of,
    prepare,
    register,
    submit_login,
    token_request,
    verified_id_token,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

FACTOR_PATH = "/jans-auth/factor.htm"
ENROL_PATH = "/jans-auth/enrol.htm"


def add_user(server: AuthgateServer) -> tuple[str, str]:
    """A new user made with ``authgate users add`` on the server's database."""
    username, password = f"mfa-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    command = [sys.executable, "-m", "authgate", "users", "add", username,
               "--password", password, "--data-dir", str(server.data_dir)]  # fmt: skip
    subprocess.run(
        command, env=server._env(), check=True, capture_output=True, stdin=subprocess.DEVNULL
    )
    return username, password


def click_through(page: Page, selector: str) -> Response:
    with page.expect_navigation() as navigation:
        page.click(selector)
    response = navigation.value
    assert response is not None
    return response


def next_code(seed: str) -> str:
    """The code of the next time step: within the server's window (one step each way) and
    later than any step accepted before it, so never a replay."""
    return pyotp.TOTP(seed).at(int(time.time()) + 30)


def finish(page: Page, rp_site: RelyingPartySite, attempt: Attempt) -> dict[str, str]:
    """From wherever the browser is: approve consent if asked; the client's parameters."""
    if path_of(page.url) == CONSENT_PATH:
        with page.expect_navigation(url=lambda u: u.startswith(attempt.redirect_uri + "?")):
            page.click("#allow")
    return landed(page, rp_site, attempt)


def claims_of(api: httpx.Client, attempt: Attempt, code: str) -> dict[str, Any]:
    response = token_request(api, attempt, code)
    assert response.status_code == 200, response.text
    return verified_id_token(api, response.json()["id_token"], attempt)


def enrol(page: Page) -> tuple[str, list[str]]:
    """On the enrolment page: read the seed, confirm with its code, read the recovery codes
    and continue; the seed and the codes."""
    assert path_of(page.url) == ENROL_PATH
    assert page.locator("#qr svg.segno").count() == 1  # the QR code, drawn by the server
    seed = page.inner_text("#seed").replace(" ", "")
    page.fill("#code", pyotp.TOTP(seed).now())
    shown = click_through(page, "#confirm")
    assert shown.status == 200
    assert "Shown once." in page.inner_text("main")
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(set(codes)) == 10
    click_through(page, "#continue")
    return seed, codes


def fresh_sign_in(chromium: Browser, attempt: Attempt, user: tuple[str, str]) -> tuple[
    BrowserContext, Page]:  # fmt: skip
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    assert (page.goto(attempt.url) or pytest.fail("no page")).status == 200
    assert path_of(page.url) == LOGIN_PATH
    submit_login(page, *user)
    return context, page


def test_enrolment_sign_in_and_a_recovery_code_used_once(
    page: Page,
    chromium: Browser,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    user = add_user(authgate_server)
    client = register(api, rp_site.redirect_uri)
    authgate_server.configure("mfaRequiredClients", f'["{client["client_id"]}"]')
    try:
        attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
        assert (page.goto(attempt.url) or pytest.fail("no page")).status == 200
        submit_login(page, *user)
        seed, codes = enrol(page)
        claims = claims_of(api, attempt, finish(page, rp_site, attempt)["code"])
        assert (claims["acr"], claims["amr"]) == ("mfa", ["pwd", "otp", "mfa"])

        # another browser: password, then the TOTP code from the app
        attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
        context, second = fresh_sign_in(chromium, attempt, user)
        with context:
            assert path_of(second.url) == FACTOR_PATH
            assert second.inner_text("h1") == "Two-step verification"
            second.fill("#code", next_code(seed))
            click_through(second, "#verify")
            claims = claims_of(api, attempt, landed(second, rp_site, attempt)["code"])
            assert claims["acr"] == "mfa"

        # a recovery code instead, twice: the second time it is refused
        for used_before in (False, True):
            attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
            context, third = fresh_sign_in(chromium, attempt, user)
            with context:
                click_through(third, "#use-recovery")
                third.fill("#code", codes[0])
                answer = click_through(third, "#verify")
                if used_before:
                    assert answer.status == 401
                    assert third.inner_text("#factor-error") == "That code is not valid."
                    assert path_of(third.url) == FACTOR_PATH
                else:
                    claims = claims_of(api, attempt, landed(third, rp_site, attempt)["code"])
                    assert (claims["acr"], claims["amr"]) == ("mfa", ["pwd", "otp", "mfa"])
    finally:
        authgate_server.configure("mfaRequiredClients", "[]")


def test_step_up_of_a_live_password_session(
    page: Page,
    chromium: Browser,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    user = add_user(authgate_server)
    client = register(api, rp_site.redirect_uri)
    attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
    assert (page.goto(attempt.url) or pytest.fail("no page")).status == 200
    submit_login(page, *user)
    plain = claims_of(api, attempt, finish(page, rp_site, attempt)["code"])
    assert (plain["acr"], plain["amr"]) == ("simple_password_auth", ["pwd"])

    # the user sets up an authenticator in another browser, asked for by acr_values=mfa
    elsewhere = prepare(authgate_server, client["client_id"], rp_site.redirect_uri,
                        acr_values="mfa")  # fmt: skip
    context, other = fresh_sign_in(chromium, elsewhere, user)
    with context:
        seed, _codes = enrol(other)
        assert claims_of(api, elsewhere, finish(other, rp_site, elsewhere)["code"])["acr"] == "mfa"

    # back in the first browser, whose session is password-only: only the second factor
    attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri,
                      acr_values="mfa")  # fmt: skip
    factor = page.goto(attempt.url)
    assert factor is not None and path_of(factor.url) == FACTOR_PATH
    page.fill("#code", next_code(seed))
    click_through(page, "#verify")
    claims = claims_of(api, attempt, landed(page, rp_site, attempt)["code"])
    assert (claims["acr"], claims["amr"]) == ("mfa", ["pwd", "otp", "mfa"])
    assert claims["sid"] == plain["sid"]

    # the session is now strong enough: no page at all
    attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri,
                      acr_values="mfa")  # fmt: skip
    page.goto(attempt.url)
    assert claims_of(api, attempt, landed(page, rp_site, attempt)["code"])["acr"] == "mfa"
