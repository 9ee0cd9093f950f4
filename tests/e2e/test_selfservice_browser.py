"""Self-service in headless Chromium against a real ``authgate serve`` that mails through a
real local SMTP server (tests/mail_server.py): sign-up through ``prompt=create`` from a
relying party, then the verification link read from the mail; a password reset through the
mailed link, then signing in with the new password."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import (
    CONSENT_PATH,
    LOGIN_PATH,
    approve,
    landed,
    path_of,
    prepare,
    register,
    submit_login,
    token_request,
)
from tests.mail_server import MailServer, link_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

PASSWORD = "a browser made this passphrase"


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> Iterator[AuthgateServer]:
    base = tmp_path_factory.mktemp("authgate-selfservice")
    server = AuthgateServer(
        data_dir=base / "data",
        admin_password=secrets.token_urlsafe(12),
        environment=mail.environment(),
    )
    try:
        server.start()
        server.configure(
            "selfServiceSignUpEnabled", "true", "selfServicePasswordResetEnabled", "true"
        )
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(server: AuthgateServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.issuer, timeout=10.0) as client:
        yield client


def _sign_up(page: Page, server: AuthgateServer, rp_site: RelyingPartySite, api: httpx.Client,
             username: str, email: str) -> dict[str, str]:  # fmt: skip
    """From the relying party's authorization request with prompt=create to its page."""
    client = register(api, rp_site.redirect_uri)
    attempt = prepare(server, client["client_id"], rp_site.redirect_uri, prompt="create")
    signup = page.goto(attempt.url)
    assert signup is not None and signup.status == 200
    assert path_of(page.url) == "/jans-auth/signup.htm"
    page.fill("#username", username)
    page.fill("#email", email)
    page.fill("#name", "Browser User")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#signup")
    assert path_of(page.url) == CONSENT_PATH
    approve(page, attempt.redirect_uri)
    params = landed(page, rp_site, attempt)
    tokens = token_request(api, attempt, params["code"])
    assert tokens.status_code == 200, tokens.text
    return params


def test_sign_up_from_a_relying_party_then_verify_the_address(
    page: Page,
    api: httpx.Client,
    server: AuthgateServer,
    rp_site: RelyingPartySite,
    mail: MailServer,
) -> None:
    discovery = api.get("/.well-known/openid-configuration").json()
    assert "create" in discovery["prompt_values_supported"]
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    _sign_up(page, server, rp_site, api, f"user-{uuid.uuid4().hex[:8]}", email)

    message = mail.wait_for(email)
    assert message["Subject"] == "Confirm your email address"
    page.goto(link_in(message))
    assert path_of(page.url) == "/jans-auth/verify-email.htm"
    with page.expect_navigation():
        page.click("#confirm-email")
    assert email in page.inner_text("#email-verified")
    # the link worked once
    page.goto(link_in(message))
    assert page.locator("#link-error").count() == 1


def test_reset_the_password_through_the_mailed_link_then_sign_in(
    page: Page,
    api: httpx.Client,
    server: AuthgateServer,
    rp_site: RelyingPartySite,
    mail: MailServer,
) -> None:
    username = f"user-{uuid.uuid4().hex[:8]}"
    email = f"{username}@example.com"
    _sign_up(page, server, rp_site, api, username, email)
    page.context.clear_cookies()

    client = register(api, rp_site.redirect_uri)
    attempt = prepare(server, client["client_id"], rp_site.redirect_uri)
    page.goto(attempt.url)
    assert path_of(page.url) == LOGIN_PATH
    with page.expect_navigation():
        page.click("#reset-link a")
    page.fill("#identifier", username)
    with page.expect_navigation():
        page.click("#reset-request")
    assert page.locator("#reset-sent").count() == 1

    message = mail.wait_for(email, count=2)  # the first was the verification mail
    assert message["Subject"] == "Reset your password"
    new_password = "the reset passphrase of " + username
    page.goto(link_in(message))
    page.fill("#password", new_password)
    page.fill("#password2", new_password)
    with page.expect_navigation():
        page.click("#set-password")
    assert page.locator("#password-reset-done").count() == 1

    page.goto(attempt.url)
    refused = submit_login(page, username, PASSWORD)
    assert refused.status == 401
    consent = submit_login(page, username, new_password)
    assert path_of(consent.url) == CONSENT_PATH
    approve(page, attempt.redirect_uri)
    params = landed(page, rp_site, attempt)
    assert token_request(api, attempt, params["code"]).status_code == 200


def test_change_the_email_address_on_the_account_page(
    page: Page,
    api: httpx.Client,
    server: AuthgateServer,
    rp_site: RelyingPartySite,
    mail: MailServer,
) -> None:
    server.configure("selfServiceProfileChangesEnabled", "true")
    username = f"user-{uuid.uuid4().hex[:8]}"
    old, new = f"{username}@example.com", f"{username}@example.net"
    _sign_up(page, server, rp_site, api, username, old)

    page.goto(f"{server.issuer}/account")
    page.wait_for_url(f"{server.issuer}/account")
    with page.expect_navigation():
        page.click("#edit-profile")
    assert path_of(page.url) == "/account/profile"
    assert page.inner_text("#current-email") == old
    page.fill("#email", new)
    with page.expect_navigation():
        page.click("#save-email")
    assert "link to the new address" in page.inner_text("#profile-done")
    assert page.inner_text("#current-email") == old  # not before the link is used

    page.goto(link_in(mail.wait_for(new)))
    with page.expect_navigation():
        page.click("#confirm-email")
    assert new in page.inner_text("#email-verified")
    notice = mail.wait_for(old, count=2)  # after the sign-up's verification mail
    assert notice["Subject"] == "Your email address was changed"
    page.goto(f"{server.issuer}/account/profile")
    assert page.inner_text("#current-email") == new
