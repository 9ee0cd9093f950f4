"""SqlFailureStore's screening: a clean key costs no database access, another instance's
failures are learnt from its own failed check or from the background sync, and too many
known keys turn screening off rather than forgetting any. The janitor purges old counters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.sql import ClauseElement

from authgate.core.types import FailureKey
from authgate.storage.connect import open_database
from authgate.storage.engine import Database, Outcome, Row, Step
from authgate.storage.failures import SqlFailureStore
from authgate.storage.janitor import purge_expired
from authgate.storage.models import AUTH_FAILURES

NOW = 1_700_000_000.0
WINDOW = 3600.0
CLIENT = (
    FailureKey("client", "app-1", "203.0.113.5"),
    FailureKey("client", "", "203.0.113.5"),
    FailureKey("client", "app-1", ""),
)
OTHER_SOURCE = (
    FailureKey("client", "app-1", "198.51.100.9"),
    FailureKey("client", "", "198.51.100.9"),
    FailureKey("client", "app-1", ""),
)


class CountingDatabase:
    """A Database counting the statements sent to the one it wraps."""

    def __init__(self, inner: Database) -> None:
        self.inner = inner
        self.dialect_name = inner.dialect_name
        self.reads = 0
        self.writes = 0

    async def fetch_one(self, statement: ClauseElement, params: Mapping[str, Any]) -> Row | None:
        self.reads += 1
        return await self.inner.fetch_one(statement, params)

    async def fetch_all(self, statement: ClauseElement, params: Mapping[str, Any]) -> list[Row]:
        self.reads += 1
        return await self.inner.fetch_all(statement, params)

    async def transact(self, steps: Sequence[Step]) -> Outcome:
        self.writes += 1
        return await self.inner.transact(steps)

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[CountingDatabase]:
    database = await open_database(database_url)
    yield CountingDatabase(database)
    await database.close()


async def fail(store: SqlFailureStore, keys: Sequence[FailureKey], at: float = NOW) -> int:
    counts = await store.add(keys, at, at - WINDOW, keep_until=at + WINDOW)
    return {c.key: c.failures for c in counts}[keys[0]]


async def test_clean_keys_cost_no_database_access(db: CountingDatabase) -> None:
    store = SqlFailureStore(db)
    for _ in range(100):
        assert await store.read(CLIENT, NOW - WINDOW) == []
    assert (db.reads, db.writes) == (0, 0)
    assert await store.read(CLIENT, NOW - WINDOW, fresh=True) == []
    assert db.reads == 1


async def test_keys_with_failures_are_read(db: CountingDatabase) -> None:
    store = SqlFailureStore(db)
    await fail(store, CLIENT)
    reads = db.reads
    assert [c.failures for c in await store.read(CLIENT, NOW - WINDOW)] == [1, 1, 1]
    # the same client from another source: its whole-subject counter is known
    assert len(await store.read(OTHER_SOURCE, NOW - WINDOW)) == 1
    assert db.reads == reads + 2
    await store.clear(CLIENT[:1])
    assert {c.key for c in await store.read(CLIENT, NOW - WINDOW)} == set(CLIENT[1:])
    # once the window has passed the keys are clean again, without a read
    reads = db.reads
    assert await store.read(CLIENT, NOW + 1) == []
    assert db.reads == reads


async def test_another_instance_learns_from_its_own_failure_or_the_sync(
    db: CountingDatabase, database_url: str
) -> None:
    here = SqlFailureStore(db)
    other_db = await open_database(database_url)
    try:
        there = SqlFailureStore(other_db)
        for _ in range(6):
            await fail(here, CLIENT)
        # not known there yet: one unchecked attempt is what screening allows
        assert await there.read(CLIENT, NOW - WINDOW) == []
        assert await there.sync(NOW + 1, WINDOW) == 3
        assert {c.failures for c in await there.read(CLIENT, NOW - WINDOW)} == {6}
        # its own failure on a new key returns the shared count and makes the key known
        fresh = SqlFailureStore(other_db)
        assert await fail(fresh, CLIENT, NOW + 2) == 7
        assert {c.failures for c in await fresh.read(CLIENT, NOW + 2 - WINDOW)} == {7}
        # a sync reads only what changed since the previous one (and a few seconds more)
        assert await there.sync(NOW + 100, WINDOW) == 3
        assert await there.sync(NOW + 200, WINDOW) == 0
    finally:
        await other_db.close()


async def test_too_many_known_keys_turn_screening_off_until_they_age(db: CountingDatabase) -> None:
    store = SqlFailureStore(db, suspects_limit=4)
    for i in range(3):
        await fail(store, (FailureKey("client", f"app-{i}", "203.0.113.5"),))
    assert store.screening
    await fail(store, CLIENT)  # three more keys: beyond the limit
    assert not store.screening
    reads = db.reads
    assert await store.read([FailureKey("client", "clean", "192.0.2.1")], NOW - WINDOW) == []
    assert db.reads == reads + 1  # read, not assumed clean
    await store.sync(NOW + WINDOW + 1, WINDOW)  # every failure is older than the window
    assert store.screening
    reads = db.reads
    assert await store.read(CLIENT, NOW + 1) == []
    assert db.reads == reads


async def test_the_janitor_purges_counters_after_their_window(db: CountingDatabase) -> None:
    store = SqlFailureStore(db)
    await fail(store, CLIENT)
    await fail(store, OTHER_SOURCE, NOW + 100)
    table = AUTH_FAILURES
    count = select(func.count().label("n")).select_from(table)

    async def rows() -> int:
        row = await db.fetch_one(count, {})
        assert row is not None
        return int(row["n"])

    assert await rows() == 5
    counts = await purge_expired(db.inner, NOW + WINDOW + 1)
    assert counts["auth_failures"] == 2  # CLIENT's own pair and source counters
    assert await rows() == 3
    await purge_expired(db.inner, NOW + WINDOW + 101)
    assert await rows() == 0
