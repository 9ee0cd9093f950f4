"""Fixtures for Config API tests: admin credentials, tokens with chosen scopes, an API client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from authgate.admin.scopes import ADMIN_SCOPES
from authgate.runtime import Runtime
from tests.admin.support import Api, client_credentials_token

TokenFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def admin_credentials(runtime: Runtime) -> tuple[str, str]:
    first = runtime.first_start
    assert first.admin_client_id and first.admin_client_secret
    return first.admin_client_id, first.admin_client_secret


@pytest.fixture
def token_for(http: httpx.AsyncClient, admin_credentials: tuple[str, str]) -> TokenFactory:
    """A factory: an admin access token limited to the given scopes."""

    async def make(*scopes: str) -> str:
        return await client_credentials_token(http, *admin_credentials, scopes)

    return make


@pytest.fixture
async def api(http: httpx.AsyncClient, token_for: TokenFactory) -> Api:
    """The Config API with a token holding every admin scope."""
    return Api(http, await token_for(*ADMIN_SCOPES))
