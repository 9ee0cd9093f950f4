"""The account page's authenticator apps in headless Chromium against a real ``authgate
serve``: a user signed in with the password adds an authenticator app on the account page
(the QR page, a code computed here with pyotp, recovery codes shown once), sees it in the
Security section, and the next sign-in asks for its code on the second-factor page."""

from __future__ import annotations

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser

from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import CONSENT_PATH, path_of, prepare, register
from tests.e2e.test_second_factor_browser import (
    FACTOR_PATH,
    add_user,
    claims_of,
    click_through,
    finish,
    fresh_sign_in,
    next_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

APPS_PATH = "/account/security/authenticator"


def test_an_authenticator_app_added_on_the_account_page_signs_in(
    chromium: Browser,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    user = add_user(authgate_server)
    client = register(api, rp_site.redirect_uri)
    attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
    context, page = fresh_sign_in(chromium, attempt, user)
    with context:
        assert path_of(page.url) == CONSENT_PATH  # no factor yet: the password is enough
        claims = claims_of(api, attempt, finish(page, rp_site, attempt)["code"])
        assert claims["acr"] == "simple_password_auth"

        # the login session signs the account page in; the page comes back to the apps page
        page.goto(f"{authgate_server.issuer}{APPS_PATH}")
        page.wait_for_url(f"{authgate_server.issuer}{APPS_PATH}")
        assert page.locator("#no-authenticators").count() == 1
        click_through(page, "#authenticator-add")
        assert page.locator("#qr svg.segno").count() == 1  # drawn by the server
        seed = page.inner_text("#seed").replace(" ", "")
        page.fill("#name", "Work phone")
        page.fill("#code", pyotp.TOTP(seed).now())
        click_through(page, "#confirm")
        assert "New recovery codes, shown once." in page.inner_text("main")
        assert len(set(page.locator("#recovery-codes code").all_inner_texts())) == 10
        click_through(page, "#back-to-account")
        assert page.inner_text("#factor-authenticators") == "Work phone"
        assert page.inner_text("#factor-recovery-codes") == "10 unused"

    # another browser: the password, then the code of the app added on the account page
    attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
    context, page = fresh_sign_in(chromium, attempt, user)
    with context:
        assert path_of(page.url) == FACTOR_PATH
        page.fill("#code", next_code(seed))
        click_through(page, "#verify")
        claims = claims_of(api, attempt, finish(page, rp_site, attempt)["code"])
        assert (claims["acr"], claims["amr"]) == ("mfa", ["pwd", "otp", "mfa"])
