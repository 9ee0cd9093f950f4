"""form_post, form_post.jwt and fragment responses in headless Chromium against a real server.

The form_post page must submit itself under its own Content-Security-Policy (the inline
script is allowed only by its hash), and the browser must land on the client's page with a
POST body; a fragment response must reach the client's page with the tokens after ``#``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Page

from tests.e2e.harness import LOOPBACK, AuthgateServer
from tests.support import flow_registration_body, new_verifier, s256

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

CALLBACK = "/rp/callback"


class _Handler(BaseHTTPRequestHandler):
    server: PostingSite

    def _answer(self) -> None:
        body = b'<!doctype html><title>RP</title><h1 id="rp">client page</h1>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path, {}))
        self._answer()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.server.requests.append(("POST", self.path, form))
        self._answer()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class PostingSite(ThreadingHTTPServer):
    """The client's redirect endpoint; records every GET and POST it receives."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def redirect_uri(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}{CALLBACK}"


@pytest.fixture
def site() -> Iterator[PostingSite]:
    server = PostingSite()
    server._thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server._thread.join(timeout=10)


def _redeem(api: httpx.Client, client_id: str, site: PostingSite, code: str, verifier: str) -> None:
    """The client redeems the code it was posted (RFC 6749 §4.1.3, with its PKCE verifier)."""
    token = api.post(
        "/jans-auth/restv1/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "redirect_uri": site.redirect_uri,
            "code": code,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.text


def _sign_in(page: Page, server: AuthgateServer, url: str) -> None:
    page.goto(url)
    page.fill("#username", "admin")
    page.fill("#password", server.admin_password)
    page.click("#login")
    page.wait_for_selector("#allow")
    page.click("#allow")


def test_form_post_submits_itself_under_its_csp(
    page: Page, api: httpx.Client, authgate_server: AuthgateServer, site: PostingSite
) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    client = api.post(
        "/jans-auth/restv1/register", json=flow_registration_body(site.redirect_uri)
    ).json()
    verifier = new_verifier()
    params = {
        "response_type": "code id_token",
        "response_mode": "form_post",
        "client_id": client["client_id"],
        "scope": "openid profile email",
        "redirect_uri": site.redirect_uri,
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    _sign_in(
        page,
        authgate_server,
        f"{authgate_server.issuer}/jans-auth/restv1/authorize?" + urlencode(params),
    )
    page.wait_for_selector("#rp")
    assert page.url == site.redirect_uri
    posts = [form for method, path, form in site.requests if method == "POST"]
    assert len(posts) == 1, site.requests
    form = posts[0]
    assert form["state"] == "st-123"
    assert form["iss"] == authgate_server.issuer
    assert {"code", "id_token"} <= set(form)
    assert violations == []
    _redeem(api, client["client_id"], site, form["code"], verifier)


def test_fragment_reaches_the_client_page(
    page: Page, api: httpx.Client, authgate_server: AuthgateServer, site: PostingSite
) -> None:
    client = api.post(
        "/jans-auth/restv1/register", json=flow_registration_body(site.redirect_uri)
    ).json()
    params = {
        "response_type": "id_token token",
        "client_id": client["client_id"],
        "scope": "openid",
        "redirect_uri": site.redirect_uri,
        "state": "st-789",
        "nonce": "n-000",
    }
    _sign_in(
        page,
        authgate_server,
        f"{authgate_server.issuer}/jans-auth/restv1/authorize?" + urlencode(params),
    )
    page.wait_for_selector("#rp")
    url = urlsplit(page.url)
    assert url.query == ""  # nothing leaks to the client's server in the query
    fragment = {k: v[0] for k, v in parse_qs(url.fragment).items()}
    assert fragment["state"] == "st-789"
    assert {"access_token", "id_token", "iss"} <= set(fragment)
    to_callback = [(m, p) for m, p, _ in site.requests if p.startswith(CALLBACK)]
    assert to_callback == [("GET", CALLBACK)]  # the server never saw the tokens
    info = api.get(
        "/jans-auth/restv1/userinfo",
        headers={"Authorization": f"Bearer {fragment['access_token']}"},
    )
    assert info.status_code == 200


def test_form_post_jwt_posts_a_signed_response(
    page: Page, api: httpx.Client, authgate_server: AuthgateServer, site: PostingSite
) -> None:
    """JARM's form_post.jwt: the browser posts one field, ``response``, a JWT the client
    verifies with the server's JWK Set; the code inside redeems."""
    client = api.post(
        "/jans-auth/restv1/register", json=flow_registration_body(site.redirect_uri)
    ).json()
    verifier = new_verifier()
    params = {
        "response_type": "code",
        "response_mode": "form_post.jwt",
        "client_id": client["client_id"],
        "scope": "openid",
        "redirect_uri": site.redirect_uri,
        "state": "st-jarm",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    _sign_in(
        page,
        authgate_server,
        f"{authgate_server.issuer}/jans-auth/restv1/authorize?" + urlencode(params),
    )
    page.wait_for_selector("#rp")
    posts = [form for method, _path, form in site.requests if method == "POST"]
    assert len(posts) == 1 and set(posts[0]) == {"response"}, site.requests
    keys = KeySet.import_key_set(api.get("/jans-auth/restv1/jwks").json())
    claims = jwt.decode(posts[0]["response"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == authgate_server.issuer
    assert claims["aud"] == client["client_id"]
    assert claims["state"] == "st-jarm"
    _redeem(api, client["client_id"], site, claims["code"], verifier)
