"""The self-service pages (sign-up, email verification, password reset, profile) in headless
Chromium against a real ``authgate serve`` that mails through a real SMTP server (aiosmtpd),
in German (``Accept-Language: de-DE``) at 390x844: axe-core finds no serious or critical
violation on any page or state, nothing scrolls sideways, the field in error has the focus."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.accessibility import MOBILE, assert_accessible, axe_source, fits_the_viewport
from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import prepare, register
from tests.mail_server import MailServer, link_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

NEW_PASSWORD = "a long and rare passphrase 1"
OTHER_PASSWORD = "another long and rare passphrase 2"


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def selfservice_server(
    tmp_path_factory: pytest.TempPathFactory, mail: MailServer
) -> Iterator[AuthgateServer]:
    base = tmp_path_factory.mktemp("authgate-selfservice")
    server = AuthgateServer(
        data_dir=base / "data",
        admin_password=secrets.token_urlsafe(12),
        environment=mail.environment(),
    )
    try:
        server.start()
        server.configure(
            "selfServiceSignUpEnabled", "true",
            "selfServiceEmailVerificationRequired", "true",
            "selfServicePasswordResetEnabled", "true",
            "selfServiceProfileChangesEnabled", "true",
        )  # fmt: skip
        yield server
    finally:
        server.stop()


class Checker:
    def __init__(self, page: Page, axe: str) -> None:
        self.page, self.axe = page, axe
        self.seen: list[str] = []

    def __call__(self, state: str) -> None:
        assert self.page.evaluate("document.documentElement.lang") == "de", state
        assert_accessible(self.page, self.axe)
        assert fits_the_viewport(self.page), f"{state} scrolls sideways at 390 px"
        self.seen.append(state)


def _submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.click(button)


def test_self_service_pages_in_german_on_a_phone(
    chromium: Browser,
    selfservice_server: AuthgateServer,
    mail: MailServer,
    rp_site: RelyingPartySite,
) -> None:
    issuer = selfservice_server.issuer
    axe = axe_source()
    with httpx.Client(base_url=issuer, timeout=10.0) as api:
        client = register(api, rp_site.redirect_uri)
    attempt = prepare(selfservice_server, client["client_id"], rp_site.redirect_uri)
    ctx = chromium.new_context(viewport=MOBILE, locale="de-DE")
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        check = Checker(page, axe)

        page.goto(attempt.url)
        assert page.inner_text("#reset-link") == "Passwort vergessen?"
        assert page.inner_text("#signup-link") == "Ein Konto erstellen"
        check("sign-in with self-service links")

        page.goto(attempt.url + "&prompt=create")
        assert page.inner_text("h1") == "Ein Konto erstellen"
        check("sign-up")
        page.fill("#username", "berta")
        page.fill("#email", "berta@example.com")
        page.fill("#name", "Berta")
        page.fill("#password", "password")
        _submit(page, "#signup")
        assert (
            page.inner_text("#signup-error") == "Wählen Sie ein Passwort mit mindestens 12 Zeichen."
        )
        assert page.evaluate("document.activeElement.id") == "password"
        assert page.get_attribute("#password", "aria-invalid") == "true"
        check("sign-up error")
        page.fill("#password", NEW_PASSWORD)
        _submit(page, "#signup")
        assert page.locator("#signup-verify").count() == 1
        check("sign-up: confirm your address")

        confirmation = mail.wait_for("berta@example.com")
        # the mail is in the language of the page that sent it
        assert confirmation["Subject"] == "E-Mail-Adresse bestätigen"
        assert confirmation.get_content().startswith("Hallo Berta,")
        link = link_in(confirmation)
        page.goto(link)
        assert page.inner_text("h1") == "E-Mail-Adresse bestätigen"
        check("confirm the address")
        _submit(page, "#confirm-email")
        assert page.locator("#email-verified").count() == 1
        check("address confirmed")
        page.goto(link)
        assert page.locator("#link-error").count() == 1
        check("used link")

        page.goto(f"{issuer}/jans-auth/reset-password.htm")
        check("reset request")
        page.fill("#identifier", "berta")
        _submit(page, "#reset-request")
        assert page.locator("#reset-sent").count() == 1
        check("reset sent")
        reset = mail.wait_for("berta@example.com", count=2)
        assert reset["Subject"] == "Passwort zurücksetzen"
        page.goto(link_in(reset))
        check("choose a new password")
        page.fill("#password", OTHER_PASSWORD)
        page.fill("#password2", OTHER_PASSWORD + "x")
        _submit(page, "#set-password")
        assert page.inner_text("#password-error") == "Die beiden Passwörter stimmen nicht überein."
        assert page.evaluate("document.activeElement.id") == "password"
        check("new password error")
        page.fill("#password", OTHER_PASSWORD)
        page.fill("#password2", OTHER_PASSWORD)
        _submit(page, "#set-password")
        assert page.locator("#password-reset-done").count() == 1
        check("password changed")

        page.goto(f"{issuer}/account/profile")
        page.fill("#username", "berta")
        page.fill("#password", OTHER_PASSWORD)
        with page.expect_navigation(url=f"{issuer}/account/profile"):
            page.click("#login")
        assert page.inner_text("h1") == "Ihr Profil"
        check("profile")
        page.fill("#current", "wrong password")
        page.fill("#password", NEW_PASSWORD)
        page.fill("#password2", NEW_PASSWORD)
        _submit(page, "#save-password")
        assert page.inner_text("#profile-error") == "Ihr aktuelles Passwort ist nicht richtig."
        assert page.evaluate("document.activeElement.id") == "current"
        check("profile error")
        assert len(check.seen) == 14
    finally:
        ctx.close()
