"""Auth Server → Keys: signing keys and their state; rotate with overlap."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType

from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.table_pane import TablePane


class KeysPane(TablePane):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "rotate", "Rotate")]
    COLUMNS = (
        ("Status", "status"),
        ("Alg", "alg"),
        ("Signs from", "signs_from"),
        ("Leaves JWKS", "expires_at"),
        ("Key ID", "kid"),
    )
    KEY = "kid"
    TITLE = "Key"
    SEARCH = False
    TIMES = frozenset({"signs_from", "expires_at"})

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        return await self.client.list_keys()

    def action_rotate(self) -> None:
        question = (
            "Rotate the signing keys? The new keys sign after a short publish delay; the "
            "current ones stay in the JWKS until the tokens they signed have expired."
        )

        async def confirmed(answer: bool | None) -> None:
            if answer:
                await self.call(self.client.rotate_keys(), "new signing keys published")

        self.app.push_screen(ConfirmDialog(question), confirmed)
