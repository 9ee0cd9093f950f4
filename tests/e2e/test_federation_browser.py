"""Sign in with another identity provider, end to end: a second ``authgate serve`` process is
the upstream OpenID Provider (its own SQLite file and port, its admin user, and a confidential
client registered with the downstream callback as redirect URI). Headless Chromium signs in at
the upstream and lands back signed in at the downstream authgate; the relying party then gets
tokens whose id_token says ``amr: ["fed"]`` and ``idp: "corp"``.

The upstream's issuer is ``http://localhost:<port>`` and the downstream's
``http://127.0.0.1:<port>``: a browser keeps cookies per host, not per port, and both servers
use the same cookie names. The downstream's outbound policy allows loopback for the test.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import AuthgateServer, RelyingPartySite, free_port
from tests.e2e.test_browser_flow import (
    CONSENT_PATH,
    LOGIN_PATH,
    approve,
    landed,
    path_of,
    prepare,
    register,
    token_request,
    verified_id_token,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

ADMIN = "admin"
CAROL = "carol-password-1"


class Pair:
    def __init__(self, upstream: AuthgateServer, downstream: AuthgateServer, client_id: str):
        self.upstream = upstream
        self.downstream = downstream
        self.client_id = client_id


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    base = tmp_path_factory.mktemp("federation-e2e")
    up_port = free_port()
    upstream = AuthgateServer(
        data_dir=base / "upstream",
        admin_password=secrets.token_urlsafe(12),
        port=up_port,
        environment={"AUTHGATE_ISSUER": f"http://localhost:{up_port}"},
    )
    down_port = free_port()
    downstream = AuthgateServer(
        data_dir=base / "downstream",
        admin_password=secrets.token_urlsafe(12),
        port=down_port,
        environment={
            "AUTHGATE_OUTBOUND_ALLOW": "127.0.0.1,::1,localhost",
            # the CLI then prints the callback under the server's issuer
            "AUTHGATE_ISSUER": f"http://127.0.0.1:{down_port}",
        },
    )
    try:
        # the two starts (migrations, keys, the admin's hash) do not depend on each other
        upstream.launch()
        downstream.launch()
        upstream.wait_ready()
        downstream.wait_ready()
        callback = f"{downstream.issuer}/jans-auth/federation/corp/callback"
        create = [
            sys.executable, "-m", "authgate", "clients", "create", "--name", "downstream",
            "--redirect-uri", callback, "--redirect-uri", callback.replace("corp", "corp-post"),
            "--scope", "openid profile email", "--data-dir", str(upstream.data_dir),
        ]  # fmt: skip
        # a second upstream user who has not approved the downstream yet (see the cancel test),
        # added while the client is created
        carol = [
            sys.executable, "-m", "authgate", "users", "add", "carol", "--password", CAROL,
            "--email", "carol@upstream.example", "--data-dir", str(upstream.data_dir),
        ]  # fmt: skip
        adding = subprocess.Popen(
            carol, env=upstream._env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        made = subprocess.run(
            create, env=upstream._env(), capture_output=True, text=True, check=False
        )
        _, added_err = adding.communicate(timeout=60)
        assert adding.returncode == 0, added_err
        assert made.returncode == 0, made.stderr
        client = json.loads(made.stdout)
        add = [
            sys.executable, "-m", "authgate", "providers", "add", "corp",
            "--issuer", f"http://localhost:{up_port}", "--upstream-client-id", client["client_id"],
            "--display-name", "Corp SSO", "--data-dir", str(downstream.data_dir),
        ]  # fmt: skip
        env = {**downstream._env(), "AUTHGATE_PROVIDER_SECRET": client["client_secret"]}
        done = subprocess.run(add, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert client["client_secret"] not in done.stdout + done.stderr
        assert f"{callback}" in done.stdout
        # the same upstream, answering with response_mode=form_post (as Apple does)
        add_post = [*add[:5], "corp-post", *add[6:], "--response-mode", "form_post"]
        done = subprocess.run(add_post, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        downstream.configure("rateLimitRegistrationRequestCount", "0")
        yield Pair(upstream, downstream, client["client_id"])
    finally:
        downstream.stop()
        upstream.stop()


def test_sign_in_at_the_upstream_lands_signed_in_downstream(
    servers: Pair, page: Page, rp_site: RelyingPartySite
) -> None:
    down, up = servers.downstream, servers.upstream
    with httpx.Client(base_url=down.issuer, timeout=10.0) as api:
        client = register(api, rp_site.redirect_uri)
        attempt = prepare(down, client["client_id"], rp_site.redirect_uri)
        login = page.goto(attempt.url)
        assert login is not None and path_of(login.url) == LOGIN_PATH
        assert page.inner_text("#idp-corp") == "Corp SSO"
        with page.expect_navigation(url=lambda u: u.startswith(f"http://localhost:{up.port}")):
            page.click("#idp-corp")
        assert page.url.startswith(f"http://localhost:{up.port}{LOGIN_PATH}")
        page.fill("#username", ADMIN)
        page.fill("#password", up.admin_password)
        with page.expect_navigation(url=lambda u: CONSENT_PATH in u):
            page.click("#login")
        assert page.url.startswith(f"http://localhost:{up.port}{CONSENT_PATH}")
        with page.expect_navigation(url=lambda u: u.startswith(down.issuer + CONSENT_PATH)):
            page.click("#allow")
        approve(page, rp_site.redirect_uri)
        params = landed(page, rp_site, attempt)
        assert params["state"] == attempt.state
        response = token_request(api, attempt, params["code"])
        assert response.status_code == 200, response.text
        claims = verified_id_token(api, response.json()["id_token"], attempt)
        assert claims["amr"] == ["fed"] and claims["idp"] == "corp"
        assert claims["acr"] == "simple_password_auth"
        userinfo = api.get(
            "/jans-auth/restv1/userinfo",
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
        )
        assert userinfo.status_code == 200 and userinfo.json()["sub"] == claims["sub"]
    links = subprocess.run(
        [sys.executable, "-m", "authgate", "providers", "links", "list", "--json",
         "--data-dir", str(down.data_dir)],
        env=down._env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert '"alias": "corp"' in links.stdout


def test_cancelling_at_the_upstream_ends_on_a_page(
    servers: Pair, page: Page, rp_site: RelyingPartySite
) -> None:
    down, up = servers.downstream, servers.upstream
    with httpx.Client(base_url=down.issuer, timeout=10.0) as api:
        client = register(api, rp_site.redirect_uri)
    attempt = prepare(down, client["client_id"], rp_site.redirect_uri, kc_idp_hint="corp")
    page.goto(attempt.url)  # kc_idp_hint: straight to the upstream's login page
    assert page.url.startswith(f"http://localhost:{up.port}{LOGIN_PATH}")
    page.fill("#username", "carol")
    page.fill("#password", CAROL)
    with page.expect_navigation(url=lambda u: CONSENT_PATH in u):
        page.click("#login")
    assert page.url.startswith(f"http://localhost:{up.port}{CONSENT_PATH}")
    with page.expect_navigation(url=lambda u: u.startswith(down.issuer)):
        page.click("#deny")
    assert page.locator("#federation-error").get_attribute("data-code") == "cancelled"
    assert "cancelled" in page.inner_text("#federation-error")


def test_a_form_post_answer_from_another_site_signs_in(
    servers: Pair, page: Page, rp_site: RelyingPartySite
) -> None:
    """The upstream (``localhost``) posts its answer to the downstream (``127.0.0.1``), a
    cross-site POST that carries no SameSite=Lax cookie: the downstream posts it to itself
    once more, and the sign-in completes."""
    down, up = servers.downstream, servers.upstream
    callback = f"{down.issuer}/jans-auth/federation/corp-post/callback"
    posts: list[str] = []
    page.on(
        "request",
        lambda r: (
            posts.append(r.post_data or "") if r.method == "POST" and r.url == callback else None
        ),
    )
    with httpx.Client(base_url=down.issuer, timeout=10.0) as api:
        client = register(api, rp_site.redirect_uri)
        attempt = prepare(down, client["client_id"], rp_site.redirect_uri, kc_idp_hint="corp-post")
        page.goto(attempt.url)
        assert page.url.startswith(f"http://localhost:{up.port}{LOGIN_PATH}")
        page.fill("#username", ADMIN)
        page.fill("#password", up.admin_password)
        with page.expect_navigation(
            url=lambda u: not u.startswith(f"http://localhost:{up.port}{LOGIN_PATH}")
        ):
            page.click("#login")
        if page.url.startswith(f"http://localhost:{up.port}{CONSENT_PATH}"):
            page.click("#allow")
        page.wait_for_url(lambda u: u.startswith(down.issuer + CONSENT_PATH))
        approve(page, rp_site.redirect_uri)
        params = landed(page, rp_site, attempt)
        response = token_request(api, attempt, params["code"])
        assert response.status_code == 200, response.text
        claims = verified_id_token(api, response.json()["id_token"], attempt)
        assert claims["amr"] == ["fed"] and claims["idp"] == "corp-post"
    assert len(posts) == 2, posts  # the upstream's post, then the downstream's own
    assert "authgate_bounced=1" not in posts[0] and "authgate_bounced=1" in posts[1]
