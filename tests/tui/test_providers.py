"""Auth Server → Sessions → Identity providers (``i``): upstream providers and their state,
disabled and removed through the real Config API."""

from __future__ import annotations

from textual.widgets import DataTable

from authgate.admin.context import Actor
from authgate.admin.federation_schemas import ProviderIn
from authgate.assembly import admin_service
from authgate.runtime import Runtime
from authgate.tui.app import AdminApp
from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.providers import ProvidersScreen
from tests.tui.conftest import settle


def _rows(app: AdminApp) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#pane-providers DataTable", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_list_disable_and_remove_providers(app: AdminApp, runtime: Runtime) -> None:
    service = admin_service(runtime).federation
    await service.create(
        ProviderIn(alias="corp", issuer="https://idp.corp.example", client_id="c",
                   client_secret="corp-secret-value", display_name="Corp SSO"),
        Actor("test"),
    )  # fmt: skip
    await service.create(
        ProviderIn(alias="gh", preset="github", client_id="g", client_secret="gh-secret-value"),
        Actor("test"),
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("6", "i")  # Sessions, then its Identity providers screen
        await settle(pilot)
        assert isinstance(app.screen, ProvidersScreen)
        rows = _rows(app)
        assert rows == [
            ("corp", "Corp SSO", "oidc", "enabled", "yes", "no", "https://idp.corp.example"),
            ("gh", "GitHub", "oauth2", "enabled", "yes", "no",
             "https://github.com/login/oauth/access_token"),
        ]  # fmt: skip
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert _rows(app)[0][3] == "disabled"
        table = app.screen.query_one("#pane-providers DataTable", DataTable)
        table.move_cursor(row=1)
        await pilot.press("d", "y")
        await settle(pilot)
        assert [r[0] for r in _rows(app)] == ["corp"]
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ProvidersScreen)
    assert [p.alias for p in await service.list()] == ["corp"]
    assert not (await service.get("corp")).enabled
