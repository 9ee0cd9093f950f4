"""Rate limit counters (``core.ports.RateCounterStore``), as :mod:`authgate.storage.rate_counters`
keeps them: one row per family, source (cut to 64 characters) and window start."""

from __future__ import annotations

from collections.abc import Mapping

from authgate.core.ports import RateWindow
from tests.memory.stores.tables import RateCounter, Tables

SOURCE_LENGTH = 64


def _key(window: RateWindow) -> tuple[str, str, int]:
    return (window.family, window.source[:SOURCE_LENGTH], window.start)


class MemoryRateCounterStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def count(self, window: RateWindow) -> int:
        row = self._t.rate_counters.get(_key(window))
        return 0 if row is None else row.hits

    async def add(self, hits: Mapping[RateWindow, int]) -> dict[RateWindow, int]:
        rows = self._t.rate_counters
        for window, n in hits.items():
            row = rows.setdefault(_key(window), RateCounter(0, float(window.end)))
            row.hits += n
        return {window: rows[_key(window)].hits for window in hits}

    async def claim(self, window: RateWindow) -> bool:
        row = self._t.rate_counters.get(_key(window))
        if row is None or row.reported:
            return False
        row.reported = True
        return True
