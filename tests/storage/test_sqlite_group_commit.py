"""Group commit: under load a SQLite batch waits ``commit_delay`` for more transactions.

A batch only waits when the previous batch held at least ``WAIT_AFTER`` transactions
(other requests are about); a lone client's writes never wait. These tests read the database's
counters, not clocks: ``batches`` (commits) and ``delayed_batches`` (commits that waited).
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from authgate.settings import Settings
from authgate.storage.connect import open_database
from authgate.storage.sqlite import (
    COMMIT_DELAY,
    SQLITE_AUTOCHECKPOINT,
    WAIT_AFTER,
    SqliteDatabase,
    connect,
)
from tests.storage.sqlite_units import JTIS, unit

Opener = Callable[[float], SqliteDatabase]


@pytest.fixture
async def open_db(sqlite_file: Path) -> AsyncIterator[Opener]:
    path = sqlite_file
    opened: list[SqliteDatabase] = []

    def opener(delay: float) -> SqliteDatabase:
        opened.append(SqliteDatabase(str(path), commit_delay=delay))
        return opened[-1]

    try:
        yield opener
    finally:
        for database in opened:
            await database.close()


async def busy_batch(db: SqliteDatabase, size: int, prefix: str = "busy") -> None:
    """Commit ``size`` transactions as one batch (queued in one turn of the event loop)."""
    before = db.batches
    futures = [asyncio.ensure_future(db.transact(unit(f"{prefix}{i}"))) for i in range(size)]
    assert all(o.applied for o in await asyncio.wait_for(asyncio.gather(*futures), 10))
    assert db.batches == before + 1


async def test_after_a_busy_batch_later_arrivals_join_the_waiting_commit(
    open_db: Opener,
) -> None:
    db = open_db(0.25)
    await busy_batch(db, 6)
    before = db.batches
    lead = asyncio.ensure_future(db.transact(unit("lead")))
    for _ in range(20):  # the lead's batch waits for company while the event loop turns
        await asyncio.sleep(0)
    assert db.batches == before, "the lead's batch did not wait"
    followers = [asyncio.ensure_future(db.transact(unit(f"f{i}"))) for i in range(5)]
    outcomes = await asyncio.wait_for(asyncio.gather(lead, *followers), 10)
    assert all(o.applied for o in outcomes)
    assert db.batches == before + 1, "the followers were not committed with the lead"
    assert db.delayed_batches == 1
    rows = await db.fetch_all(select(JTIS.c.jti_hash), {})
    assert {"lead", "f0", "f4"} <= {r["jti_hash"] for r in rows}


# The delay is real time (``loop.call_later``); the tests below read only the counters, so
# their delay is kept short: it is paid once, by the one batch that must wait.


async def test_a_lone_client_never_waits(open_db: Opener) -> None:
    db = open_db(0.05)
    for i in range(5):
        assert (await db.transact(unit(f"solo{i}"))).applied
    assert db.batches == 5
    assert db.delayed_batches == 0


async def test_a_small_batch_does_not_make_the_next_one_wait(open_db: Opener) -> None:
    db = open_db(0.05)
    await busy_batch(db, WAIT_AFTER - 1)
    assert (await db.transact(unit("next"))).applied
    assert db.delayed_batches == 0
    await busy_batch(db, WAIT_AFTER, "again")
    assert (await db.transact(unit("after-a-busy-one"))).applied
    assert db.delayed_batches == 1


async def test_a_zero_delay_never_waits(open_db: Opener) -> None:
    db = open_db(0.0)
    await busy_batch(db, 6)
    assert (await db.transact(unit("next"))).applied
    assert db.delayed_batches == 0


async def test_the_setting_reaches_the_database(
    sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().sqlite_commit_delay == COMMIT_DELAY
    monkeypatch.setenv("AUTHGATE_SQLITE_COMMIT_DELAY", "0")
    settings = Settings(data_dir=sqlite_file.parent)  # its database is the migrated copy
    assert settings.sqlite_commit_delay == 0
    db = await open_database(settings.database, sqlite_commit_delay=settings.sqlite_commit_delay)
    try:
        assert isinstance(db, SqliteDatabase) and db.commit_delay == 0
    finally:
        await db.close()


def test_connections_are_durable(tmp_path: Path) -> None:
    con = connect(str(tmp_path / "authgate.db"))
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == SQLITE_AUTOCHECKPOINT
    finally:
        con.close()


def wal_restarts(path: str) -> int:
    """The WAL header's checkpoint sequence number: SQLite adds one each time it starts the
    log over, which it does only after a complete checkpoint."""
    with open(f"{path}-wal", "rb") as wal:
        return int(struct.unpack(">I", wal.read(16)[12:16])[0])


async def _restarts_while_writing(path: Path, interval: float) -> tuple[int, int, int]:
    """Write 30 then 200 small transactions with background checkpoints every ``interval``
    seconds (0: none) to the migrated database ``path``; the WAL's restart count before and
    after the 200, and the number of background checkpoints. All 200 rows must be there."""
    db = SqliteDatabase(str(path), checkpoint_interval=interval)
    try:
        for prefix, n in (("a", 30), ("w", 200)):
            if prefix == "w":
                first = wal_restarts(str(path))
            for i in range(n):
                assert (await db.transact(unit(f"{prefix}{i}"))).applied
                if i % 10 == 0:
                    await asyncio.sleep(0.01)
        rows = await db.fetch_all(select(JTIS.c.jti_hash), {})
        assert {f"w{i}" for i in range(200)} <= {r["jti_hash"] for r in rows}
        return first, wal_restarts(str(path)), db.checkpoints
    finally:
        await db.close()


async def test_background_checkpoints_start_the_wal_over(sqlite_file: Path) -> None:
    first, after, checkpoints = await _restarts_while_writing(sqlite_file, 0.02)
    assert checkpoints > 0
    assert after > first, "the WAL was never checkpointed and restarted"


async def test_without_background_checkpoints_nothing_restarts_the_short_wal(
    sqlite_file: Path,
) -> None:
    # the control for the test above: 230 small transactions stay far below SQLite's own
    # 1,000-page automatic checkpoint, so only a background checkpoint could restart the WAL
    first, after, checkpoints = await _restarts_while_writing(sqlite_file, 0)
    assert checkpoints == 0
    assert after == first
