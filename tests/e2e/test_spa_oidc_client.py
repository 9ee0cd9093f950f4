"""A real single-page application on oidc-client-ts (from the npm registry) in headless
Chromium against a real server whose access tokens live 2 seconds (set in its configuration
document): sign-in with code and PKCE, userinfo, refresh, a silent sign-in in a hidden iframe
(``prompt=none`` with ``id_token_hint``), then the errors a page must be able to read through
CORS: the 401 of an expired and of a revoked access token with its ``WWW-Authenticate``
challenge, the token endpoint's ``invalid_client``; and logout.

From an origin no client registered, the same error is kept from the page ("Failed to
fetch")."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import AuthgateServer
from tests.e2e.npm import npm_file
from tests.e2e.sites import SCRIPT, Site, SitePage

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

SPA_DIR = Path(__file__).parent / "spa"
ACCESS_TOKEN_LIFETIME = 2
INDEX = "/spa/index.html"
CALLBACK = "/spa/callback.html"
LOGGED_OUT = "/spa/logged-out.html"
SILENT = "/spa/silent.html"
SHELL = (
    '<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
    '<script src="/spa/oidc-client-ts.js"></script><script src="/spa/config.js"></script>'
    '<script src="/spa/app.js"></script></head><body><h1 id="spa">{title}</h1></body></html>'
)
READ_ERROR = """async (url) => {
  try {
    const response = await fetch(url, {method: "POST", body: new URLSearchParams(
      {grant_type: "authorization_code", client_id: "no-such-client", code: "x"})});
    return {read: true, status: response.status};
  } catch (error) {
    return {read: false, error: String(error)};
  }
}"""


@pytest.fixture(scope="module")
def oidc_client_ts() -> Path:
    return npm_file("oidc-client-ts", "3", "dist/browser/oidc-client-ts.min.js", os.environ)


@pytest.fixture(scope="module")
def short_lived_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthgateServer]:
    """A server of its own: its access tokens expire after ACCESS_TOKEN_LIFETIME seconds."""
    base = tmp_path_factory.mktemp("authgate-spa")
    server = AuthgateServer(data_dir=base / "data", admin_password=secrets.token_urlsafe(12))
    try:
        server.start()
        server.configure("accessTokenLifetime", str(ACCESS_TOKEN_LIFETIME))
        yield server
    finally:
        server.stop()


def _shell(title: str) -> SitePage:
    return SitePage(SHELL.format(title=title).encode())


@pytest.fixture(scope="module")
def spa(oidc_client_ts: Path, short_lived_server: AuthgateServer) -> Iterator[tuple[Site, str]]:
    """The SPA's site and its client_id (registered for the site's origin)."""
    pages = {
        INDEX: _shell("SPA"),
        CALLBACK: _shell("SPA callback"),
        LOGGED_OUT: _shell("SPA logged out"),
        SILENT: _shell("SPA silent sign-in"),
        "/spa/oidc-client-ts.js": SitePage(oidc_client_ts.read_bytes(), SCRIPT),
        "/spa/app.js": SitePage((SPA_DIR / "app.js").read_bytes(), SCRIPT),
    }
    with Site(pages) as site:
        body = {
            "client_name": "oidc-client-ts SPA",
            "token_endpoint_auth_method": "none",
            "redirect_uris": [site.url(CALLBACK), site.url(SILENT)],
            "post_logout_redirect_uris": [site.url(LOGGED_OUT)],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": ["openid", "profile"],
        }
        response = httpx.post(f"{short_lived_server.issuer}/jans-auth/restv1/register", json=body)
        assert response.status_code == 201, response.text
        client_id: str = response.json()["client_id"]
        config = {
            "issuer": short_lived_server.issuer,
            "clientId": client_id,
            "redirectUri": site.url(CALLBACK),
            "postLogoutRedirectUri": site.url(LOGGED_OUT),
            "silentRedirectUri": site.url(SILENT),
            "silentPath": SILENT,
        }
        site.pages["/spa/config.js"] = SitePage(
            f"window.SPA_CONFIG = {json.dumps(config)};".encode(), SCRIPT
        )
        yield site, client_id


@pytest.fixture(scope="module")
def stranger() -> Iterator[Site]:
    """An origin no client registered."""
    with Site({"/": SitePage(b"<!doctype html><title>stranger</title>")}) as site:
        yield site


def _call(page: Page, step: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(f"window.spa.{step}()")
    return result


def _expect_readable_401(result: dict[str, Any]) -> None:
    assert result["read"], result  # not "Failed to fetch": CORS let the page read it
    assert result["status"] == 401, result
    assert result["challenge"] is not None, result  # WWW-Authenticate is exposed
    assert result["challenge"].startswith('Bearer error="invalid_token"'), result
    assert result["body"]["error"] == "invalid_token"


def test_spa_reads_every_answer_through_cors(
    page: Page,
    spa: tuple[Site, str],
    short_lived_server: AuthgateServer,
    stranger: Site,
) -> None:
    site, _client_id = spa
    issuer = short_lived_server.issuer
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # sign-in: code + PKCE through the real login and consent pages
    page.goto(site.url(INDEX))
    page.evaluate("window.spa.login()")
    page.wait_for_url(f"{issuer}/**")
    if "/login.htm" in page.url:
        page.fill("#username", "admin")
        page.fill("#password", short_lived_server.admin_password)
        page.click("#login")
        page.wait_for_url(lambda url: "/login.htm" not in url)
    if "/authorize.htm" in page.url:
        page.click("#allow")
    page.wait_for_url(f"{site.url(CALLBACK)}?**")
    user = _call(page, "callback")
    assert user["ok"], user
    assert user["sub"] and user["hasRefreshToken"], user
    assert user["name"] is not None  # oidc-client-ts merged the userinfo answer

    info = _call(page, "userinfo")
    assert info["read"] and info["status"] == 200, info
    assert info["body"]["sub"] == user["sub"]

    refreshed = _call(page, "refresh")
    assert refreshed["ok"], refreshed
    assert refreshed["accessToken"] != user["accessToken"]

    # without a refresh token the library signs in silently in a hidden iframe: prompt=none
    # with the id_token as id_token_hint, answered from the session it names
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/restv1/authorize?" in r.url else None)
    silent = _call(page, "silentInFrame")
    assert silent["ok"] and silent["hinted"], silent
    assert silent["sub"] == user["sub"]
    assert silent["accessToken"] != refreshed["accessToken"]
    framed = [parse_qs(urlsplit(url).query) for url in asked]
    assert [q["prompt"] for q in framed] == [["none"]], asked
    assert framed[0]["id_token_hint"][0].count(".") == 2  # the id_token, sent as the hint

    # the access token expires: the page reads the 401 and its challenge
    time.sleep(ACCESS_TOKEN_LIFETIME + 1.5)
    _expect_readable_401(_call(page, "userinfo"))

    # a fresh token, revoked by the library: the same readable 401
    again = _call(page, "refresh")
    assert again["ok"], again
    assert _call(page, "userinfo")["status"] == 200
    assert _call(page, "revokeAccessToken") == {"ok": True}
    _expect_readable_401(_call(page, "userinfo"))

    # an unknown client at the token endpoint: readable on the SPA's registered origin ...
    unknown = _call(page, "tokenWithUnknownClient")
    assert unknown["read"] and unknown["status"] == 401, unknown
    assert unknown["body"]["error"] == "invalid_client"

    # logout through the end_session endpoint, back to the SPA
    page.evaluate("window.spa.logout()")
    page.wait_for_url(f"{site.url(LOGGED_OUT)}?**")
    done = _call(page, "logoutCallback")
    assert done["ok"] and done["state"] == "spa-bye" and done["user"] is None, done
    assert errors == []

    # ... and kept from a page on an origin no client registered, as for any client
    page.goto(stranger.url("/"))
    result = page.evaluate(READ_ERROR, f"{issuer}/jans-auth/restv1/token")
    assert not result["read"], result
    assert "Failed to fetch" in result["error"]
