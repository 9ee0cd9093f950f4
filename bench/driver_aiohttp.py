"""The second driver: ordinary aiohttp clients, one browser-like session per virtual user.

It exists so that the comparison does not rest on the shortcuts of ``bench/driver.py`` (a
hand-written HTTP/1.1 client, a cookie header copied once after login). Nothing here is
tuned: every user has its own :class:`aiohttp.ClientSession` with the default connector and
cookie jar, logs in by following the redirects and submitting the forms of the target's real
login and consent pages, and then lets the jar send whatever cookies the server set, as a
browser would. Requests carry aiohttp's default headers (``User-Agent``, ``Accept-Encoding``).

The protocol checks are the lean driver's (:func:`bench.driver.authorization_code`,
:func:`bench.driver.token_response`, :func:`bench.driver.check_id_token`), so both drivers ask
the servers for the same work and accept the same answers; only the HTTP client differs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import aiohttp
from joserfc.jwk import KeySet

from bench.driver import (
    Form,
    Operations,
    authorization_code,
    check_id_token,
    pkce_pair,
    token_response,
)
from bench.targets import PASSWORD, Target


@dataclass
class Session:
    """One virtual user: a logged-in aiohttp session (cookie jar and connection pool)."""

    index: int
    base_url: str
    http: aiohttp.ClientSession
    refresh_token: str = ""
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # code, verifier, nonce


class AiohttpDriver(Operations[Session]):
    """The same modes as :class:`bench.driver.Driver`, through aiohttp."""

    name = "aiohttp"
    connection_errors = (OSError, aiohttp.ClientError)  # TimeoutError is an OSError

    def __init__(self, target: Target) -> None:
        self.target = target
        self.keys: KeySet | None = None

    def _authorize_url(self, base_url: str, challenge: str, state: str, nonce: str) -> str:
        query = self._authorize_query(challenge, state, nonce)
        return f"{base_url}{self.target.authorize_path}?{query}"

    # --- set-up (not measured) -------------------------------------------------------------

    async def login(self, index: int) -> Session:
        """Follow the authorization request through the login (and consent) pages."""
        instance = self.target.instances[index % len(self.target.instances)]
        # unsafe=True: the jar otherwise refuses cookies of a bare IP address such as 127.0.0.1
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        user = Session(index, instance.url, http)
        try:
            verifier, challenge = pkce_pair()
            state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
            url = self._authorize_url(instance.url, challenge, state, nonce)
            status, location = await self._get(http, url)
            for _ in range(10):
                if status not in (302, 303) or not location:
                    raise RuntimeError(f"login: HTTP {status} at {url}")
                if location.startswith(self.target.redirect_uri):
                    break
                url = urljoin(url, location)
                async with http.get(url, allow_redirects=False) as page:
                    body = await page.text()
                    if page.status in (302, 303):
                        status, location = page.status, page.headers.get("Location", "")
                        continue
                form = Form()
                form.feed(body)
                if page.status != 200 or form.action is None:
                    raise RuntimeError(f"login page: HTTP {page.status} {body[:300]}")
                data = dict(form.fields)
                if form.has_password:
                    data |= {"username": f"user{index}", "password": PASSWORD}
                elif form.decision:
                    data[form.decision] = "allow"
                url = urljoin(url, form.action)
                async with http.post(url, data=data, allow_redirects=False) as response:
                    await response.read()
                    status, location = response.status, response.headers.get("Location", "")
            else:
                raise RuntimeError("login: too many redirects")
            code = authorization_code(self.target, status, location, state)
            if self.keys is None:
                async with http.get(self.target.jwks_url) as jwks:
                    self.keys = KeySet.import_key_set(await jwks.json())
            tokens = await self._redeem(user, code, verifier, nonce, verify=True)
        except BaseException:
            await http.close()
            raise
        user.refresh_token = tokens["refresh_token"]
        return user

    async def close(self, user: Session) -> None:
        await user.http.close()

    # --- the measured requests -------------------------------------------------------------

    @staticmethod
    async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
        async with http.get(url, allow_redirects=False) as response:
            await response.read()
            return response.status, response.headers.get("Location", "")

    async def _authorize(self, user: Session, challenge: str, state: str, nonce: str) -> str:
        url = self._authorize_url(user.base_url, challenge, state, nonce)
        status, location = await self._get(user.http, url)
        return authorization_code(self.target, status, location, state)

    async def _token(self, user: Session, form: dict[str, str]) -> dict[str, Any]:
        async with user.http.post(user.base_url + self.target.token_path, data=form) as r:
            return token_response(r.status, await r.read())

    async def _redeem(
        self, user: Session, code: str, verifier: str, nonce: str, *, verify: bool = False
    ) -> dict[str, Any]:
        tokens = await self._token(user, self._code_form(code, verifier))
        check_id_token(self.target, tokens, nonce, self.keys if verify else None)
        return tokens
