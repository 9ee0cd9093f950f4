"""Group commit on both databases: many callers' units in one batch, each all-or-nothing.

SQLite commits the units queued in one turn of the event loop as one batch; PostgreSQL (here
with one batch at a time) starts a batch at once and the units queued while it runs go
together into the next. Each test queues a first unit and the units under test without
yielding in between (:func:`run_batch`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import bindparam, column, func, insert, select, table, update

from authgate.storage.engine import IntegrityViolation, Outcome, Step
from authgate.storage.pg_pool import ConnectionPool
from authgate.storage.postgres import PostgresDatabase
from authgate.storage.sqlite import SqliteDatabase
from tests.storage.sqlite_units import INSERT, JTIS

# Stores the id of the PostgreSQL transaction that wrote the row.
STAMP = insert(JTIS).values(jti_hash=bindparam("h"), expires_at=func.txid_current())
TOUCH = update(JTIS).where(JTIS.c.jti_hash == bindparam("h")).values(expires_at=bindparam("e"))
MISSING_TABLE = insert(table("no_such_table", column("x"))).values(x=bindparam("x"))


async def run_batch(
    db: Any, units: Sequence[Sequence[Step]], *, batches: int
) -> list[Outcome | BaseException]:
    """Queue a first unit and ``units`` without yielding; each of ``units``' results.

    ``batches`` is how many batches that takes: one where units queued in one turn of the
    event loop commit together (SQLite), two where the first starts a batch at once and the
    rest wait for the next (PostgreSQL with one batch at a time).
    """
    before = db.batches
    first = asyncio.ensure_future(db.transact([Step(INSERT, {"h": "first", "e": 0.0})]))
    futures = [asyncio.ensure_future(db.transact(steps)) for steps in units]
    assert (await asyncio.wait_for(first, 10)).applied
    results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 10)
    assert db.batches == before + batches, "the units were not committed as one batch"
    return list(results)


async def rows(db: Any) -> dict[str, float]:
    found = await db.fetch_all(select(JTIS.c.jti_hash, JTIS.c.expires_at), {})
    return {r["jti_hash"]: r["expires_at"] for r in found}


def row(name: str, value: float = 1.0) -> Step:
    return Step(INSERT, {"h": name, "e": value})


class Batched:
    """One of the databases, with how many batches :func:`run_batch` takes on it and the
    driver's exception for a missing table."""

    def __init__(self, db: Any, batches: int, error: type[BaseException]) -> None:
        self.db, self.batches, self.error = db, batches, error

    async def one_batch(self, units: Sequence[Sequence[Step]]) -> list[Outcome | BaseException]:
        return await run_batch(self.db, units, batches=self.batches)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def batched(request: pytest.FixtureRequest) -> AsyncIterator[Batched]:
    database: Any
    if request.param == "sqlite":
        path: Path = request.getfixturevalue("sqlite_file")
        database = SqliteDatabase(str(path))
        subject = Batched(database, 1, sqlite3.OperationalError)
    else:
        dsn = str(request.getfixturevalue("postgres_url"))
        database = await pg_database(dsn, max_batches=1)
        subject = Batched(database, 2, asyncpg.UndefinedTableError)
    try:
        yield subject
    finally:
        await database.close()


@pytest.fixture
async def pg_db(postgres_url: str) -> AsyncIterator[PostgresDatabase]:
    database = await pg_database(postgres_url, max_batches=1)
    try:
        yield database
    finally:
        await database.close()


async def pg_database(
    postgres_url: str, max_batches: int, *, truncate: bool = True
) -> PostgresDatabase:
    """A :class:`PostgresDatabase` on the test database, its proof-id table emptied first."""
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    if truncate:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DELETE FROM "{JTIS.name}"')  # noqa: S608 (our table)
        finally:
            await admin.close()
    pool = await ConnectionPool(dsn, min_size=1, max_size=6).open()
    return PostgresDatabase(pool, max_batches=max_batches)


async def test_a_batch_of_good_units_commits_all_of_them(batched: Batched) -> None:
    results = await batched.one_batch([[row(f"u{i}")] for i in range(20)])
    assert all(isinstance(r, Outcome) and r.applied for r in results)
    assert set(await rows(batched.db)) == {"first"} | {f"u{i}" for i in range(20)}


async def test_a_failed_guard_undoes_its_own_unit_and_no_other(batched: Batched) -> None:
    results = await batched.one_batch(
        [
            [row("a")],
            # writes a row, then its guard fails: the row must not stay
            [row("half"), Step(TOUCH, {"h": "nobody", "e": 2.0}, 1)],
            [row("b"), Step(TOUCH, {"h": "b", "e": 3.0}, 1)],
        ]
    )
    assert results[0] == Outcome(True, (1,))
    assert results[1] == Outcome(False, (1, 0))
    assert results[2] == Outcome(True, (1, 1))
    assert await rows(batched.db) == {"first": 0.0, "a": 1.0, "b": 3.0}


async def test_a_constraint_violation_fails_only_its_caller(batched: Batched) -> None:
    results = await batched.one_batch([[row("x")], [row("y"), row("first", 9.0)], [row("z")]])
    assert results[0] == Outcome(True, (1,)) and results[2] == Outcome(True, (1,))
    assert isinstance(results[1], IntegrityViolation)
    assert await rows(batched.db) == {"first": 0.0, "x": 1.0, "z": 1.0}


async def test_an_error_reaches_its_caller_and_the_rest_commit(batched: Batched) -> None:
    results = await batched.one_batch([[row("p"), Step(MISSING_TABLE, {"x": 1})], [row("q")]])
    assert isinstance(results[0], batched.error)
    assert results[1] == Outcome(True, (1,))
    assert await rows(batched.db) == {"first": 0.0, "q": 1.0}
    assert (await batched.db.transact([row("later")])).applied  # writes go on after it


@pytest.mark.postgres
async def test_a_postgres_batch_is_one_transaction(pg_db: PostgresDatabase) -> None:
    units = [[Step(STAMP, {"h": f"s{i}"})] for i in range(5)]
    results = await run_batch(pg_db, units, batches=2)
    assert all(isinstance(r, Outcome) and r.applied for r in results)
    txids = await rows(pg_db)
    assert len({txids[f"s{i}"] for i in range(5)}) == 1  # one BEGIN ... COMMIT for all five


@pytest.mark.postgres
async def test_a_lone_postgres_unit_is_all_or_nothing_too(pg_db: PostgresDatabase) -> None:
    failed = await pg_db.transact([row("alone"), Step(TOUCH, {"h": "nobody", "e": 2.0}, 1)])
    assert failed == Outcome(False, (1, 0))
    with pytest.raises(IntegrityViolation):
        await pg_db.transact([row("dup"), row("dup", 2.0)])
    assert await rows(pg_db) == {}


@pytest.mark.postgres
async def test_many_concurrent_postgres_callers_each_hear_of_their_own_unit(
    postgres_url: str,
) -> None:
    database = await pg_database(postgres_url, max_batches=4)
    try:
        names = [f"c{i}" for i in range(300)]

        async def caller(name: str, delay: float) -> Outcome:
            await asyncio.sleep(delay)
            return await database.transact([row(name)])

        calls = [caller(n, 0.001 * (i % 5)) for i, n in enumerate(names)]
        calls.append(caller("c7", 0.001 * 7 % 5))  # the same row twice: one of them fails
        results = await asyncio.gather(*calls, return_exceptions=True)
        failures = [r for r in results if not isinstance(r, Outcome)]
        assert len(failures) == 1 and isinstance(failures[0], IntegrityViolation)
        assert all(r.applied for r in results if isinstance(r, Outcome))
        assert set(await rows(database)) == set(names)
        assert database.transactions == 301
        assert database.batches < 301, "no two callers ever shared a batch"
    finally:
        await database.close()


@pytest.mark.postgres
async def test_postgres_close_waits_for_the_queued_units(postgres_url: str) -> None:
    database = await pg_database(postgres_url, max_batches=1)
    futures = [asyncio.ensure_future(database.transact([row(f"w{i}")])) for i in range(10)]
    await asyncio.sleep(0)  # every caller has queued its unit
    await database.close()
    assert all(f.done() and f.result().applied for f in futures)
    reader = await pg_database(postgres_url, max_batches=1, truncate=False)
    try:
        assert set(await rows(reader)) == {f"w{i}" for i in range(10)}
    finally:
        await reader.close()


@pytest.mark.postgres
async def test_without_a_connection_every_postgres_caller_hears_why(postgres_url: str) -> None:
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    pool = await ConnectionPool(dsn, min_size=1, max_size=2).open()
    database = PostgresDatabase(pool, max_batches=1)
    await pool.close()
    results = await asyncio.gather(
        *(database.transact([row(f"n{i}")]) for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, asyncpg.InterfaceError) for r in results), results
    await database.close()


@pytest.mark.postgres
async def test_a_whole_statement_whose_guard_fails_leaves_its_batch_alone(
    pg_db: PostgresDatabase,
) -> None:
    """A ``whole`` step that matched nothing wrote nothing: the others of its batch commit in
    the batch's one transaction, not each alone after a rollback."""
    missed = [Step(TOUCH, {"h": "nobody", "e": 2.0}, 1, whole=True)]
    units = [[Step(STAMP, {"h": "s0"})], missed, [Step(STAMP, {"h": "s1"})]]
    results = await run_batch(pg_db, units, batches=2)
    assert results[1] == Outcome(False, (0,))
    txids = await rows(pg_db)
    assert txids["s0"] == txids["s1"]
