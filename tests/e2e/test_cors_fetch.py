"""CORS in headless Chromium against a real server: a page on the client's registered
redirect-URI origin calls the token endpoint with fetch() and reads the tokens, also with a
WebCrypto DPoP proof (which needs a preflight); the same calls from another origin (same host,
another port) are blocked by the browser itself."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import RP_PATH, AuthgateServer, RelyingPartySite

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

FETCH_TOKEN = """async ({url, form}) => {
  try {
    const response = await fetch(url, {method: "POST", body: new URLSearchParams(form)});
    return {read: true, status: response.status, body: await response.json()};
  } catch (error) {
    return {read: false, error: String(error)};
  }
}"""

FETCH_TOKEN_WITH_DPOP = """async ({url, form}) => {
  const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const text = (value) => b64(new TextEncoder().encode(JSON.stringify(value)));
  const algorithm = {name: "ECDSA", namedCurve: "P-256"};
  const keys = await crypto.subtle.generateKey(algorithm, false, ["sign"]);
  const {kty, crv, x, y} = await crypto.subtle.exportKey("jwk", keys.publicKey);
  const header = {typ: "dpop+jwt", alg: "ES256", jwk: {kty, crv, x, y}};
  const claims = {jti: crypto.randomUUID(), htm: "POST", htu: url,
                  iat: Math.floor(Date.now() / 1000)};
  const input = text(header) + "." + text(claims);
  const signature = await crypto.subtle.sign(
    {name: "ECDSA", hash: "SHA-256"}, keys.privateKey, new TextEncoder().encode(input));
  const proof = input + "." + b64(signature);
  try {
    const response = await fetch(url, {method: "POST", body: new URLSearchParams(form),
                                       headers: {"DPoP": proof}});
    return {read: true, status: response.status, body: await response.json()};
  } catch (error) {
    return {read: false, error: String(error)};
  }
}"""


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _register(issuer: str, redirect_uri: str) -> str:
    body = {
        "client_name": "SPA",
        "token_endpoint_auth_method": "none",
        "redirect_uris": [redirect_uri],
        "scope": ["openid", "profile"],
    }
    response = httpx.post(f"{issuer}/jans-auth/restv1/register", json=body)
    assert response.status_code == 201, response.text
    client_id: str = response.json()["client_id"]
    return client_id


@pytest.fixture(scope="module")
def other_site() -> Iterator[RelyingPartySite]:
    """A second origin on the same host: no client registered it."""
    with RelyingPartySite() as site:
        yield site


def _code(page: Page, server: AuthgateServer, client_id: str, redirect_uri: str) -> dict[str, str]:
    """Sign in through the real login and consent pages; returns the token request form."""
    verifier, challenge = _pkce()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile",
        "state": secrets.token_hex(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    issuer = server.issuer
    page.goto(f"{issuer}/jans-auth/restv1/authorize?{urlencode(params)}")
    if "/login.htm" in page.url:
        page.fill("#username", "admin")
        page.fill("#password", server.admin_password)
        page.click("#login")
        page.wait_for_url(f"{issuer}/**")
    if "/authorize.htm" in page.url:
        page.click("#allow")
    page.wait_for_url(f"{redirect_uri}?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["iss"] == [issuer]
    return {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code": query["code"][0],
        "code_verifier": verifier,
    }


def test_fetch_from_registered_origin_and_refusal_elsewhere(
    page: Page,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
    other_site: RelyingPartySite,
) -> None:
    redirect_uri = rp_site.redirect_uri
    client_id = _register(authgate_server.issuer, redirect_uri)
    token_url = f"{authgate_server.issuer}/jans-auth/restv1/token"

    form = _code(
        page, authgate_server, client_id, redirect_uri
    )  # the page is now on the SPA's origin
    result: dict[str, Any] = page.evaluate(FETCH_TOKEN, {"url": token_url, "form": form})
    assert result["read"], result
    assert result["status"] == 200
    assert result["body"]["token_type"] == "Bearer"
    assert result["body"]["id_token"]

    form = _code(page, authgate_server, client_id, redirect_uri)
    result = page.evaluate(FETCH_TOKEN_WITH_DPOP, {"url": token_url, "form": form})
    assert result["read"], result  # the preflight for the DPoP header passed
    assert result["status"] == 200, result
    assert result["body"]["token_type"] == "DPoP"

    form = _code(page, authgate_server, client_id, redirect_uri)
    assert other_site.redirect_uri.split(RP_PATH)[0] != redirect_uri.split(RP_PATH)[0]
    page.goto(other_site.redirect_uri)
    for script in (FETCH_TOKEN, FETCH_TOKEN_WITH_DPOP):
        result = page.evaluate(script, {"url": token_url, "form": form})
        assert not result["read"], result
        assert "Failed to fetch" in result["error"]
    # The plain fetch is a "simple" request, so it reached the server and used the code;
    # CORS kept the tokens from the page. Redeeming it again is a replay.
    replay = httpx.post(token_url, data=form)
    assert replay.json()["error"] == "invalid_grant"
