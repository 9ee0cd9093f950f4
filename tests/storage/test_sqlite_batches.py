"""Many callers' units are committed together; each unit stays all-or-nothing.

Units queued in one turn of the event loop are committed as one batch (``batches`` counts
one): each test queues a first unit and the units under test without yielding in between.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Sequence
from pathlib import Path

import pytest
from sqlalchemy import bindparam, column, insert, select, table, update

from authgate.storage.database import IntegrityViolation, Outcome, Step
from authgate.storage.db import upgrade_sync
from authgate.storage.sqlite import SqliteDatabase
from tests.storage.sqlite_units import INSERT, JTIS

TOUCH = update(JTIS).where(JTIS.c.jti_hash == bindparam("h")).values(expires_at=bindparam("e"))
MISSING_TABLE = insert(table("no_such_table", column("x"))).values(x=bindparam("x"))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    path = tmp_path / "authgate.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    database = SqliteDatabase(str(path))
    try:
        yield database
    finally:
        await database.close()


async def one_batch(
    db: SqliteDatabase, units: Sequence[Sequence[Step]]
) -> list[Outcome | BaseException]:
    """Run a first unit and ``units`` as one batch; each of ``units``' result or exception."""
    before = db.batches
    first = asyncio.ensure_future(db.transact([Step(INSERT, {"h": "first", "e": 0.0})]))
    pending: list[Awaitable[Outcome]] = [db.transact(steps) for steps in units]
    futures = [asyncio.ensure_future(p) for p in pending]
    assert (await asyncio.wait_for(first, 10)).applied
    results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 10)
    assert db.batches == before + 1, "the units were not committed as one batch"
    return list(results)


async def stored(db: SqliteDatabase) -> dict[str, float]:
    rows = await db.fetch_all(select(JTIS.c.jti_hash, JTIS.c.expires_at), {})
    return {row["jti_hash"]: row["expires_at"] for row in rows}


async def test_a_batch_of_good_units_commits_all_of_them(db: SqliteDatabase) -> None:
    results = await one_batch(db, [[Step(INSERT, {"h": f"u{i}", "e": 1.0})] for i in range(20)])
    assert all(isinstance(r, Outcome) and r.applied for r in results)
    assert set(await stored(db)) == {"first"} | {f"u{i}" for i in range(20)}


async def test_a_failed_guard_undoes_its_own_unit_and_no_other(db: SqliteDatabase) -> None:
    results = await one_batch(
        db,
        [
            [Step(INSERT, {"h": "a", "e": 1.0})],
            # writes a row, then its guard fails: the row must not stay
            [Step(INSERT, {"h": "half", "e": 1.0}), Step(TOUCH, {"h": "nobody", "e": 2.0}, 1)],
            [Step(INSERT, {"h": "b", "e": 1.0}), Step(TOUCH, {"h": "b", "e": 3.0}, 1)],
        ],
    )
    assert results[0] == Outcome(True, (1,))
    assert results[1] == Outcome(False, (1, 0))
    assert results[2] == Outcome(True, (1, 1))
    assert await stored(db) == {"first": 0.0, "a": 1.0, "b": 3.0}


async def test_a_constraint_violation_fails_only_its_caller(db: SqliteDatabase) -> None:
    results = await one_batch(
        db,
        [
            [Step(INSERT, {"h": "x", "e": 1.0})],
            [Step(INSERT, {"h": "y", "e": 1.0}), Step(INSERT, {"h": "first", "e": 9.0})],
            [Step(INSERT, {"h": "z", "e": 1.0})],
        ],
    )
    assert results[0] == Outcome(True, (1,)) and results[2] == Outcome(True, (1,))
    assert isinstance(results[1], IntegrityViolation)
    assert await stored(db) == {"first": 0.0, "x": 1.0, "z": 1.0}


async def test_an_error_reaches_its_caller_and_the_rest_commit(db: SqliteDatabase) -> None:
    results = await one_batch(
        db,
        [
            [Step(INSERT, {"h": "p", "e": 1.0}), Step(MISSING_TABLE, {"x": 1})],
            [Step(INSERT, {"h": "q", "e": 1.0})],
        ],
    )
    assert isinstance(results[0], sqlite3.OperationalError)
    assert results[1] == Outcome(True, (1,))
    assert await stored(db) == {"first": 0.0, "q": 1.0}
    # writes go on after a failed batch
    assert (await db.transact([Step(INSERT, {"h": "later", "e": 1.0})])).applied
