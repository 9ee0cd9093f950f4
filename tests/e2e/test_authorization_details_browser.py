"""Rich Authorization Requests (RFC 9396) in headless Chromium against a real server: the
consent page lists each authorization detail, accessibly and in German with
``ui_locales=de``; it asks again on every request that carries details; the code's tokens
carry them in the token response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.accessibility import assert_accessible, axe_source
from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import (
    ADMIN,
    CONSENT_PATH,
    approve,
    landed,
    path_of,
    prepare,
    register,
    submit_login,
    token_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

PAYMENT = {
    "type": "payment_initiation",
    "actions": ["initiate", "status"],
    "instructedAmount": {"currency": "EUR", "amount": "123.50"},
    "creditorName": "Merchant A",
}


@pytest.fixture
def detail_types(authgate_server: AuthgateServer) -> Iterator[None]:
    """The shared server takes ``payment_initiation`` details for this test only."""
    authgate_server.configure("authorizationDetailsTypesSupported", '["payment_initiation"]')
    try:
        yield
    finally:
        authgate_server.configure("authorizationDetailsTypesSupported", "[]")


@pytest.mark.usefixtures("detail_types")
def test_consent_lists_the_details_and_the_tokens_carry_them(
    page: Page, api: httpx.Client, authgate_server: AuthgateServer, rp_site: RelyingPartySite
) -> None:
    axe = axe_source()
    client = register(api, rp_site.redirect_uri)
    details = quote(json.dumps([PAYMENT]))
    attempt = prepare(
        authgate_server, client["client_id"], rp_site.redirect_uri, authorization_details=details
    )
    page.goto(attempt.url)
    consent = submit_login(page, ADMIN, authgate_server.admin_password)
    assert path_of(consent.url) == CONSENT_PATH
    item = page.locator('#authorization-details li[data-type="payment_initiation"]')
    assert item.count() == 1
    text = item.inner_text()
    assert "initiate, status" in text and "Merchant A" in text and '"currency":"EUR"' in text
    assert_accessible(page, axe)
    approve(page, attempt.redirect_uri)
    code = landed(page, rp_site, attempt)["code"]
    tokens = token_request(api, attempt, code)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["authorization_details"] == [PAYMENT]

    # The user is signed in and has consented to the scopes, yet details are asked about
    # every time; ui_locales=de shows the list's heading in German.
    again = prepare(
        authgate_server,
        client["client_id"],
        rp_site.redirect_uri,
        authorization_details=details,
        ui_locales="de",
    )
    page.goto(again.url)
    assert path_of(page.url) == CONSENT_PATH
    assert "Außerdem fragt die Anwendung genau diese Berechtigungen an:" in page.inner_text("main")
    assert page.locator("#authorization-details li").count() == 1
    assert_accessible(page, axe)
