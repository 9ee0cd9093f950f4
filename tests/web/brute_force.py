"""Helpers for the brute-force protection tests: browsers with their own cookie jars that
come from an address of the test's choosing (through a trusted proxy), and the login page."""

from __future__ import annotations

import re
from typing import Any

import httpx

from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.web.app import create_app
from tests.conftest import patch_config
from tests.support import ISSUER, authorize_params, hidden_form, new_verifier, s256

LOGIN = "/jans-auth/login.htm"
#: The test client's peer address, made a trusted proxy so X-Forwarded-For chooses the source.
PROXY = "127.0.0.1"


def proxied_settings(database_url: str) -> Settings:
    """The root ``settings`` fixture's, with the test client as a trusted proxy."""
    return Settings(
        issuer_url=ISSUER,
        database_url=database_url,
        admin_password="admin-password-1",
        trusted_proxies=PROXY,
    )


async def protect(runtime: Runtime, **members: Any) -> None:
    """Change members of ``authenticationProtectionConfiguration``."""
    current = runtime.live_config.current.authenticationProtectionConfiguration
    await patch_config(
        runtime, authenticationProtectionConfiguration=current.model_dump() | members
    )


class LoginBrowser:
    """A browser (its own cookies) at the login page of the flow document's client."""

    def __init__(self, runtime: Runtime, client_id: str) -> None:
        transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
        self.http = httpx.AsyncClient(transport=transport, base_url=ISSUER)
        self.client_id = client_id
        self.fields: dict[str, str] = {}

    async def aclose(self) -> None:
        await self.http.aclose()

    async def open(self) -> None:
        """Start an authorization request and stop at a fresh login page."""
        params = authorize_params(self.client_id, s256(new_verifier(64)), "S256")
        response = await self.http.get("/jans-auth/restv1/authorize", params=params)
        assert response.status_code == 302, response.text
        page = await self.http.get(response.headers["location"])
        assert page.status_code == 200, page.text
        _action, self.fields = hidden_form(page.text)

    async def submit(self, username: str, password: str, source: str) -> httpx.Response:
        """Post the login form from ``source``; never a 5xx."""
        data = self.fields | {"username": username, "password": password}
        response = await self.http.post(LOGIN, data=data, headers={"X-Forwarded-For": source})
        assert response.status_code < 500, response.text
        return response

    async def attempt(self, username: str, password: str, source: str) -> httpx.Response:
        """A login on a fresh page."""
        await self.open()
        return await self.submit(username, password, source)


def retry_after(page: httpx.Response) -> int | None:
    """The wait a login page announces, checked against its Retry-After header."""
    found = re.search(r"Try again in (\d+) seconds\.", page.text)
    header = page.headers.get("retry-after")
    assert (found is None) == (header is None), (page.text, header)
    return None if found is None else int(found.group(1))


def normalised(page: httpx.Response, username: str) -> str:
    """The page with the username it echoes replaced (the only input it shows)."""
    echoed = f'value="{username}"'
    assert page.text.count(echoed) == 1
    return page.text.replace(echoed, 'value="USERNAME"')
