"""The federation pages in headless Chromium, in German at 390x844: the login page's
identity-provider button and the federation error page pass axe-core with no serious or
critical violation and fit the phone's width (the servers of test_federation_browser)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser

from tests.e2e.accessibility import MOBILE, assert_accessible, axe_source, fits_the_viewport
from tests.e2e.harness import RelyingPartySite
from tests.e2e.test_browser_flow import LOGIN_PATH, path_of, prepare, register
from tests.e2e.test_federation_browser import Pair, servers

__all__ = ["servers"]  # the fixture: an upstream authgate and a downstream one using it

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]


def test_federation_pages_in_german_on_a_phone(
    servers: Pair, chromium: Browser, rp_site: RelyingPartySite
) -> None:
    axe = axe_source()
    down = servers.downstream
    with httpx.Client(base_url=down.issuer, timeout=10.0) as api:
        client = register(api, rp_site.redirect_uri)
    attempt = prepare(down, client["client_id"], rp_site.redirect_uri)
    ctx = chromium.new_context(viewport=MOBILE, locale="de-DE")
    with ctx:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(attempt.url)
        assert path_of(page.url) == LOGIN_PATH
        assert page.inner_text("#providers .divider") == "oder anmelden mit"
        assert page.inner_text("#idp-corp") == "Corp SSO"
        assert_accessible(page, axe)
        assert fits_the_viewport(page)

        page.goto(f"{down.issuer}/jans-auth/federation/corp/callback?state=forged&code=x")
        assert page.inner_text("h1") == "Anmeldung fehlgeschlagen"
        assert page.locator("#federation-error").get_attribute("data-code") == "state_invalid"
        assert page.inner_text("#federation-error").startswith("Dieser Anmeldelink")
        assert_accessible(page, axe)
        assert fits_the_viewport(page)
