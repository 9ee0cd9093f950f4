"""SQLite commits are acknowledged only once fsync has put them on disk.

Commits go into the WAL with ``synchronous=NORMAL`` (no fsync inside the commit); a sync
thread then calls ``fdatasync`` on the WAL file, and only after it returns do the callers
hear that their units were applied. These tests hold that fsync back (a gate around
``os.fdatasync``) and watch what the caller sees meanwhile.

The sync thread is real, so the tests wait for it, but on events (the gate was reached, a
batch was committed) rather than for fixed times; every wait is bounded by ``WAIT``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from authgate.storage.sqlite import SqliteDatabase
from tests.storage.sqlite_units import rows_seen_by_another_connection, unit

REAL_FDATASYNC = os.fdatasync
#: Upper bound, in seconds, of any wait for the sync thread or the event loop.
WAIT = 10.0


class Gate:
    """Stands in front of ``os.fdatasync``: every call waits until the gate opens."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.reached = threading.Event()
        self.calls = 0
        self.failure: OSError | None = None

    def __call__(self, fd: int) -> None:
        self.calls += 1
        self.reached.set()
        self.open.wait(WAIT)
        if self.failure is not None:
            raise self.failure
        REAL_FDATASYNC(fd)  # once let through


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    g = Gate()
    # the storage module calls os.fdatasync through the shared os module
    monkeypatch.setattr(os, "fdatasync", g)
    yield g
    g.open.set()


@pytest.fixture
async def db(sqlite_file: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(str(sqlite_file), checkpoint_interval=0)
    try:
        yield database
    finally:
        await database.close()


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition`` holds (at most ``WAIT`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.001)


async def gate_reached(gate: Gate) -> None:
    """Wait until the sync thread is held at the gate."""
    assert await asyncio.to_thread(gate.reached.wait, WAIT), "fsync was never called"


async def turns(n: int = 10) -> None:
    """Give the event loop ``n`` turns: anything already scheduled on it runs."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_no_caller_hears_of_a_commit_before_its_fsync(gate: Gate, db: SqliteDatabase) -> None:
    pending = asyncio.ensure_future(db.transact(unit("a")))
    await gate_reached(gate)
    await turns()  # a settlement scheduled before the fsync would have run by now
    assert db.batches == 1, "the unit was not committed"
    assert gate.calls == 1, "the commit was not sent to fsync"
    assert not pending.done(), "the caller heard of the commit before its fsync returned"
    gate.open.set()
    assert (await asyncio.wait_for(pending, WAIT)).applied
    assert db.syncs == 1
    assert "a" in rows_seen_by_another_connection(db.path)


async def test_one_fsync_covers_every_batch_committed_while_the_last_ran(
    gate: Gate, db: SqliteDatabase
) -> None:
    first = asyncio.ensure_future(db.transact(unit("first")))
    await gate_reached(gate)  # its fsync has started and is held
    later = []
    for i in range(3):  # three more batches, one per turn of the event loop
        later.append(asyncio.ensure_future(db.transact(unit(f"later{i}"))))
        await until(lambda: db.batches == len(later) + 1)
    await turns()
    assert db.batches == 4
    assert gate.calls == 1
    assert not any(f.done() for f in [first, *later])
    gate.open.set()
    outcomes = await asyncio.wait_for(asyncio.gather(first, *later), WAIT)
    assert all(o.applied for o in outcomes)
    assert db.syncs == 2, "the three later batches should share one fsync"


async def test_a_failed_fsync_reaches_every_caller_it_covered(
    gate: Gate, db: SqliteDatabase
) -> None:
    gate.failure = OSError(5, "Input/output error")
    futures = [asyncio.ensure_future(db.transact(unit(f"u{i}"))) for i in range(3)]
    gate.open.set()
    results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), WAIT)
    assert all(isinstance(r, OSError) for r in results)
    gate.failure = None
    assert (await db.transact(unit("after"))).applied  # later writes are synced again


async def test_the_writing_connection_leaves_the_fsync_to_the_sync_thread(
    db: SqliteDatabase,
) -> None:
    assert db._con.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert db._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (await db.transact(unit("x"))).applied
    assert db.syncs >= 1
