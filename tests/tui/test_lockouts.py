"""Auth Server → Sessions → Lockouts (``l``): brute-force protection's counters, cleared one
at a time or per client, through the real Config API."""

from __future__ import annotations

import httpx
from textual.widgets import DataTable

from authgate.runtime import Runtime
from authgate.tui.app import AdminApp
from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.lockouts import LockoutsScreen
from tests.lifecycle import INTROSPECTION, basic
from tests.support import Flow
from tests.tui.conftest import settle


def _rows(app: AdminApp) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#pane-lockouts DataTable", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_list_and_clear_lockouts(
    app: AdminApp, runtime: Runtime, http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    client_id = client["client_id"]
    for _ in range(6):
        wrong = await http.post(INTROSPECTION, data={"token": "x"}, headers=basic(client_id, "x"))
        assert wrong.status_code == 401
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("6", "l")  # Sessions, then its Lockouts screen
        await settle(pilot)
        assert isinstance(app.screen, LockoutsScreen)
        rows = _rows(app)
        assert len(rows) == 3
        states = {(r[3], r[4]): r[0] for r in rows}
        assert states[(client_id, "127.0.0.1")] == "throttled"
        assert states[(client_id, "(everywhere)")] == "counting"
        assert states[("(every client)", "127.0.0.1")] == "counting"

        # clear the selected counter (the newest failure first; select the throttled one)
        table = app.screen.query_one("#pane-lockouts DataTable", DataTable)
        index = next(i for i, r in enumerate(rows) if r[0] == "throttled")
        table.move_cursor(row=index)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert len(_rows(app)) == 2
        assert all(r[0] == "counting" for r in _rows(app))

        # every counter of the selected row's client
        index = next(i for i, r in enumerate(_rows(app)) if r[3] == client_id)
        table.move_cursor(row=index)
        await pilot.press("D", "y")
        await settle(pilot)
        assert [r[3] for r in _rows(app)] == ["(every client)"]
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, LockoutsScreen)
    # the client authenticates at once again
    granted = await http.post(
        INTROSPECTION, data={"token": "x"}, headers=basic(client_id, client["client_secret"])
    )
    assert granted.status_code == 200, granted.text
