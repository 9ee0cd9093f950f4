"""Auth Server → Audit: administrative changes, newest first (Enter shows before/after)."""

from __future__ import annotations

from typing import Any

from authgate.tui.widgets.table_pane import TablePane


class AuditPane(TablePane):
    COLUMNS = (
        ("#", "entry_id"),
        ("Action", "action"),
        ("Target", "target_id"),
        ("Actor", "actor"),
    )
    KEY = "entry_id"
    TITLE = "Audit entry"
    SEARCH = False

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        return await self.client.list_audit()
