"""Auth Server → Audit: administrative changes, newest first (Enter shows before/after).

Reloaded whenever the tab is opened; the search box keeps entries whose action, target,
target type or actor contains the text.
"""

from __future__ import annotations

from typing import Any

from authgate.tui.widgets.table_pane import TablePane

#: The members the search box looks in.
SEARCHED = ("action", "target_type", "target_id", "actor")


class AuditPane(TablePane):
    COLUMNS = (
        ("Time (UTC)", "at"),
        ("Action", "action"),
        ("Target", "target_id"),
        ("Actor", "actor"),
    )
    KEY = "entry_id"
    TITLE = "Audit entry"
    TIMES = frozenset({"at"})
    RELOAD_ON_OPEN = True

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        entries = await self.client.list_audit()
        if not pattern:
            return entries
        needle = pattern.lower()
        return [e for e in entries if any(needle in str(e.get(m, "")).lower() for m in SEARCHED)]
