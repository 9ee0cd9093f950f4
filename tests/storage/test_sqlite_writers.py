"""Writers of several processes on one SQLite file take turns and lose nothing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import select

from authgate.storage.engine import Step
from authgate.storage.sqlite import SqliteDatabase
from tests.storage.sqlite_units import INSERT, JTIS


async def test_two_writers_on_one_file_commit_every_unit(sqlite_file: Path) -> None:
    path = sqlite_file
    # Two databases, as two worker processes would have: separate connections, separate
    # sync threads, separate descriptors of the advisory lock file.
    first, second = SqliteDatabase(str(path)), SqliteDatabase(str(path))
    try:

        async def write(db: SqliteDatabase, prefix: str, count: int) -> list[bool]:
            units = [
                db.transact([Step(INSERT, {"h": f"{prefix}{i}", "e": 1.0})]) for i in range(count)
            ]
            return [outcome.applied for outcome in await asyncio.gather(*units)]

        a, b = await asyncio.wait_for(
            asyncio.gather(write(first, "a", 300), write(second, "b", 300)), timeout=60
        )
        assert all(a) and all(b)
        assert first.transactions == second.transactions == 300
        rows = await first.fetch_all(select(JTIS.c.jti_hash), {})
        assert len(rows) == 600
        assert Path(f"{path}-writer.lock").exists()
    finally:
        await first.close()
        await second.close()


async def test_a_writer_outside_authgate_is_still_waited_for(sqlite_file: Path) -> None:
    """The lock file is advisory: SQLite's own locking and busy timeout still apply to others.

    The batch waits for the outside writer on the event loop's thread (documented in
    storage/sqlite.py), so the outside writer here commits from another thread.
    """
    path = sqlite_file
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db = SqliteDatabase(str(path))
    try:
        other.execute("BEGIN IMMEDIATE")
        released = threading.Event()

        def release() -> None:
            other.execute("INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES ('outside', 1)")
            other.execute("COMMIT")
            released.set()

        timer = threading.Timer(0.1, release)  # real time: SQLite's busy handler waits
        timer.start()
        outcome = await asyncio.wait_for(db.transact([Step(INSERT, {"h": "x", "e": 1.0})]), 15)
        assert released.is_set(), "the batch did not wait for the outside writer"
        assert outcome.applied
        rows = await db.fetch_all(select(JTIS.c.jti_hash), {})
        assert {r["jti_hash"] for r in rows} == {"outside", "x"}
        timer.join()
    finally:
        other.close()
        await db.close()
