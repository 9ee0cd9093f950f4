"""Failure counters of brute-force protection (``core.ports.FailureStore``), as
:mod:`authgate.storage.failures` keeps them, without its screening (every read is fresh)."""

from __future__ import annotations

from collections.abc import Sequence

from authgate.core.types import FailureCount, FailureKey
from tests.memory.stores.tables import Failures, Tables


def _live(key: FailureKey, row: Failures, since: float) -> bool:
    return row.last_at > since and (key.subject != "" or row.first_at > since)


class MemoryFailureStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def read(
        self, keys: Sequence[FailureKey], since: float, *, fresh: bool = False
    ) -> list[FailureCount]:
        found = []
        for key in dict.fromkeys(keys):
            row = self._t.failures.get(key)
            if row is not None and _live(key, row, since):
                found.append(
                    FailureCount(key, row.failures, row.first_at, row.last_at, row.user_id)
                )
        return found

    async def add(
        self,
        keys: Sequence[FailureKey],
        now: float,
        since: float,
        *,
        keep_until: float,
        user_id: str | None = None,
    ) -> list[FailureCount]:
        for key in dict.fromkeys(keys):
            row = self._t.failures.get(key)
            owner = user_id if key.subject else None  # only a subject's counters name it
            if row is None or not _live(key, row, since):
                kept = row.user_id if row is not None else None
                self._t.failures[key] = Failures(1, now, now, keep_until, owner or kept)
                continue
            row.failures += 1
            row.last_at = now
            row.expires_at = keep_until
            row.user_id = owner or row.user_id
        return await self.read(keys, since)

    async def clear(self, keys: Sequence[FailureKey]) -> None:
        for key in keys:
            self._t.failures.pop(key, None)
