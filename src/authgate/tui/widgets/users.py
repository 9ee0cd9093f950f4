"""Auth Server → Users: search users; enable or disable them; ``a`` opens a user's account
(apps approved and sessions, :mod:`authgate.tui.widgets.account`)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType

from authgate.tui.widgets.account import UserAccountScreen
from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.table_pane import TablePane


class UsersPane(TablePane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "toggle_enabled", "Enable/disable"),
        Binding("a", "account", "Account"),
    ]
    COLUMNS = (
        ("Username", "username"),
        ("Email", "email"),
        ("Enabled", "enabled"),
        ("User ID", "user_id"),
    )
    KEY = "user_id"
    TITLE = "User"

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        return await self.client.list_users(pattern)

    def action_toggle_enabled(self) -> None:
        user = self.selected()
        if user is None:
            return
        enable = not user["enabled"]
        verb = "Enable" if enable else "Disable (ends their sessions and revokes their tokens)"

        async def confirmed(answer: bool | None) -> None:
            if answer:
                change = self.client.update_user(user["user_id"], {"enabled": enable})
                await self.call(change, f"{user['username']} {'enabled' if enable else 'disabled'}")

        self.app.push_screen(ConfirmDialog(f"{verb} {user['username']}?"), confirmed)

    def action_account(self) -> None:
        user = self.selected()
        if user is not None:
            self.app.push_screen(UserAccountScreen(self.client, user))
