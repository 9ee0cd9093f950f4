"""Connection errors, every tab at 80x24, and screenshots of the main screens."""

from __future__ import annotations

import os
import re
import time
from html import unescape
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from authgate.admin.client import AdminClient
from authgate.admin.context import Actor
from authgate.admin.values import format_time
from authgate.assembly import admin_service
from authgate.runtime import Runtime
from authgate.tui.app import TABS, AdminApp, make_app
from authgate.tui.widgets.audit import AuditPane
from authgate.tui.widgets.connection_error import ConnectionErrorScreen
from authgate.web.app import create_app
from tests.admin.support import sign_in
from tests.support import ISSUER, Browser
from tests.tui.conftest import settle

DOCS = Path(__file__).parents[2] / "docs"


def _text(svg: str) -> str:
    """The visible text of an exported SVG screenshot, one string."""
    return unescape(" ".join(re.findall(r">([^<]+)</text>", svg))).replace("\xa0", " ")


async def test_unreachable_server_shows_a_clear_error() -> None:
    app = make_app(AdminClient("http://127.0.0.1:9", "id", "secret", timeout=2))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConnectionErrorScreen)
        assert "cannot reach http://127.0.0.1:9" in screen.message
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0


async def test_refused_credentials_show_a_clear_error(runtime: Runtime) -> None:
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    client_id = runtime.first_start.admin_client_id or ""
    app = make_app(AdminClient(ISSUER, client_id, "wrong secret", transport=transport))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConnectionErrorScreen)
        assert "admin credentials refused" in screen.message
        assert "invalid_client" in screen.message


async def _rendered(pilot: Pilot[None], app: AdminApp, needles: list[str]) -> str:
    """The screen once every needle is on it, or after 10 s (a loaded machine answers the
    tab's API calls late); the caller asserts."""
    deadline = time.monotonic() + 10
    while True:
        await settle(pilot)
        text = _text(app.export_screenshot())
        if all(n in text for n in needles) or time.monotonic() > deadline:
            return text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_tab_renders_at_80x24(
    app: AdminApp, runtime: Runtime, http: httpx.AsyncClient, browser: Browser
) -> None:
    await sign_in(http, browser)  # a session, tokens and a user to show
    expected = {
        "properties": ["Edit", "RS256"],  # a property row with its value, and its key help
        "clients": ["authgate admin (Config API)", "Client ID"],
        "scopes": ["email", "DCR", "https://jans.io/oauth/"],
        "keys": ["connect_", "signing"],
        "users": ["alice", "alice@example.com"],
        "sessions": ["alice"],
        "audit": ["Time (UTC)", "Action"],
    }
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for number, tab in enumerate(TABS, start=1):
            await pilot.press(str(number))
            text = await _rendered(pilot, app, expected[tab])
            for needle in expected[tab]:
                assert needle in text, (tab, needle, text)
            assert "1 Properties" in text and "7 Audit" in text
            assert "Quit" in text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_properties_screenshot(app: AdminApp) -> None:
    """The Properties screen as the README shows it (docs/tui-properties.svg).

    Set AUTHGATE_UPDATE_SCREENSHOTS=1 to rewrite the committed SVG files.
    """
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"clientAuthenticationFiltersEnabled", "enter")
        await settle(pilot)
        svg = app.export_screenshot(title="authgate tui: Auth Server, Properties")
        text = _text(svg)
        for needle in ("Property Name", "Property Value", "clientAuthenticationFiltersEnabled",
                       "Edit", "Search", "Reload"):  # fmt: skip
            assert needle in text, needle
        await pilot.press("enter")
        await settle(pilot)
        editor_svg = app.export_screenshot(title="authgate tui: edit a property")
        assert "Save (ctrl+s)" in _text(editor_svg)
    shots = {"tui-properties.svg": svg, "tui-property-editor.svg": editor_svg}
    for name, shot in shots.items():
        if os.environ.get("AUTHGATE_UPDATE_SCREENSHOTS") == "1":
            (DOCS / name).write_text(shot, "utf-8")
        # a text snapshot: the committed screenshot shows what the TUI renders today
        committed = (DOCS / name).read_text("utf-8")
        assert _text(shot) == _text(committed), f"docs/{name} is stale: see the docstring"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_clients_table_shows_the_client_id_in_80_columns(
    app: AdminApp, runtime: Runtime
) -> None:
    client_id = runtime.first_start.admin_client_id or ""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        text = _text(app.export_screenshot())
    assert "Client ID" in text
    assert client_id in text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_audit_tab_shows_times_reloads_when_opened_and_searches(
    app: AdminApp, runtime: Runtime
) -> None:
    admin = admin_service(runtime)
    await admin.config.set_properties({"requirePkce": True}, Actor("cli:first"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        pane = app.query_one(AuditPane)
        table = pane.query_one(DataTable)
        first = next(iter(pane.items.values()))
        row = [str(c) for c in table.get_row(str(first["entry_id"]))]
        assert row[0] == format_time(first["at"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[0])
        assert "Search" in _text(app.export_screenshot())

        await pilot.press("1")  # a change made elsewhere shows when the tab is opened again
        await admin.config.set_properties({"accessTokenLifetime": 600}, Actor("cli:second"))
        await pilot.press("7")
        await settle(pilot)
        assert {e["actor"] for e in pane.items.values()} >= {"cli:first", "cli:second"}

        await pilot.press("slash", *"cli:second")
        await settle(pilot)
        assert [e["actor"] for e in pane.items.values()] == ["cli:second"]
        assert table.row_count == 1
