"""Front-channel logout in headless Chromium against a real server: when the user logs out at
the end_session endpoint, the browser loads the relying party's front-channel logout page
(served by a local HTTP server) with the session's ``iss`` and ``sid``, under the logged-out
page's Content Security Policy with no violation, and only then follows the post-logout
redirect; a relying party that never answers holds the redirect up to the page's timeout."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page

from authgate.web.logout_page import FRONTCHANNEL_TIMEOUT_MS
from tests.e2e.harness import AuthgateServer
from tests.e2e.sites import Site, SitePage
from tests.support import new_verifier, s256

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

HOME = "/rp/home.html"
FRONT = "/rp/front-logout.html"
SLOW_FRONT = "/rp/slow-front-logout.html"
LOGGED_OUT = "/rp/logged-out.html"
SLOW = 30.0


def _page(title: str) -> SitePage:
    return SitePage(f"<!doctype html><title>{title}</title><h1>{title}</h1>".encode())


@pytest.fixture(scope="module")
def rp() -> Iterator[Site]:
    pages = {
        HOME: _page("RP home"),
        FRONT: _page("RP front-channel logout"),
        SLOW_FRONT: SitePage(b"<!doctype html><title>slow</title>", delay=SLOW),
        LOGGED_OUT: _page("RP logged out"),
    }
    with Site(pages) as site:
        yield site


def _register(server: AuthgateServer, rp: Site, front: str) -> str:
    body = {
        "client_name": "Front-channel RP",
        "token_endpoint_auth_method": "none",
        "redirect_uris": [rp.url(HOME)],
        "post_logout_redirect_uris": [rp.url(LOGGED_OUT)],
        "frontchannel_logout_uri": rp.url(front),
        "frontchannel_logout_session_required": True,
        "scope": ["openid"],
    }
    response = httpx.post(f"{server.issuer}/jans-auth/restv1/register", json=body)
    assert response.status_code == 201, response.text
    client_id: str = response.json()["client_id"]
    return client_id


def _sign_in(page: Page, server: AuthgateServer, rp: Site, client_id: str) -> dict[str, Any]:
    """The code flow through the real login and consent pages; the token response."""
    verifier = new_verifier(64)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": rp.url(HOME),
        "scope": "openid",
        "state": secrets.token_hex(8),
        "nonce": secrets.token_hex(8),
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    page.goto(f"{server.issuer}/jans-auth/restv1/authorize?{urlencode(params)}")
    if "/login.htm" in page.url:
        page.fill("#username", "admin")
        page.fill("#password", server.admin_password)
        page.click("#login")
        page.wait_for_url(f"{server.issuer}/**")
    if "/authorize.htm" in page.url:
        page.click("#allow")
    page.wait_for_url(f"{rp.url(HOME)}?**")
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "redirect_uri": rp.url(HOME),
        "code": code,
        "code_verifier": verifier,
    }
    response = httpx.post(f"{server.issuer}/jans-auth/restv1/token", data=form)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _sid(id_token: str) -> str:
    payload = id_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    sid: str = claims["sid"]
    return sid


def _csp_violations(page: Page) -> list[str]:
    found: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            found.append(message.text)

    page.on("console", seen)
    return found


def test_logout_loads_the_front_channel_page_then_redirects(
    page: Page, authgate_server: AuthgateServer, rp: Site
) -> None:
    client_id = _register(authgate_server, rp, FRONT)
    tokens = _sign_in(page, authgate_server, rp, client_id)
    violations = _csp_violations(page)
    before = len(rp.hits_on(FRONT))
    logout = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": rp.url(LOGGED_OUT),
        "state": "bye-1",
    }
    page.goto(f"{authgate_server.issuer}/jans-auth/restv1/end_session?{urlencode(logout)}")
    page.wait_for_url(f"{rp.url(LOGGED_OUT)}?**")
    assert parse_qs(urlsplit(page.url).query) == {"state": ["bye-1"]}
    fronts = rp.hits_on(FRONT)[before:]
    assert len(fronts) == 1, rp.hits
    query = parse_qs(urlsplit(fronts[0].path).query)
    assert query == {"iss": [authgate_server.issuer], "sid": [_sid(tokens["id_token"])]}
    landed = rp.hits_on(LOGGED_OUT)[-1]
    assert fronts[0].at <= landed.at  # the iframe was loaded before the redirect
    assert violations == []
    # the session is over: the next authorization request shows the login page
    page.goto(
        f"{authgate_server.issuer}/jans-auth/restv1/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": rp.url(HOME),
                "scope": "openid",
                "code_challenge": s256(new_verifier(64)),
                "code_challenge_method": "S256",
            }
        )
    )
    assert "/login.htm" in page.url


def test_a_relying_party_that_never_answers_delays_the_redirect_to_the_timeout(
    page: Page, authgate_server: AuthgateServer, rp: Site
) -> None:
    client_id = _register(authgate_server, rp, SLOW_FRONT)
    tokens = _sign_in(page, authgate_server, rp, client_id)
    logout = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": rp.url(LOGGED_OUT),
    }
    started = time.monotonic()
    page.goto(f"{authgate_server.issuer}/jans-auth/restv1/end_session?{urlencode(logout)}")
    page.wait_for_url(rp.url(LOGGED_OUT), timeout=SLOW * 1000)
    waited = time.monotonic() - started
    timeout = FRONTCHANNEL_TIMEOUT_MS / 1000
    assert timeout - 0.5 <= waited < SLOW - 5, waited
    assert rp.hits_on(SLOW_FRONT), rp.hits  # the browser did ask for it
