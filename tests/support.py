"""Test support: a controllable clock, a fast (still argon2id) hasher, the flow document's
requests, and a tiny browser that drives the real login and consent forms over HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from authgate.crypto.passwords import Argon2PasswordHasher
from authgate.settings import Settings

ISSUER = "http://127.0.0.1:8080"
REDIRECT_URI = "http://127.0.0.1:8765/jans-auth-rp/home.htm"
USERNAME = "alice"
PASSWORD = "correct horse battery staple"


#: Runs a test that takes the ``backend`` fixture (directly or through ``runtime``/``http``)
#: on SQLite only. For tests of what the database plays no part in (request parsing and
#: validation, headers, pages, documents served from memory): PostgreSQL would repeat them
#: at the cost of a runtime each. Tests of what is stored, found, consumed or raced keep
#: both databases.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


class FakeClock:
    """Wall-clock based, but frozen until ``advance`` is called."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.value = start

    def now(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


def fast_hasher() -> Argon2PasswordHasher:
    """argon2id with minimal cost: the real algorithm, fast enough for hundreds of logins."""
    return Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def flow_registration_body(redirect_uri: str = REDIRECT_URI) -> dict[str, Any]:
    """The registration request of the flow document (docs/janssen-compatibility.md §1.1,
    step 2), with a local redirect URI."""
    return {
        "client_name": "PKCE Test Client",
        "application_type": "web",
        "token_endpoint_auth_method": "none",
        "scope": ["openid", "profile", "email"],
        "grant_types": ["authorization_code"],
        "response_types": ["code", "token", "id_token"],
        "redirect_uris": [redirect_uri],
    }


def new_verifier(length: int = 128) -> str:
    """Like the flow document's ``tr -dc 'A-Za-z0-9-._' </dev/urandom | head -c 128``."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def s256(verifier: str) -> str:
    """``openssl dgst -binary -sha256 | basenc --base64url | tr -d '='``, independently."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        if tag == "input" and a.get("type") == "hidden" and "name" in a:
            self.fields[a["name"]] = a.get("value", "")


def hidden_form(html: str) -> tuple[str, dict[str, str]]:
    parser = _FormParser()
    parser.feed(html)
    assert parser.action, "no form on the page"
    return parser.action, parser.fields


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def fragment_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).fragment).items()}


FORM_POST_MARKER = 'id="authgate-form-post"'


@dataclass
class AuthorizeResult:
    """Where the authorization response went and its parameters, however delivered."""

    location: str
    params: dict[str, str]
    pages: list[str]
    mode: str = "query"


def authorization_result(response: httpx.Response, pages: list[str]) -> AuthorizeResult | None:
    """The response to the client if ``response`` delivers one (query or fragment redirect,
    or a form_post page), else None (a redirect to authgate's own pages)."""
    if response.status_code == 200 and FORM_POST_MARKER in response.text:
        action, fields = hidden_form(response.text)
        return AuthorizeResult(action, fields, pages, "form_post")
    if response.status_code not in (302, 303):
        raise AssertionError(f"unexpected {response.status_code}: {response.text[:500]}")
    location = response.headers["location"]
    if location.startswith("/jans-auth/"):
        return None
    if urlsplit(location).fragment:
        return AuthorizeResult(location, fragment_of(location), pages, "fragment")
    return AuthorizeResult(location, query_of(location), pages)


class Browser:
    """Follows the authorize -> login -> consent -> redirect chain with a cookie jar."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def authorize(
        self,
        params: Mapping[str, str | list[str]],
        *,
        username: str = USERNAME,
        password: str = PASSWORD,
        consent: str = "allow",
    ) -> AuthorizeResult:
        pages: list[str] = []
        # doseq: a list value is a repeated parameter (RFC 8707 resource)
        response = await self.http.get(
            "/jans-auth/restv1/authorize?" + urlencode(params, doseq=True)
        )
        for _ in range(6):
            result = authorization_result(response, pages)
            if result is not None:
                return result
            location = response.headers["location"]
            page = await self.http.get(location)
            assert page.status_code == 200, page.text
            action, fields = hidden_form(page.text)
            if "login.htm" in location:
                pages.append("login")
                fields |= {"username": username, "password": password}
            else:
                pages.append("consent")
                fields["decision"] = consent
            response = await self.http.post(action, data=fields)
        raise AssertionError("too many redirects")


def authorize_params(
    client_id: str, challenge: str | None, method: str | None, **extra: str
) -> dict[str, str]:
    """The flow document's authorize request (step 3)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "scope": "openid profile email",
        "redirect_uri": REDIRECT_URI,
        "state": secrets.token_hex(8),
        "nonce": secrets.token_hex(8),
    }
    if challenge is not None:
        params["code_challenge"] = challenge
    if method is not None:
        params["code_challenge_method"] = method
    params.update(extra)
    return params


def token_form(
    client_id: str, code: str, verifier: str | None, redirect_uri: str = REDIRECT_URI
) -> dict[str, str]:
    """The flow document's token request (step 4)."""
    form = {
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
        "client_id": client_id,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    form["code"] = code
    return form


KID_PATTERN = re.compile(r"^connect_[0-9a-f-]{36}_sig_rs256$")


@dataclass
class IssuedCode:
    code: str
    verifier: str | None
    params: dict[str, str]
    client_id: str


class Flow:
    """Shortcuts over the flow document's steps for tests that exercise one step in detail.

    ``administer`` (given by the ``flow`` fixture) turns a registered client into one as an
    administrator creates it: see :meth:`register`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        browser: Browser,
        administer: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.http = http
        self.browser = browser
        self._administer = administer

    async def register(self, *, administered: bool = False, **overrides: Any) -> dict[str, Any]:
        """Register the flow document's client (``overrides`` change its metadata).

        With ``administered`` the client is then made one an administrator created (no
        registration access token), whose authorization errors go back to its redirect URI
        without an earlier approval by the user (RFC 9700 §4.11.2 applies to clients
        registered dynamically only: docs/security.md).
        """
        body = flow_registration_body() | overrides
        response = await self.http.post("/jans-auth/restv1/register", json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        if administered:
            assert self._administer is not None, "this Flow cannot administer clients"
            await self._administer(data["client_id"])
        return data

    async def code(
        self,
        client_id: str,
        *,
        method: str | None = "S256",
        verifier: str | None = None,
        **extra: str,
    ) -> IssuedCode:
        if method is None:
            verifier, challenge = None, None
        else:
            verifier = verifier or new_verifier(64)
            challenge = s256(verifier) if method.lower() == "s256" else verifier
        params = authorize_params(client_id, challenge, method, **extra)
        result = await self.browser.authorize(params)
        assert "code" in result.params, result.location
        return IssuedCode(result.params["code"], verifier, params, client_id)

    async def token(self, form: dict[str, str], **kwargs: Any) -> httpx.Response:
        return await self.http.post("/jans-auth/restv1/token", data=form, **kwargs)

    async def tokens(self, issued: IssuedCode) -> dict[str, Any]:
        response = await self.token(token_form(issued.client_id, issued.code, issued.verifier))
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


async def assert_registration_refused(
    http: httpx.AsyncClient, metadata: dict[str, Any], member: str
) -> None:
    """Registering the flow document's client with ``metadata`` added is refused with
    ``invalid_client_metadata`` naming ``member`` (OIDC Registration §3.3)."""
    response = await http.post(
        "/jans-auth/restv1/register", json={**flow_registration_body(), **metadata}
    )
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"] == "invalid_client_metadata"
    assert error["error_description"].startswith(f"Parameter {member} is not valid")


def loopback_settings(database_url: str, **extra: Any) -> Settings:
    """The test server's settings with outbound requests to 127.0.0.1 allowed: the
    receivers a test runs there (a client's jwks_uri, a back-channel logout URI, an upstream
    provider) are refused by the outbound policy otherwise."""
    return Settings(
        issuer_url=ISSUER,
        database_url=database_url,
        admin_password="admin-password-1",
        outbound_allow="127.0.0.1",
        **extra,
    )
