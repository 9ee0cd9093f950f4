"""Passkeys in headless Chromium with a CDP virtual authenticator (CTAP2, internal transport,
resident keys, user verification): enrolment on the account page, then a passwordless
sign-in through the whole authorization code flow with PKCE, then a password with the
passkey as second factor on the unified factor page (alone, and chosen there next to an
authenticator app added on the account page); the id_tokens carry the amr of each.

WebAuthn needs a domain as the relying party id, never an IP address, so this module's
server has the issuer ``http://localhost:<port>`` (a secure context, like https).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
import pytest
from playwright.sync_api import CDPSession, Page

from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import (
    ADMIN,
    approve,
    landed,
    path_of,
    prepare,
    register,
    submit_login,
    token_request,
    verified_id_token,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

ACCOUNT_PATH = "/account/security/passkeys"
CONSENT_PATH = "/jans-auth/authorize.htm"
SECOND_FACTOR_PATH = "/jans-auth/factor.htm"
#: Makes the page's browser one that offers no conditional mediation (passkey autofill).
NO_CONDITIONAL_UI = (
    "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"
)


@dataclass
class LocalhostServer(AuthgateServer):
    """The harness's server, known to browsers as ``localhost`` (it still listens on
    127.0.0.1 only)."""

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self.port}"


@pytest.fixture(scope="module")
def passkey_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalhostServer]:
    base = tmp_path_factory.mktemp("authgate-passkeys")
    server = LocalhostServer(data_dir=base / "data", admin_password=secrets.token_urlsafe(12))
    server.environment["AUTHGATE_ISSUER_URL"] = server.issuer
    try:
        server.start()
        server.configure("rateLimitRegistrationRequestCount", "0")
        yield server
    finally:
        server.stop()


@pytest.fixture
def local_api(passkey_server: LocalhostServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=passkey_server.issuer, timeout=10.0) as client:
        yield client


def virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


def enrol(
    page: Page, server: LocalhostServer, rp_site: RelyingPartySite, api: httpx.Client
) -> None:
    """Sign in with the password once, then add a passkey on the account page."""
    client = register(api, rp_site.redirect_uri)
    attempt = prepare(server, client["client_id"], rp_site.redirect_uri)
    page.goto(attempt.url)
    consent = submit_login(page, ADMIN, server.admin_password)
    assert path_of(consent.url) == CONSENT_PATH
    approve(page, attempt.redirect_uri)
    landed(page, rp_site, attempt)

    account = page.goto(server.issuer + ACCOUNT_PATH)
    assert account is not None and account.status == 200
    assert page.locator("#no-passkeys").is_visible()
    page.fill("#passkey-name", "Virtual key")
    with page.expect_navigation():  # the script reloads the page once the passkey is stored
        page.click("#passkey-add")
    assert page.locator("#passkey-error").is_hidden(), page.inner_text("#passkey-error")
    assert page.locator("#passkeys .passkey-name").all_inner_texts() == ["Virtual key"]


def fresh(
    api: httpx.Client, server: LocalhostServer, rp_site: RelyingPartySite, **extra: str
) -> Any:
    """An authorization request of a newly registered client (no consent remembered)."""
    client = register(api, rp_site.redirect_uri)
    return prepare(server, client["client_id"], rp_site.redirect_uri, **extra)


def tokens(api: httpx.Client, attempt: Any, params: dict[str, str]) -> dict[str, Any]:
    response = token_request(api, attempt, params["code"])
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return verified_id_token(api, body["id_token"], attempt)


def test_enrol_then_sign_in_with_the_passkey_alone_and_as_second_factor(
    page: Page,
    passkey_server: LocalhostServer,
    rp_site: RelyingPartySite,
    local_api: httpx.Client,
) -> None:
    cdp, authenticator = virtual_authenticator(page)
    enrol(page, passkey_server, rp_site, local_api)
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert [c["isResidentCredential"] for c in held["credentials"]] == [True]

    # Passwordless with conditional UI: the login page asks for a passkey in the username
    # field's autofill as it loads; the virtual authenticator offers its passkey at once.
    page.context.clear_cookies()
    attempt = fresh(local_api, passkey_server, rp_site)
    with page.expect_navigation(url=lambda url: CONSENT_PATH in url):
        page.goto(attempt.url)
    approve(page, attempt.redirect_uri)
    claims = tokens(local_api, attempt, landed(page, rp_site, attempt))
    assert claims["amr"] == ["hwk", "user"] and claims["acr"] == "phrh"

    # Passwordless with the button, in a browser without conditional UI.
    page.add_init_script(NO_CONDITIONAL_UI)
    page.context.clear_cookies()
    attempt = fresh(local_api, passkey_server, rp_site)
    page.goto(attempt.url)
    assert page.get_attribute("#username", "autocomplete") == "username webauthn"
    with page.expect_navigation(url=lambda url: CONSENT_PATH in url):
        page.click("#passkey-login")
    approve(page, attempt.redirect_uri)
    claims = tokens(local_api, attempt, landed(page, rp_site, attempt))
    assert claims["amr"] == ["hwk", "user"] and claims["acr"] == "phrh"

    # The password, then the passkey as second factor on the one factor page: a user with a
    # passkey is always asked for it after the password (the request asks for nothing).
    page.context.clear_cookies()
    attempt = fresh(local_api, passkey_server, rp_site)
    page.goto(attempt.url)
    second = submit_login(page, ADMIN, passkey_server.admin_password)
    assert path_of(second.url) == SECOND_FACTOR_PATH
    assert page.locator("#factor-form input[name=method]").get_attribute("value") == "webauthn"
    with page.expect_navigation(url=lambda url: CONSENT_PATH in url):
        page.click("#passkey-confirm")
    approve(page, attempt.redirect_uri)
    claims = tokens(local_api, attempt, landed(page, rp_site, attempt))
    assert claims["amr"] == ["pwd", "hwk", "user", "mfa"] and claims["acr"] == "phrh"
    used = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert used["credentials"][0]["signCount"] >= 3

    # An authenticator app too, added on the account page: the factor page then offers
    # the app first and the passkey behind its link
    page.goto(passkey_server.issuer + "/account/security/authenticator/add")
    page.wait_for_selector("#qr svg")
    seed = page.inner_text("#seed").replace(" ", "")
    page.fill("#code", pyotp.TOTP(seed).now())
    with page.expect_navigation():
        page.click("#confirm")
    assert "New recovery codes, shown once." in page.inner_text("main")
    page.context.clear_cookies()
    attempt = fresh(local_api, passkey_server, rp_site)
    page.goto(attempt.url)
    submit_login(page, ADMIN, passkey_server.admin_password)
    assert path_of(page.url) == SECOND_FACTOR_PATH
    assert page.locator("#code").is_visible()  # the authenticator app is asked first
    assert page.locator("#use-recovery").count() == 1
    with page.expect_navigation():
        page.click("#use-webauthn")
    with page.expect_navigation(url=lambda url: CONSENT_PATH in url):
        page.click("#passkey-confirm")
    approve(page, attempt.redirect_uri)
    claims = tokens(local_api, attempt, landed(page, rp_site, attempt))
    assert claims["amr"] == ["pwd", "hwk", "user", "mfa"] and claims["acr"] == "phrh"
