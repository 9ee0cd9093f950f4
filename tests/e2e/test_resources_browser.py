"""A refused resource indicator (RFC 8707) in headless Chromium against a real server: the
browser never sees a login page; the error goes to the client once a user has approved it,
and to authgate's error page before that (RFC 9700 §4.11.2)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import (
    LOGIN_PATH,
    landed,
    path_of,
    prepare,
    redirect_chain,
    register,
    sign_in_and_consent,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

#: No client may name it: the server's defaultResourceIndicators is empty by default.
RESOURCE = "https%3A%2F%2Fapi.example%2F"


def test_a_refused_resource_never_reaches_the_login_page(
    page: Page,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    client_id = register(api, rp_site.redirect_uri)["client_id"]
    # a client nobody approved yet: authgate's own error page, no login, nothing sent to it
    first = prepare(authgate_server, client_id, rp_site.redirect_uri, resource=RESOURCE)
    hits = list(rp_site.hits)
    response = page.goto(first.url)
    assert response is not None and response.status == 400
    assert page.url.startswith(authgate_server.issuer)
    assert "invalid_target" in page.content()
    assert all(path_of(url) != LOGIN_PATH for url in redirect_chain(response))
    assert rp_site.hits == hits

    # once the user approved the client, the error goes back to it, still without a login
    sign_in_and_consent(
        page, authgate_server, rp_site, prepare(authgate_server, client_id, rp_site.redirect_uri)
    )
    again = prepare(authgate_server, client_id, rp_site.redirect_uri, resource=RESOURCE)
    response = page.goto(again.url)
    assert response is not None
    assert all(path_of(url) != LOGIN_PATH for url in redirect_chain(response))
    params = landed(page, rp_site, again)
    assert params["error"] == "invalid_target"
    assert params["state"] == again.state
    assert params["iss"] == authgate_server.issuer
    assert "code" not in params
