"""The load driver: virtual users that log in once, then loop over the measured requests.

Modes (run by :func:`bench.measure.measure`):
- ``flow``: fresh code_verifier/S256 challenge, state and nonce; GET authorize with the
  session cookie; the code from the Location header; POST the token request; check the
  tokens (id_token nonce and audience every time; its signature against JWKS once per run).
- ``token``: the token request alone, on codes minted before the run.
- ``refresh``: the refresh_token grant, each user following its rotated refresh token.

Only operations that complete inside the measurement window count; the server's CPU time is
read from its processes at the window's edges.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from bench.http import Connection, HttpError
from bench.targets import PASSWORD, SCOPE, Target

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Failure(Exception):
    """One failed operation, counted by its kind."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64json(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return claims


class Form(HTMLParser):
    """The first POST form of a login or consent page: action, hidden fields, inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.has_password = False
        self.decision: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None and a.get("method", "").lower() == "post":
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "hidden" and "name" in a:
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "password":
            self.has_password = True
        elif tag == "button" and a.get("name") and a.get("value") == "allow":
            self.decision = a["name"]


def authorization_code(target: Target, status: int, location: str, state: str) -> str:
    """The code of an authorization response redirected to the client (RFC 6749 §4.1.2),
    with its ``state`` and ``iss`` (RFC 9207) checked; anything else is a failure."""
    if status not in (302, 303):
        raise Failure(f"authorize HTTP {status}")
    if not location.startswith(target.redirect_uri):
        raise Failure("authorize went to an interaction instead of the client")
    params = parse_qs(urlsplit(location).query)
    if "error" in params:
        raise Failure(f"authorize {params['error'][0]}")
    if params.get("state") != [state]:
        raise Failure("authorize state mismatch")
    if params.get("iss") != [target.issuer]:
        raise Failure("authorize iss missing or wrong")
    return params["code"][0]


def token_response(status: int, body: bytes) -> dict[str, Any]:
    """A successful token response (RFC 6749 §5.1) with a Bearer access token, or a failure
    named after the error code of an error response (§5.2)."""
    if status != 200:
        try:
            error = json.loads(body).get("error", "?")
        except ValueError:
            error = "non-JSON body"
        raise Failure(f"token HTTP {status} {error}")
    tokens: dict[str, Any] = json.loads(body)
    if not tokens.get("access_token") or str(tokens.get("token_type")).lower() != "bearer":
        raise Failure("token response without a Bearer access_token")
    return tokens


def check_id_token(target: Target, tokens: dict[str, Any], nonce: str, keys: KeySet | None) -> None:
    """The code exchange's id_token and refresh token: nonce and audience every time
    (OpenID Connect Core §3.1.3.7); the signature too when ``keys`` are given."""
    id_token = tokens.get("id_token")
    if not id_token or not tokens.get("refresh_token"):
        raise Failure("token response without id_token or refresh_token")
    claims = (
        jwt.decode(id_token, keys).claims if keys is not None else _b64json(id_token.split(".")[1])
    )
    if claims.get("nonce") != nonce:
        raise Failure("id_token nonce mismatch")
    aud = claims.get("aud")
    if target.client_id not in (aud if isinstance(aud, list) else [aud]):
        raise Failure("id_token aud mismatch")


@dataclass
class User:
    """One virtual user: a logged-in browser session and a keep-alive connection."""

    index: int
    base_url: str
    conn: Connection
    cookie: str = ""
    refresh_token: str = ""
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # code, verifier, nonce


@dataclass
class Window:
    """The measurement window; operations are kept with their completion time."""

    start: float
    end: float
    samples: list[tuple[float, float, float | None]] = field(default_factory=list)
    failures: list[tuple[float, str]] = field(default_factory=list)

    def record(self, done: float, token_s: float, flow_s: float | None) -> None:
        if done >= self.start:
            self.samples.append((done, token_s * 1000, None if flow_s is None else flow_s * 1000))

    def fail(self, done: float, kind: str) -> None:
        if done >= self.start:
            self.failures.append((done, kind))

    def inside(self) -> tuple[list[tuple[float, float, float | None]], Counter[str]]:
        samples = [s for s in self.samples if self.start <= s[0] <= self.end]
        errors = Counter(kind for done, kind in self.failures if self.start <= done <= self.end)
        return samples, errors


class VirtualUser(Protocol):
    """What the shared operations need of a driver's user."""

    refresh_token: str
    codes: list[tuple[str, str, str]]


U = TypeVar("U", bound=VirtualUser)


class Operations(Generic[U]):
    """The measured operations and their loops, the same for every driver: a driver brings
    its HTTP client through ``_authorize``, ``_redeem`` and ``_token``, and names the
    exceptions that mean a broken connection."""

    target: Target
    #: Exceptions of the driver's client counted as connection failures.
    connection_errors: tuple[type[BaseException], ...] = (OSError,)

    def _authorize_query(self, challenge: str, state: str, nonce: str) -> str:
        return urlencode(
            {
                "response_type": "code",
                "client_id": self.target.client_id,
                "redirect_uri": self.target.redirect_uri,
                "scope": SCOPE,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )

    def _code_form(self, code: str, verifier: str) -> dict[str, str]:
        """The token request redeeming ``code`` (RFC 6749 §4.1.3, RFC 7636 §4.5)."""
        return {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.target.redirect_uri,
            "client_id": self.target.client_id,
            "code_verifier": verifier,
        }

    async def mint(self, user: U, count: int) -> None:
        """Authorization codes for the token mode, issued before the run."""
        for _ in range(count):
            verifier, challenge = pkce_pair()
            nonce = secrets.token_urlsafe(12)
            code = await self._authorize(user, challenge, secrets.token_urlsafe(12), nonce)
            user.codes.append((code, verifier, nonce))

    async def _authorize(self, user: U, challenge: str, state: str, nonce: str) -> str:
        raise NotImplementedError

    async def _token(self, user: U, form: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    async def _redeem(self, user: U, code: str, verifier: str, nonce: str) -> dict[str, Any]:
        raise NotImplementedError

    async def _attempt(
        self, window: Window, operation: Awaitable[tuple[float, float | None]]
    ) -> None:
        """Run one measured operation: record its (token, flow) seconds or count its failure."""
        try:
            token_s, flow_s = await operation
        except Failure as failure:
            window.fail(time.perf_counter(), failure.kind)
        except self.connection_errors as exc:
            window.fail(time.perf_counter(), f"connection {type(exc).__name__}")
        else:
            window.record(time.perf_counter(), token_s, flow_s)

    async def _flow(self, user: U) -> tuple[float, float | None]:
        start = time.perf_counter()
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        code = await self._authorize(user, challenge, state, nonce)
        middle = time.perf_counter()
        await self._redeem(user, code, verifier, nonce)
        done = time.perf_counter()
        return done - middle, done - start

    async def _exchange(self, user: U) -> tuple[float, float | None]:
        code, verifier, nonce = user.codes.pop()
        start = time.perf_counter()
        await self._redeem(user, code, verifier, nonce)
        return time.perf_counter() - start, None

    async def _refresh(self, user: U) -> tuple[float, float | None]:
        start = time.perf_counter()
        form = {
            "grant_type": "refresh_token",
            "refresh_token": user.refresh_token,
            "client_id": self.target.client_id,
        }
        tokens = await self._token(user, form)
        user.refresh_token = tokens.get("refresh_token") or user.refresh_token
        return time.perf_counter() - start, None

    async def flows(self, user: U, count: int) -> None:
        """``count`` flows one after the other, outside any window: a failure raises."""
        for _ in range(count):
            await self._flow(user)

    async def flow_loop(self, user: U, window: Window) -> None:
        while time.perf_counter() < window.end:
            await self._attempt(window, self._flow(user))

    async def token_loop(self, user: U, window: Window) -> None:
        while time.perf_counter() < window.end and user.codes:
            await self._attempt(window, self._exchange(user))

    async def refresh_loop(self, user: U, window: Window) -> None:
        while time.perf_counter() < window.end:
            await self._attempt(window, self._refresh(user))


class Driver(Operations[User]):
    """The lean driver: a hand-written keep-alive client and a cookie header per user."""

    name = "lean"
    connection_errors = (OSError, HttpError, asyncio.IncompleteReadError)

    def __init__(self, target: Target) -> None:
        self.target = target
        self.keys: KeySet | None = None
        self.verified_signature = False

    # --- set-up (not measured) -------------------------------------------------------------

    async def login(self, index: int) -> User:
        """Log in through the real login and consent pages; returns the logged-in user."""
        instance = self.target.instances[index % len(self.target.instances)]
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        url = f"{instance.url}{self.target.authorize_path}?"
        url += self._authorize_query(challenge, state, nonce)
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.get(url)
            for _ in range(10):
                location = response.headers.get("location")
                if response.status_code not in (302, 303) or not location:
                    raise RuntimeError(f"login: {response.status_code} {response.text[:300]}")
                location = urljoin(str(response.url), location)
                if location.startswith(self.target.redirect_uri):
                    break
                page = await http.get(location)
                if page.status_code in (302, 303):
                    response = page
                    continue
                form = Form()
                form.feed(page.text)
                if page.status_code != 200 or form.action is None:
                    raise RuntimeError(f"login page: {page.status_code} {page.text[:300]}")
                data = dict(form.fields)
                if form.has_password:
                    data |= {"username": f"user{index}", "password": PASSWORD}
                elif form.decision:
                    data[form.decision] = "allow"
                response = await http.post(urljoin(location, form.action), data=data)
            else:
                raise RuntimeError("login: too many redirects")
            params = parse_qs(urlsplit(location).query)
            if params.get("state") != [state] or "code" not in params:
                raise RuntimeError(f"login: bad authorization response {location}")
            cookie = http.build_request("GET", url).headers.get("cookie", "")
            if self.keys is None:
                self.keys = KeySet.import_key_set((await http.get(self.target.jwks_url)).json())
        user = User(index, instance.url, Connection(instance.host, instance.port), cookie)
        tokens = await self._redeem(user, params["code"][0], verifier, nonce)
        user.refresh_token = tokens["refresh_token"]
        return user

    async def close(self, user: User) -> None:
        await user.conn.close()

    # --- the measured requests -------------------------------------------------------------

    async def _authorize(self, user: User, challenge: str, state: str, nonce: str) -> str:
        target = f"{self.target.authorize_path}?{self._authorize_query(challenge, state, nonce)}"
        r = await user.conn.request("GET", target, {"Cookie": user.cookie})
        return authorization_code(self.target, r.status, r.headers.get("location", ""), state)

    async def _token(self, user: User, form: dict[str, str]) -> dict[str, Any]:
        r = await user.conn.request("POST", self.target.token_path, FORM, urlencode(form).encode())
        return token_response(r.status, r.body)

    async def _redeem(self, user: User, code: str, verifier: str, nonce: str) -> dict[str, Any]:
        tokens = await self._token(user, self._code_form(code, verifier))
        keys = None
        if not self.verified_signature:
            assert self.keys is not None
            keys, self.verified_signature = self.keys, True
        check_id_token(self.target, tokens, nonce, keys)
        return tokens
