"""PostgreSQL group commit: units queued meanwhile share a transaction, each all-or-nothing.

With ``max_batches=1`` a first unit starts a batch at once and the units queued while it runs
go together into the next one, so ``batches`` counts two for these tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Sequence

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import bindparam, column, func, insert, select, table, update

from authgate.storage.database import IntegrityViolation, Outcome, Step
from authgate.storage.postgres import PostgresDatabase
from tests.storage.sqlite_units import INSERT, JTIS, unit

pytestmark = pytest.mark.postgres

TOUCH = update(JTIS).where(JTIS.c.jti_hash == bindparam("h")).values(expires_at=bindparam("e"))
# Stores the id of the transaction that wrote the row.
STAMP = insert(JTIS).values(jti_hash=bindparam("h"), expires_at=func.txid_current())
MISSING_TABLE = insert(table("no_such_table", column("x"))).values(x=bindparam("x"))


async def _connect(
    postgres_url: str, max_batches: int, *, truncate: bool = True
) -> PostgresDatabase:
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    if truncate:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'TRUNCATE "{JTIS.name}"')
        finally:
            await admin.close()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=6)
    return PostgresDatabase(pool, max_batches=max_batches)


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[PostgresDatabase]:
    database = await _connect(postgres_url, max_batches=1)
    try:
        yield database
    finally:
        await database.close()


async def one_batch(
    db: PostgresDatabase, units: Sequence[Sequence[Step]]
) -> list[Outcome | BaseException]:
    """Run a first unit, then ``units`` queued while it runs; each of ``units``' results."""
    before = db.batches
    first = asyncio.ensure_future(db.transact([Step(INSERT, {"h": "first", "e": 0.0})]))
    pending: list[Awaitable[Outcome]] = [db.transact(steps) for steps in units]
    futures = [asyncio.ensure_future(p) for p in pending]
    assert (await asyncio.wait_for(first, 10)).applied
    results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 10)
    assert db.batches == before + 2, "the queued units were not committed as one batch"
    return list(results)


async def stored(db: PostgresDatabase) -> dict[str, float]:
    rows = await db.fetch_all(select(JTIS.c.jti_hash, JTIS.c.expires_at), {})
    return {row["jti_hash"]: row["expires_at"] for row in rows}


async def test_units_queued_during_a_batch_commit_together(db: PostgresDatabase) -> None:
    before = db.transactions
    results = await one_batch(db, [unit(f"u{i}") for i in range(20)])
    assert all(isinstance(r, Outcome) and r.applied for r in results)
    assert db.transactions == before + 21
    assert set(await stored(db)) == {"first"} | {f"u{i}" for i in range(20)}


async def test_a_batch_is_one_transaction(db: PostgresDatabase) -> None:
    results = await one_batch(db, [[Step(STAMP, {"h": f"s{i}"})] for i in range(5)])
    assert all(isinstance(r, Outcome) and r.applied for r in results)
    rows = await stored(db)
    assert len({rows[f"s{i}"] for i in range(5)}) == 1  # one BEGIN ... COMMIT for all five


async def test_a_failed_guard_undoes_its_own_unit_and_no_other(db: PostgresDatabase) -> None:
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


async def test_a_constraint_violation_fails_only_its_caller(db: PostgresDatabase) -> None:
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


async def test_an_error_reaches_its_caller_and_the_rest_commit(db: PostgresDatabase) -> None:
    results = await one_batch(
        db,
        [
            [Step(INSERT, {"h": "p", "e": 1.0}), Step(MISSING_TABLE, {"x": 1})],
            [Step(INSERT, {"h": "q", "e": 1.0})],
        ],
    )
    assert isinstance(results[0], asyncpg.UndefinedTableError)
    assert results[1] == Outcome(True, (1,))
    assert await stored(db) == {"first": 0.0, "q": 1.0}
    assert (await db.transact(unit("later"))).applied  # writes go on after a failed batch


async def test_a_lone_unit_is_all_or_nothing_too(db: PostgresDatabase) -> None:
    failed = await db.transact(
        [Step(INSERT, {"h": "alone", "e": 1.0}), Step(TOUCH, {"h": "nobody", "e": 2.0}, 1)]
    )
    assert failed == Outcome(False, (1, 0))
    with pytest.raises(IntegrityViolation):
        await db.transact(
            [Step(INSERT, {"h": "dup", "e": 1.0}), Step(INSERT, {"h": "dup", "e": 2.0})]
        )
    assert await stored(db) == {}


async def test_many_concurrent_callers_each_hear_of_their_own_unit(postgres_url: str) -> None:
    database = await _connect(postgres_url, max_batches=4)
    try:
        names = [f"c{i}" for i in range(300)]

        async def caller(name: str, delay: float) -> Outcome:
            await asyncio.sleep(delay)
            return await database.transact(unit(name))

        calls = [caller(n, 0.001 * (i % 5)) for i, n in enumerate(names)]
        calls.append(caller("c7", 0.001 * 7 % 5))  # the same row twice: one of them fails
        results = await asyncio.gather(*calls, return_exceptions=True)
        failures = [r for r in results if not isinstance(r, Outcome)]
        assert len(failures) == 1 and isinstance(failures[0], IntegrityViolation)
        assert all(r.applied for r in results if isinstance(r, Outcome))
        assert set(await stored(database)) == set(names)
        assert database.transactions == 301
        assert database.batches < 301, "no two callers ever shared a batch"
    finally:
        await database.close()


async def test_close_waits_for_the_queued_units(postgres_url: str) -> None:
    database = await _connect(postgres_url, max_batches=1)
    futures = [asyncio.ensure_future(database.transact(unit(f"w{i}"))) for i in range(10)]
    await asyncio.sleep(0)  # every caller has queued its unit
    await database.close()
    assert all(f.done() and f.result().applied for f in futures)
    reader = await _connect(postgres_url, max_batches=1, truncate=False)
    try:
        assert set(await stored(reader)) == {f"w{i}" for i in range(10)}
    finally:
        await reader.close()
