"""Auth Server → Users → a user's account (``a``): the apps the user approved and the user's
sessions, revoked and ended through the real Config API."""

from __future__ import annotations

import httpx
from textual.widgets import DataTable

from authgate.core.mfa import enrolment
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.runtime import Runtime
from authgate.tui.app import AdminApp
from authgate.tui.widgets.account import UserAccountScreen
from authgate.tui.widgets.confirm import ConfirmDialog
from tests.lifecycle import INTROSPECTION, basic, confidential_tokens
from tests.mfa_support import enrol_totp
from tests.support import Flow
from tests.tui.conftest import settle


def _rows(app: AdminApp, pane: str) -> list[tuple[str, ...]]:
    table = app.screen.query_one(f"#{pane} DataTable", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_a_users_apps_and_sessions(
    app: AdminApp, runtime: Runtime, http: httpx.AsyncClient, flow: Flow
) -> None:
    client, tokens = await confidential_tokens(flow, client_name="Photos")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")  # Users
        await settle(pilot)
        users = app.screen.query_one("#pane-users DataTable", DataTable)
        rows = [str(users.get_row_at(i)[0]) for i in range(users.row_count)]
        users.move_cursor(row=rows.index("alice"))
        users.focus()
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, UserAccountScreen)
        [grant] = _rows(app, "pane-user-grants")
        assert grant[:2] == ("Photos", client["client_id"])
        [session] = _rows(app, "pane-user-sessions")
        assert session[4].startswith("python-httpx/")

        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert _rows(app, "pane-user-grants") == []

        app.screen.query_one("#pane-user-sessions DataTable", DataTable).focus()
        await pilot.press("D", "y")
        await settle(pilot)
        assert _rows(app, "pane-user-sessions") == []
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, UserAccountScreen)
    introspected = await http.post(
        INTROSPECTION,
        data={"token": tokens["access_token"]},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert introspected.json() == {"active": False}


async def test_a_users_factors_are_shown_and_reset(app: AdminApp, runtime: Runtime) -> None:
    svc = runtime.services
    alice = await svc.users.get_by_username("alice")
    assert alice is not None
    seed = await enrol_totp(svc, alice)
    codes = await enrolment.new_recovery_codes(alice.user_id, svc, source=None)
    key = PasskeyCredential("cred-1", alice.user_id, "pQECAyYgKeyMaterial", 0, "aGFuZGxl",
                            "Laptop", svc.clock.now())  # fmt: skip
    assert await svc.passkeys.add(key)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("5")  # Users
        await settle(pilot)
        users = app.screen.query_one("#pane-users DataTable", DataTable)
        rows = [str(users.get_row_at(i)[0]) for i in range(users.row_count)]
        users.move_cursor(row=rows.index("alice"))
        users.focus()
        await pilot.press("a")
        await settle(pilot)
        factors = _rows(app, "pane-user-factors")
        assert [(r[0], r[1]) for r in factors] == [
            ("authenticator app", "Authenticator app"),
            ("passkey", "Laptop"),
            ("recovery codes", "10 left"),
        ]
        assert all(seed not in c and codes[0] not in c for r in factors for c in r)
        assert all("KeyMaterial" not in c for r in factors for c in r)
        table = app.screen.query_one("#pane-user-factors DataTable", DataTable)
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert [r[0] for r in _rows(app, "pane-user-factors")] == [
            "authenticator app",
            "recovery codes",
        ]
        assert await svc.passkeys.for_user(alice.user_id) == []
        app.screen.query_one("#pane-user-factors DataTable", DataTable).focus()
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert _rows(app, "pane-user-factors") == []
    assert await svc.factors.list(alice.user_id) == []
    assert await svc.factors.recovery_codes_left(alice.user_id) == 0
