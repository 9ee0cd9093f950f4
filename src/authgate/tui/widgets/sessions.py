"""Auth Server → Sessions: live login sessions; revoke one (and its tokens); ``l`` opens the
Lockouts screen (brute-force protection's throttles and lockouts), ``i`` the Identity
providers screen (upstream providers users sign in with)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType

from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.lockouts import LockoutsScreen
from authgate.tui.widgets.providers import ProvidersScreen
from authgate.tui.widgets.table_pane import TablePane


class SessionsPane(TablePane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "revoke", "Revoke"),
        Binding("l", "lockouts", "Lockouts"),
        Binding("i", "providers", "IdPs"),
    ]
    COLUMNS = (
        ("User", "username"),
        ("Session ID", "sid"),
        ("Login time", "auth_time"),
        ("Expires", "expires_at"),
    )
    KEY = "sid"
    TITLE = "Session"
    SEARCH = False
    TIMES = frozenset({"auth_time", "expires_at"})
    RELOAD_ON_OPEN = True

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        return await self.client.list_sessions()

    def action_revoke(self) -> None:
        session = self.selected()
        if session is None:
            return
        question = f"Revoke the session of {session['username']} and its tokens?"

        async def confirmed(answer: bool | None) -> None:
            if answer:
                await self.call(self.client.revoke_session(session["sid"]), "session revoked")

        self.app.push_screen(ConfirmDialog(question), confirmed)

    def action_lockouts(self) -> None:
        self.app.push_screen(LockoutsScreen(self.client))

    def action_providers(self) -> None:
        self.app.push_screen(ProvidersScreen(self.client))
