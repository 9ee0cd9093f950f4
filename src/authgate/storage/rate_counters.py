"""Rate limit counters (implements ``core.ports.RateCounterStore``): one row per endpoint
family, source and fixed window, shared by every process and instance.

:class:`~authgate.core.rate_limiter.RateLimiter` writes here only in the background: adding
a process's requests is one ``INSERT ... ON CONFLICT DO UPDATE`` per active window in one
transaction, followed by one read of the new totals per family and window start. Rows end
with their window and are deleted by :mod:`authgate.storage.janitor`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Text, any_, bindparam, column, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from authgate.core.ports import RateWindow
from authgate.storage.engine import Database, Step
from authgate.storage.models import RATE_COUNTERS

_counters = RATE_COUNTERS
#: The longest source a row holds; longer values (never an IP address) are cut.
SOURCE_LENGTH = 64
_KEY = (
    _counters.c.family == bindparam("family"),
    _counters.c.source == bindparam("source"),
    _counters.c.window_start == bindparam("window_start"),
)
COUNT = select(_counters.c.hits).where(*_KEY)
CLAIM = update(_counters).where(*_KEY, _counters.c.reported.is_(False)).values(reported=True)
_VALUES = {
    "family": bindparam("family"),
    "source": bindparam("source"),
    "window_start": bindparam("window_start"),
    "hits": bindparam("hits"),
    "reported": False,
    "expires_at": bindparam("expires_at"),
}
_PK = [_counters.c.family, _counters.c.source, _counters.c.window_start]


def _upsert_sqlite() -> ClauseElement:
    statement = sqlite.insert(_counters).values(_VALUES)
    return statement.on_conflict_do_update(
        index_elements=_PK, set_={"hits": _counters.c.hits + statement.excluded.hits}
    )


def _upsert_postgres() -> ClauseElement:
    statement = postgresql.insert(_counters).values(_VALUES)
    return statement.on_conflict_do_update(
        index_elements=_PK, set_={"hits": _counters.c.hits + statement.excluded.hits}
    )


_TOTALS = select(_counters.c.source, _counters.c.hits).where(
    _counters.c.family == bindparam("family"),
    _counters.c.window_start == bindparam("window_start"),
)
#: The totals of one family and window start for a list of sources: a JSON array on SQLite,
#: an array parameter on PostgreSQL. The array is ``text[]``, whose codec asyncpg has built
#: in: for ``varchar[]`` it first asks the server about the type, a query of about 12 ms on
#: each new connection (once per test in the test suite, whose runtimes are short-lived).
TOTALS = {
    "sqlite": _TOTALS.where(
        _counters.c.source.in_(
            select(column("value")).select_from(func.json_each(bindparam("sources")))
        )
    ),
    "postgresql": _TOTALS.where(
        _counters.c.source == any_(bindparam("sources", type_=postgresql.ARRAY(Text)))
    ),
}
UPSERT = {"sqlite": _upsert_sqlite(), "postgresql": _upsert_postgres()}


def _source(value: str) -> str:
    return value[:SOURCE_LENGTH]


def _key(window: RateWindow) -> dict[str, Any]:
    return {"family": window.family, "source": _source(window.source), "window_start": window.start}


class SqlRateCounterStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = UPSERT[db.dialect_name]
        self._totals = TOTALS[db.dialect_name]
        self._json_sources = db.dialect_name == "sqlite"

    async def count(self, window: RateWindow) -> int:
        row = await self._db.fetch_one(COUNT, _key(window))
        return 0 if row is None else int(row["hits"])

    async def add(self, hits: Mapping[RateWindow, int]) -> dict[RateWindow, int]:
        if not hits:
            return {}
        # One row order for every writer, so concurrent upserts cannot deadlock.
        params = [
            {**_key(window), "hits": n, "expires_at": float(window.end)}
            for window, n in sorted(hits.items())
        ]
        await self._db.transact([Step(self._upsert, params)])
        groups: dict[tuple[str, int], dict[str, list[RateWindow]]] = defaultdict(dict)
        for window in hits:
            groups[(window.family, window.start)].setdefault(_source(window.source), []).append(
                window
            )
        totals: dict[RateWindow, int] = {}
        for (family, start), sources in groups.items():
            listed = list(sources)
            rows = await self._db.fetch_all(
                self._totals,
                {
                    "family": family,
                    "window_start": start,
                    "sources": orjson.dumps(listed).decode() if self._json_sources else listed,
                },
            )
            for row in rows:
                for window in sources.get(row["source"], ()):
                    totals[window] = int(row["hits"])
        return totals

    async def claim(self, window: RateWindow) -> bool:
        outcome = await self._db.transact([Step(CLAIM, _key(window))])
        return outcome.rowcounts[0] == 1
