"""Auth Server → Scopes: the OAuth scopes and the claims they release."""

from __future__ import annotations

from typing import Any

from authgate.tui.widgets.table_pane import TablePane


class ScopesPane(TablePane):
    COLUMNS = (
        ("Scope", "scope_id"),
        ("DCR", "registrable"),
        ("Claims", "claims"),
        ("Description", "description"),
    )
    KEY = "scope_id"
    TITLE = "Scope"

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        scopes = await self.client.list_scopes()
        needle = (pattern or "").lower()
        return [s for s in scopes if needle in s["scope_id"].lower()]
