"""Auth Server → Keys: signing keys and their state; rotate with overlap."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType

from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.table_pane import TablePane


class KeysPane(TablePane):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "rotate", "Rotate")]
    COLUMNS = (
        ("Key ID", "kid"),
        ("Status", "status"),
        ("Created", "created_at"),
        ("Leaves JWKS", "expires_at"),
    )
    KEY = "kid"
    TITLE = "Key"
    SEARCH = False

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        return await self.client.list_keys()

    def action_rotate(self) -> None:
        question = (
            "Rotate the signing key? The current key stays published until the tokens it "
            "signed have expired."
        )

        async def confirmed(answer: bool | None) -> None:
            if answer:
                await self.call(self.client.rotate_keys(), "signing key rotated")

        self.app.push_screen(ConfirmDialog(question), confirmed)
