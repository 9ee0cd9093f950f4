"""TUI fixtures: the app over an AdminClient whose transport is the real in-process server."""

from __future__ import annotations

import httpx
import pytest
from textual.pilot import Pilot

from authgate.admin.client import AdminClient
from authgate.runtime import Runtime
from authgate.tui.app import AdminApp, make_app
from authgate.web.app import create_app
from tests.support import ISSUER


@pytest.fixture
def admin_client(runtime: Runtime) -> AdminClient:
    first = runtime.first_start
    assert first.admin_client_id and first.admin_client_secret
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    return AdminClient(
        ISSUER, first.admin_client_id, first.admin_client_secret, transport=transport
    )


@pytest.fixture
def app(admin_client: AdminClient) -> AdminApp:
    return make_app(admin_client)


async def settle(pilot: Pilot[None]) -> None:
    """Let pending messages and workers (API calls) finish."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def backend() -> str:
    """SQLite only: the screens talk to the Config API over HTTP, and what the API stores is
    tested on both databases in tests/admin; here PostgreSQL would repeat the slow UI runs."""
    return "sqlite"
