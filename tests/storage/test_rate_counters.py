"""Rate limit counter rows end with their window: the janitor deletes them, live ones stay."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from authgate.core.ports import RateWindow
from authgate.storage.connect import open_database
from authgate.storage.engine import Database
from authgate.storage.janitor import purge_expired
from authgate.storage.rate_counters import SqlRateCounterStore

START = 1_800_000_000


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    yield database
    await database.close()


async def test_the_janitor_deletes_ended_windows(db: Database) -> None:
    store = SqlRateCounterStore(db)
    ended = RateWindow("token", "192.0.2.1", START, START + 60)
    live = RateWindow("token", "192.0.2.1", START + 60, START + 120)
    hour = RateWindow("config_api", "192.0.2.1", START, START + 3600)
    await store.add({ended: 5, live: 1, hour: 2})
    counts = await purge_expired(db, START + 60.5)
    assert counts["rate_counters"] == 1
    assert [await store.count(w) for w in (ended, live, hour)] == [0, 1, 2]
    assert (await purge_expired(db, START + 3600.5))["rate_counters"] == 2
