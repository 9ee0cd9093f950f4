"""The process's PostgreSQL connections (storage/pg_pool.py), against the real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import column, literal_column, select, table

from authgate.storage.pg_pool import ConnectionPool
from authgate.storage.postgres import PostgresDatabase
from tests.e2e.harness import free_port

pytestmark = pytest.mark.postgres


def dsn_of(postgres_url: str) -> str:
    return postgres_url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def pool(postgres_url: str) -> AsyncIterator[ConnectionPool]:
    opened = await ConnectionPool(dsn_of(postgres_url), min_size=1, max_size=2).open()
    try:
        yield opened
    finally:
        await opened.close()


async def all_busy(
    pool: ConnectionPool,
) -> tuple[list[asyncpg.Connection], asyncio.Future[asyncpg.Connection]]:
    """Both connections of a two-connection pool taken, and a third caller waiting."""
    held = [await pool.acquire(), await pool.acquire()]
    waiting = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.05)
    return held, waiting


async def backend_pid(con: asyncpg.Connection) -> int:
    pid: int = await con.fetchval("SELECT pg_backend_pid()")
    return pid


async def test_the_last_connection_given_back_is_the_next_handed_out(
    pool: ConnectionPool,
) -> None:
    assert (pool.size, pool.idle) == (1, 1)
    first = await pool.acquire()
    second = await pool.acquire()  # opened: the first is in use
    assert first is not second and (pool.size, pool.idle) == (2, 0)
    pool.release(first)
    pool.release(second)
    assert await pool.acquire() is second
    assert await pool.acquire() is first


async def test_at_most_max_size_and_a_waiter_gets_the_next_one_given_back(
    pool: ConnectionPool,
) -> None:
    held, waiting = await all_busy(pool)
    assert not waiting.done() and pool.size == 2
    pool.release(held[0])
    assert await asyncio.wait_for(waiting, 5) is held[0]
    assert pool.size == 2


async def test_a_connection_the_server_closed_is_not_handed_out(
    pool: ConnectionPool, postgres_url: str
) -> None:
    con = await pool.acquire()
    victim = await backend_pid(con)
    pool.release(con)
    admin = await asyncpg.connect(dsn_of(postgres_url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", victim)
    finally:
        await admin.close()
    for _ in range(100):  # the client notices the server's goodbye
        if con.is_closed():
            break
        await asyncio.sleep(0.02)
    assert con.is_closed()
    fresh = await pool.acquire()
    assert fresh is not con and await backend_pid(fresh) != victim
    assert pool.size == 1


async def test_a_connection_left_in_a_transaction_is_closed_not_reused(
    pool: ConnectionPool,
) -> None:
    con = await pool.acquire()
    await con.execute("BEGIN")
    pool.release(con)
    assert con.is_closed() and (pool.size, pool.idle) == (0, 0)
    again = await pool.acquire()
    assert again is not con and not again.is_in_transaction()


async def test_a_discarded_connection_frees_its_slot_for_a_waiter(
    pool: ConnectionPool,
) -> None:
    held, waiting = await all_busy(pool)
    pool.discard(held[0])
    assert held[0].is_closed()
    got = await asyncio.wait_for(waiting, 5)
    assert got is not held[0] and got is not held[1]
    assert await got.fetchval("SELECT 1") == 1 and pool.size == 2


async def test_a_waiter_cancelled_as_it_is_served_gives_the_connection_back(
    pool: ConnectionPool,
) -> None:
    held, waiting = await all_busy(pool)
    pool.release(held[0])  # handed to the waiter, which has not run yet
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert (pool.size, pool.idle) == (2, 1)
    assert await pool.acquire() is held[0]


async def test_an_idle_connection_past_its_lifetime_is_replaced(postgres_url: str) -> None:
    pool = await ConnectionPool(dsn_of(postgres_url), min_size=1, idle_lifetime=0.05).open()
    try:
        con = await pool.acquire()
        pool.release(con)
        assert await pool.acquire() is con  # within its lifetime
        pool.release(con)
        await asyncio.sleep(0.1)
        fresh = await pool.acquire()
        assert fresh is not con and con.is_closed() and pool.size == 1
    finally:
        await pool.close()


async def test_a_closed_pool_refuses_and_tells_its_waiters(postgres_url: str) -> None:
    pool = await ConnectionPool(dsn_of(postgres_url), min_size=1, max_size=1).open()
    held = await pool.acquire()
    waiting = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.05)
    await pool.close()
    with pytest.raises(asyncpg.InterfaceError):
        await waiting
    with pytest.raises(asyncpg.InterfaceError):
        await pool.acquire()
    pool.release(held)  # in use when the pool closed: closed on its way back
    assert held.is_closed() and pool.size == 0


async def test_an_unreachable_server_fails_open_and_leaves_no_slot_taken() -> None:
    pool = ConnectionPool(f"postgresql://nobody@127.0.0.1:{free_port()}/none", min_size=1)
    with pytest.raises(OSError):
        await pool.open()
    assert pool.size == 0


async def test_a_read_that_fails_discards_its_connection_and_the_next_read_works(
    postgres_url: str,
) -> None:
    pool = await ConnectionPool(dsn_of(postgres_url), min_size=1, max_size=1).open()
    database = PostgresDatabase(pool)
    try:
        first = await pool.acquire()
        pool.release(first)
        with pytest.raises(asyncpg.UndefinedTableError):
            await database.fetch_one(select(column("x")).select_from(table("no_such_table")), {})
        assert first.is_closed()
        assert await database.fetch_one(select(literal_column("1")), {}) is not None
    finally:
        await database.close()


async def test_a_lease_gives_its_connection_back_or_closes_it_if_the_block_raised(
    pool: ConnectionPool,
) -> None:
    async with pool.connection() as con:
        assert await con.fetchval("SELECT 1") == 1
    assert pool.idle == 1 and await pool.acquire() is con
    pool.release(con)
    with pytest.raises(asyncpg.DivisionByZeroError):
        async with pool.connection() as failing:
            await failing.fetchval("SELECT 1 / 0")
    assert failing.is_closed() and (pool.size, pool.idle) == (0, 0)


async def test_an_open_that_fails_half_way_closes_what_it_opened(postgres_url: str) -> None:
    opened: list[asyncpg.Connection] = []

    async def second_fails(con: asyncpg.Connection) -> None:
        opened.append(con)
        if len(opened) == 2:
            raise RuntimeError("init failed")

    pool = ConnectionPool(dsn_of(postgres_url), min_size=2, init=second_fails)
    with pytest.raises(RuntimeError):
        await pool.open()
    assert all(con.is_closed() for con in opened) and pool.size == 0
