"""The PKCE playground's pages over HTTP: on by default, 404 when ``playgroundEnabled`` is off,
a strict CSP, and nothing loaded from elsewhere. The whole playground runs in Chromium in
tests/e2e/test_playground_browser.py.

SQLite only: the pages serve what the runtime holds in memory (its configuration and issuer).
"""

from __future__ import annotations

import re

import httpx
import pytest

from authgate.runtime import Runtime
from authgate.web.playground import ASSET_TYPES, CSP
from tests.conftest import patch_config
from tests.support import ISSUER, SQLITE_ONLY, flow_registration_body

PAGES = ("/playground", "/playground/callback")
ASSETS = tuple(f"/playground/assets/{name}" for name in ASSET_TYPES)
#: Every absolute URL written in a page or an asset, and every protocol-relative one in a
#: string or an attribute.
URL = re.compile(r"""https?://[^\s"'<>)`]+|(?<=["'(=])//[\w.-]+""")
#: Every src/href attribute of a page.
LINK = re.compile(r"""\b(?:src|href)="([^"]*)\"""")


def directives(csp: str) -> dict[str, str]:
    parsed = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        parsed[name] = value
    return parsed


def test_the_policy_allows_this_origin_only() -> None:
    policy = directives(CSP)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CSP and "*" not in CSP and "unsafe-eval" not in CSP


@SQLITE_ONLY
@pytest.mark.parametrize("path", PAGES + ASSETS)
async def test_on_by_default_with_a_strict_policy(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-" in response.headers["cache-control"]


@SQLITE_ONLY
async def test_assets_have_their_media_types(http: httpx.AsyncClient) -> None:
    for name, media_type in ASSET_TYPES.items():
        response = await http.get(f"/playground/assets/{name}")
        assert response.headers["content-type"] == media_type
    assert (await http.get("/playground/assets/nope.js")).status_code == 404
    assert (await http.get("/playground/assets/..%2Fpages.py")).status_code == 404


@SQLITE_ONLY
@pytest.mark.parametrize("path", PAGES)
async def test_pages_load_nothing_from_elsewhere(http: httpx.AsyncClient, path: str) -> None:
    html = (await http.get(path)).text
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    links = LINK.findall(html)
    assert links, "the page loads its script and style"
    for link in links:
        assert link.startswith(("/", ISSUER + "/")), link
    for url in URL.findall(html):
        assert url.startswith(ISSUER), url
    for tag in re.findall(r"<script[^>]*>", html):
        assert re.search(r'src="/playground/assets/[a-z-]+\.js"', tag), tag


@SQLITE_ONLY
async def test_scripts_fetch_nothing_from_elsewhere(http: httpx.AsyncClient) -> None:
    for path in ASSETS:
        body = (await http.get(path)).text
        assert URL.findall(body) == [], path
        assert "eval(" not in body and "innerHTML" not in body, path


@SQLITE_ONLY
async def test_page_names_this_server(http: httpx.AsyncClient) -> None:
    html = (await http.get("/playground")).text
    assert f'data-issuer="{ISSUER}"' in html
    assert f'data-callback="{ISSUER}/playground/callback"' in html
    assert f'data-discovery="{ISSUER}/.well-known/openid-configuration"' in html
    for label in ("method", "verifier-length", "registration-body", "id-token-alg"):
        assert f'<label for="{label}">' in html


@SQLITE_ONLY
async def test_switched_off_everything_is_404(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, playgroundEnabled=False)
    for path in PAGES + ASSETS:
        response = await http.get(path)
        assert response.status_code == 404, path
        assert "playground" not in response.text.lower()
    await patch_config(runtime, playgroundEnabled=True)
    assert (await http.get("/playground")).status_code == 200


@SQLITE_ONLY
async def test_the_playground_client_registers_with_the_defaults(http: httpx.AsyncClient) -> None:
    """The page's registration body (the flow document's, with the callback page as redirect
    URI) is accepted by a server with the default configuration, rate limit included."""
    response = await http.post(
        "/jans-auth/restv1/register", json=flow_registration_body(f"{ISSUER}/playground/callback")
    )
    assert response.status_code == 201, response.text
    assert response.json()["redirect_uris"] == [f"{ISSUER}/playground/callback"]
