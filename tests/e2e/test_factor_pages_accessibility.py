"""The second-factor and passkey pages in headless Chromium against a real ``authgate
serve``, in German (``Accept-Language: de-DE``) at 390x844: the login page's passkey button,
TOTP enrolment and its error, the recovery codes shown once, the factor page and its error,
the recovery-code method, and the account's factor pages pass axe-core with no serious or
critical violation, fit the phone's width, and put the focus on the field in error."""

from __future__ import annotations

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.accessibility import MOBILE, assert_accessible, axe_source, fits_the_viewport
from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import path_of, prepare, register, submit_login
from tests.e2e.test_second_factor_browser import (
    ENROL_PATH,
    FACTOR_PATH,
    add_user,
    click_through,
    finish,
    next_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]


class Checker:
    def __init__(self, page: Page, axe: str) -> None:
        self.page, self.axe = page, axe
        self.seen: list[str] = []

    def __call__(self, state: str) -> None:
        assert self.page.evaluate("document.documentElement.lang") == "de", state
        assert_accessible(self.page, self.axe)
        assert fits_the_viewport(self.page), f"{state} scrolls sideways at 390 px"
        self.seen.append(state)


def test_factor_pages_in_german_on_a_phone(
    chromium: Browser,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    axe = axe_source()
    issuer = authgate_server.issuer
    user = add_user(authgate_server)
    client = register(api, rp_site.redirect_uri)
    authgate_server.configure("mfaRequiredClients", f'["{client["client_id"]}"]')
    try:
        attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
        ctx = chromium.new_context(viewport=MOBILE, locale="de-DE")
        with ctx:
            page = ctx.new_page()
            page.set_default_timeout(15_000)
            check = Checker(page, axe)
            page.goto(attempt.url)
            assert page.inner_text("#passkey-login") == "Mit einem Passkey anmelden"
            check("sign-in with the passkey button")
            submit_login(page, *user)
            assert path_of(page.url) == ENROL_PATH
            assert page.inner_text("h1") == "Bestätigung in zwei Schritten einrichten"
            check("enrolment")
            page.fill("#code", "000000")
            assert click_through(page, "#confirm").status == 401
            assert page.inner_text("#enrol-error") == "Dieser Code ist ungültig."
            assert page.evaluate("document.activeElement.id") == "code"
            check("enrolment error")
            seed = page.inner_text("#seed").replace(" ", "")
            page.fill("#code", pyotp.TOTP(seed).now())
            click_through(page, "#confirm")
            assert page.inner_text("h1") == "Ihre Wiederherstellungscodes"
            check("recovery codes shown once")
            click_through(page, "#continue")
            finish(page, rp_site, attempt)

            for path, state in (
                ("/account", "account with factors"),
                ("/account/security/authenticator", "authenticator apps"),
                ("/account/security/authenticator/add", "add an authenticator app"),
                ("/account/security/recovery-codes", "recovery codes"),
                ("/account/security/passkeys", "passkeys"),
            ):
                page.goto(issuer + path)
                page.wait_for_url(issuer + path)  # the first signs in to the account page
                check(state)
            assert len(check.seen) == 9

        attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
        ctx = chromium.new_context(viewport=MOBILE, locale="de-DE")
        with ctx:
            page = ctx.new_page()
            page.set_default_timeout(15_000)
            check = Checker(page, axe)
            page.goto(attempt.url)
            submit_login(page, *user)
            assert path_of(page.url) == FACTOR_PATH
            assert page.inner_text("h1") == "Bestätigung in zwei Schritten"
            check("factor page")
            page.fill("#code", "000000")
            assert click_through(page, "#verify").status == 401
            assert page.inner_text("#factor-error") == "Dieser Code ist ungültig."
            assert page.evaluate("document.activeElement.id") == "code"
            assert page.get_attribute("#code", "aria-invalid") == "true"
            check("factor error")
            click_through(page, "#use-recovery")
            assert page.inner_text("label[for=code]") == "Einer Ihrer Wiederherstellungscodes"
            check("recovery code method")
            assert len(check.seen) == 3
            click_through(page, "#use-totp")
            page.fill("#code", next_code(seed))
            click_through(page, "#verify")
            finish(page, rp_site, attempt)
    finally:
        authgate_server.configure("mfaRequiredClients", "[]")
