"""The flow document (docs/janssen-compatibility.md §1.1) followed literally with a real browser.

A real ``authgate serve`` process, headless Chromium driven by Playwright, and a real page
at the client's redirect URI. Steps 1, 2 and 4 are HTTP requests as the document writes
them; step 3 happens in the browser: login page, consent page, redirect with the code.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from playwright.sync_api import BrowserContext, Page, Response

from tests.e2e.harness import RP_PATH, AuthgateServer, RelyingPartySite
from tests.support import KID_PATTERN, flow_registration_body, new_verifier, query_of, s256

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

LOGIN_PATH = "/jans-auth/login.htm"
CONSENT_PATH = "/jans-auth/authorize.htm"
ADMIN = "admin"
GENERIC_LOGIN_ERROR = "Invalid username or password."


@dataclass
class Attempt:
    """One authorization request: what the client sent and must keep for step 4."""

    client_id: str
    redirect_uri: str
    verifier: str
    state: str
    nonce: str
    url: str


def register(api: httpx.Client, redirect_uri: str) -> dict[str, Any]:
    """Step 2: the document's registration request, redirect URI changed to the local page."""
    response = api.post("/jans-auth/restv1/register", json=flow_registration_body(redirect_uri))
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    assert client["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in client  # RFC 7591: a public client gets no secret
    assert client["grant_types"] == ["implicit", "refresh_token", "authorization_code"]
    assert client["scope"] == "email openid profile"
    assert client["redirect_uris"] == [redirect_uri]
    return client


def prepare(
    server: AuthgateServer,
    client_id: str,
    redirect_uri: str,
    method: str = "s256",
    **extra: str,
) -> Attempt:
    """Step 1 and the step 3 URL, written out exactly as in the document."""
    verifier = new_verifier(128)
    challenge = s256(verifier) if method.lower() == "s256" else verifier
    state, nonce = str(uuid.uuid4()), str(uuid.uuid4())
    params = [
        "response_type=code",
        f"client_id={client_id}",
        "scope=openid+profile+email",
        f"redirect_uri={redirect_uri}",
        f"state={state}",
        f"nonce={nonce}",
        f"code_challenge={challenge}",
        f"code_challenge_method={method}",
        *(f"{name}={value}" for name, value in extra.items()),
    ]
    url = f"{server.issuer}/jans-auth/restv1/authorize?" + "&".join(params)
    return Attempt(client_id, redirect_uri, verifier, state, nonce, url)


def path_of(url: str) -> str:
    return httpx.URL(url).path


def redirect_chain(response: Response) -> list[str]:
    """Every URL the browser went through to get ``response``, first to last."""
    urls = [response.url]
    request = response.request.redirected_from
    while request is not None:
        urls.insert(0, request.url)
        request = request.redirected_from
    return urls


def submit_login(page: Page, username: str, password: str) -> Response:
    """Type into the real login form and press "Sign in"; the response of the next page."""
    assert path_of(page.url) == LOGIN_PATH
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation() as navigation:
        page.click("#login")
    response = navigation.value
    assert response is not None
    return response


def approve(page: Page, redirect_uri: str) -> Response:
    """Press "Allow" on the consent page; the response of the client's redirect page."""
    assert path_of(page.url) == CONSENT_PATH
    with page.expect_navigation(url=lambda url: url.startswith(redirect_uri + "?")) as navigation:
        page.click("#allow")
    response = navigation.value
    assert response is not None
    return response


def landed(page: Page, rp_site: RelyingPartySite, attempt: Attempt) -> dict[str, str]:
    """The browser is on the client's real page; the parameters it carried there."""
    assert page.url.startswith(attempt.redirect_uri + "?"), page.url
    assert page.inner_text("#rp-home") == "PKCE Test Client home"
    origin = attempt.redirect_uri.removesuffix(RP_PATH)
    assert page.url.removeprefix(origin) in rp_site.hits  # the page was really fetched
    return query_of(page.url)


def token_request(api: httpx.Client, attempt: Attempt, code: str) -> httpx.Response:
    """Step 4 exactly as the document shows it: form body, no client secret."""
    body = "&".join(
        [
            "grant_type=authorization_code",
            f"redirect_uri={attempt.redirect_uri}",
            f"client_id={attempt.client_id}",
            f"code_verifier={attempt.verifier}",
            f"code={code}",
        ]
    )
    return api.post(
        "/jans-auth/restv1/token",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def half_hash(value: str) -> str:
    """at_hash / c_hash (OIDC Core §3.1.3.6), computed here independently of authgate."""
    digest = hashlib.sha256(value.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verified_id_token(api: httpx.Client, id_token: str, attempt: Attempt) -> dict[str, Any]:
    """Verify the id_token's signature against the published JWKS and check its claims."""
    jwks = api.get("/jans-auth/restv1/jwks")
    assert jwks.status_code == 200
    token = jwt.decode(id_token, KeySet.import_key_set(jwks.json()), algorithms=["RS256"])
    assert token.header["typ"] == "jwt"
    assert KID_PATTERN.match(token.header["kid"])
    JWTClaimsRegistry(
        iss={"essential": True, "value": str(api.base_url).rstrip("/")},
        aud={"essential": True, "value": attempt.client_id},
        nonce={"essential": True, "value": attempt.nonce},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        auth_time={"essential": True},
    ).validate(token.claims)
    return token.claims


def sign_in_and_consent(
    page: Page, server: AuthgateServer, rp_site: RelyingPartySite, attempt: Attempt
) -> dict[str, str]:
    """Step 3 from a browser with no session: login page, consent page, client's page."""
    login = page.goto(attempt.url)
    assert login is not None and login.status == 200
    assert path_of(login.url) == LOGIN_PATH
    consent = submit_login(page, ADMIN, server.admin_password)
    assert consent.status == 200 and path_of(consent.url) == CONSENT_PATH
    approve(page, attempt.redirect_uri)
    return landed(page, rp_site, attempt)


@pytest.mark.parametrize("method", ["s256", "plain"])
def test_flow_document_in_a_real_browser(
    page: Page,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
    method: str,
) -> None:
    client = register(api, rp_site.redirect_uri)
    attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri, method)

    # 3. the browser: login page, then consent listing the requested scopes
    login = page.goto(attempt.url)
    assert login is not None and login.status == 200
    assert path_of(login.url) == LOGIN_PATH
    assert page.inner_text("h1") == "Sign in"
    consent = submit_login(page, ADMIN, authgate_server.admin_password)
    assert path_of(consent.url) == CONSENT_PATH
    listed = page.locator("#scopes li[data-scope]")
    assert sorted(
        listed.nth(i).get_attribute("data-scope") or "" for i in range(listed.count())
    ) == [
        "email",
        "openid",
        "profile",
    ]
    assert "PKCE Test Client" in page.inner_text("main")
    arrival = approve(page, attempt.redirect_uri)
    assert arrival.status == 200
    params = landed(page, rp_site, attempt)
    assert params["state"] == attempt.state
    assert params["iss"] == authgate_server.issuer  # RFC 9207
    code = params["code"]

    # 4. the token request exactly as in the document
    response = token_request(api, attempt, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert set(tokens) == {"access_token", "refresh_token", "id_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer"
    assert 295 <= tokens["expires_in"] <= 300  # seconds left of the 300 s access token

    claims = verified_id_token(api, tokens["id_token"], attempt)
    assert claims["c_hash"] == half_hash(code)
    assert claims["at_hash"] == half_hash(tokens["access_token"])
    assert claims["grant"] == "authorization_code"
    assert claims["jansOpenIDConnectVersion"] == "openidconnect-1.0"
    assert claims["amr"] and claims["acr"] and claims["sid"]

    info = api.get(
        "/jans-auth/restv1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["preferred_username"] == ADMIN

    # the code is single use, and replaying it revokes what it issued
    replay = token_request(api, attempt, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    revoked = api.get(
        "/jans-auth/restv1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert revoked.status_code == 401


def test_second_authorize_is_single_sign_on_and_prompt_login_asks_again(
    page: Page,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    client_id = register(api, rp_site.redirect_uri)["client_id"]
    first = prepare(authgate_server, client_id, rp_site.redirect_uri)
    first_code = sign_in_and_consent(page, authgate_server, rp_site, first)["code"]
    first_tokens = token_request(api, first, first_code).json()
    first_claims = verified_id_token(api, first_tokens["id_token"], first)

    # same browser, new request: straight back to the client with a code, no page shown
    second = prepare(authgate_server, client_id, rp_site.redirect_uri)
    arrival = page.goto(second.url)
    assert arrival is not None and arrival.status == 200
    chain = [path_of(url) for url in redirect_chain(arrival)]
    assert chain == ["/jans-auth/restv1/authorize", "/jans-auth-rp/home.htm"]
    params = landed(page, rp_site, second)
    assert params["state"] == second.state
    second_tokens = token_request(api, second, params["code"])
    assert second_tokens.status_code == 200, second_tokens.text
    second_claims = verified_id_token(api, second_tokens.json()["id_token"], second)
    assert second_claims["sub"] == first_claims["sub"]
    assert second_claims["sid"] == first_claims["sid"]
    assert second_claims["auth_time"] == first_claims["auth_time"]

    # prompt=login: the login page again, although the session is alive
    third = prepare(authgate_server, client_id, rp_site.redirect_uri, prompt="login")
    login = page.goto(third.url)
    assert login is not None and login.status == 200
    assert path_of(login.url) == LOGIN_PATH
    arrival = submit_login(page, ADMIN, authgate_server.admin_password)
    # consent was remembered, so the fresh login goes straight back to the client
    assert arrival.url.startswith(rp_site.redirect_uri + "?")
    params = landed(page, rp_site, third)
    third_tokens = token_request(api, third, params["code"])
    assert third_tokens.status_code == 200, third_tokens.text
    third_claims = verified_id_token(api, third_tokens.json()["id_token"], third)
    assert third_claims["sub"] == first_claims["sub"]
    assert third_claims["auth_time"] >= first_claims["auth_time"]


def test_login_and_consent_pages_forbid_framing_and_cookies_are_httponly_lax(
    page: Page,
    context: BrowserContext,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    client_id = register(api, rp_site.redirect_uri)["client_id"]
    attempt = prepare(authgate_server, client_id, rp_site.redirect_uri)
    login = page.goto(attempt.url)
    assert login is not None
    consent = submit_login(page, ADMIN, authgate_server.admin_password)
    for response in (login, consent):
        headers = response.headers
        assert headers["x-frame-options"] == "DENY", response.url
        assert "frame-ancestors 'none'" in headers["content-security-policy"], response.url

    cookies = {c["name"]: c for c in context.cookies(authgate_server.issuer)}
    for name in ("session_id", "authgate_ix"):
        assert cookies[name]["httpOnly"] is True, name
        assert cookies[name]["sameSite"] == "Lax", name

    approve(page, attempt.redirect_uri)
    landed(page, rp_site, attempt)
    # The client's page shares the host 127.0.0.1 with authgate (cookies ignore ports), yet
    # its scripts cannot read the session cookie: HttpOnly, as enforced by the browser.
    visible = page.evaluate("document.cookie")
    assert "session_id" not in visible
    assert "authgate_ix" not in visible


def test_wrong_password_shows_an_error_that_does_not_reveal_whether_the_user_exists(
    page: Page,
    context: BrowserContext,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    client_id = register(api, rp_site.redirect_uri)["client_id"]
    attempt = prepare(authgate_server, client_id, rp_site.redirect_uri)
    page.goto(attempt.url)

    errors = {}
    for username in (ADMIN, f"nobody-{uuid.uuid4().hex[:8]}"):
        response = submit_login(page, username, "not-the-password")
        assert response.status == 401
        assert path_of(page.url) == LOGIN_PATH
        errors[username] = page.inner_text("#login-error")
    assert set(errors.values()) == {GENERIC_LOGIN_ERROR}
    assert "session_id" not in {c["name"] for c in context.cookies(authgate_server.issuer)}

    # the same form still works with the right password
    consent = submit_login(page, ADMIN, authgate_server.admin_password)
    assert path_of(consent.url) == CONSENT_PATH


def test_denying_consent_to_a_new_client_shows_an_error_page(
    page: Page,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    """A client registered a moment ago by anyone gets no redirect before a user approved it
    (RFC 9700 §4.11.2): the denial is shown by authgate."""
    client_id = register(api, rp_site.redirect_uri)["client_id"]
    attempt = prepare(authgate_server, client_id, rp_site.redirect_uri)
    page.goto(attempt.url)
    submit_login(page, ADMIN, authgate_server.admin_password)
    hits = list(rp_site.hits)
    with page.expect_navigation() as navigation:
        page.click("#deny")
    response = navigation.value
    assert response is not None and response.status == 400
    assert page.url.startswith(authgate_server.issuer)
    assert "access_denied" in page.content()
    assert rp_site.hits == hits


def test_denying_consent_returns_access_denied_with_state_and_iss(
    page: Page,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    client_id = register(api, rp_site.redirect_uri)["client_id"]
    first = prepare(authgate_server, client_id, rp_site.redirect_uri)
    sign_in_and_consent(page, authgate_server, rp_site, first)  # the user approved it once
    attempt = prepare(authgate_server, client_id, rp_site.redirect_uri, prompt="consent")
    page.goto(attempt.url)
    assert path_of(page.url) == CONSENT_PATH
    with page.expect_navigation(url=lambda url: url.startswith(attempt.redirect_uri + "?")):
        page.click("#deny")
    params = landed(page, rp_site, attempt)
    assert params["error"] == "access_denied"
    assert params["state"] == attempt.state
    assert params["iss"] == authgate_server.issuer
    assert "code" not in params
