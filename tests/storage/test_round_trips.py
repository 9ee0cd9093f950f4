"""PostgreSQL round trips of the flow's writes: a unit alone that is one statement is sent as
that statement, without ``BEGIN`` and ``COMMIT`` (storage/one_statement.py), and stays all
or nothing; in a batch, the units of one such statement are sent together. Every statement
asyncpg sends is recorded by a query logger on the pool's connections (a ``fetchmany`` of
several units once)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest

from authgate.storage.engine import IntegrityViolation, Outcome, Step
from authgate.storage.grants import SqlGrantStore
from authgate.storage.pg_pool import ConnectionPool
from authgate.storage.postgres import PostgresDatabase
from tests.conftest import empty_pg
from tests.storage.contract.values import NOW, code, refresh, token
from tests.storage.test_batches import TOUCH, row, rows

pytestmark = pytest.mark.postgres


class Logged:
    """A :class:`PostgresDatabase` and the statements its connections sent."""

    def __init__(self, db: PostgresDatabase, sent: list[str]) -> None:
        self.db, self.sent = db, sent

    async def take(self) -> list[str]:
        """The statements sent since the last call, ``BEGIN`` and ``COMMIT`` by name.

        asyncpg calls query loggers with ``call_soon``: one turn of the loop lets the last
        statement's entry arrive."""
        await asyncio.sleep(0)
        taken = [q.strip().rstrip(";").split()[0].upper() for q in self.sent]
        self.sent.clear()
        return taken


@pytest.fixture
async def logged(postgres_url: str) -> AsyncIterator[Logged]:
    await empty_pg(postgres_url)
    sent: list[str] = []

    async def log_queries(con: asyncpg.Connection) -> None:
        con.add_query_logger(lambda query: sent.append(query.query))

    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    # the server's own pool, plus the logger (PostgresDatabase.connect)
    pool = await ConnectionPool(dsn, min_size=1, max_size=2, init=log_queries).open()
    database = PostgresDatabase(pool, max_batches=1)
    try:
        yield Logged(database, sent)
    finally:
        await database.close()


async def test_a_lone_unit_of_one_statement_is_that_statement(logged: Logged) -> None:
    assert (await logged.db.transact([row("one")])).applied
    assert await logged.take() == ["INSERT"]
    assert (await logged.db.transact([row("two"), row("three")])).applied
    assert await logged.take() == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    assert set(await rows(logged.db)) == {"one", "two", "three"}


async def test_a_guarded_statement_alone_is_sent_alone_and_its_guard_holds(
    logged: Logged,
) -> None:
    # ``whole``: the statement writes nothing unless its count is ``expect``
    missed = await logged.db.transact([Step(TOUCH, {"h": "nobody", "e": 2.0}, 1, whole=True)])
    assert missed == Outcome(False, (0,))
    assert await logged.take() == ["UPDATE"]
    # a guard that is not ``whole`` still runs inside a transaction, which it can undo
    await logged.db.transact([Step(TOUCH, {"h": "nobody", "e": 2.0}, 1)])
    assert await logged.take() == ["BEGIN", "UPDATE", "ROLLBACK"]


async def test_issuing_and_redeeming_a_code_are_one_statement_each(logged: Logged) -> None:
    grants = SqlGrantStore(logged.db)
    await grants.add_code(code("c-1"))
    assert await logged.take() == ["WITH"]
    issued = [token("at-1", "grant-c-1"), refresh("rt-1", "grant-c-1")]
    assert await grants.redeem_code("c-1", NOW + 5, issued)
    assert await logged.take() == ["WITH"]
    assert await grants.session_clients("sid-1") == frozenset({"app-1"})
    for t in issued:
        assert await grants.get_token(t.token_hash) == t
    await logged.take()
    # a second redemption: one statement, which writes nothing
    assert not await grants.redeem_code("c-1", NOW + 6, [token("at-2", "grant-c-1")])
    assert await logged.take() == ["WITH"]
    assert await grants.get_token("at-2") is None
    stored = await grants.get_code("c-1")
    assert stored is not None and stored.consumed_at == NOW + 5


async def test_a_refresh_rotation_is_one_statement_and_single_use(logged: Logged) -> None:
    grants = SqlGrantStore(logged.db)
    await grants.add_tokens([refresh("rt-1")])
    await logged.take()
    assert await grants.rotate_refresh_token("rt-1", NOW + 5, [token("at-2"), refresh("rt-2")])
    assert await logged.take() == ["WITH"]
    assert not await grants.rotate_refresh_token("rt-1", NOW + 6, [token("at-3")])
    assert await logged.take() == ["WITH"]
    assert await grants.get_token("at-3") is None
    await logged.take()
    assert await grants.extend_refresh_token("rt-2", NOW + 7, NOW + 9_000, [token("at-4")])
    assert await logged.take() == ["WITH"]
    extended = await grants.get_token("rt-2")
    assert extended is not None and extended.expires_at == NOW + 9_000


async def issued(logged: Logged, count: int) -> SqlGrantStore:
    """A grant store over ``logged`` holding codes ``c-0`` ... ``c-{count - 1}``; the log
    starts empty."""
    grants = SqlGrantStore(logged.db)
    for i in range(count):
        await grants.add_code(code(f"c-{i}"))
    await logged.take()
    return grants


async def test_redemptions_in_one_batch_are_one_round_trip_and_each_single_use(
    logged: Logged,
) -> None:
    grants = await issued(logged, 4)
    # c-0 starts a batch alone (one batch at a time here); the rest queue for the next one,
    # c-1 twice: the second redemption of the same batch must see the first
    redemptions = [
        grants.redeem_code(f"c-{i}", NOW + 5, [token(f"at-{i}", f"grant-c-{i}")]) for i in range(4)
    ]
    replay = grants.redeem_code("c-1", NOW + 6, [token("at-x", "grant-c-1")])
    assert await asyncio.gather(*redemptions, replay) == [True, True, True, True, False]
    assert await logged.take() == ["WITH", "WITH"], "the four queued redemptions were not sent once"
    assert logged.db.batches == 4 + 2
    for i in range(4):
        assert await grants.get_token(f"at-{i}") is not None
    assert await grants.get_token("at-x") is None
    stored = await grants.get_code("c-1")
    assert stored is not None and stored.consumed_at == NOW + 5


async def test_a_batch_of_several_statements_sends_each_once_in_one_transaction(
    logged: Logged,
) -> None:
    grants = await issued(logged, 3)
    calls = [
        grants.redeem_code("c-0", NOW + 5, [token("at-0", "grant-c-0")]),  # alone, first
        grants.add_code(code("c-7")),
        grants.redeem_code("c-1", NOW + 5, [token("at-1", "grant-c-1")]),
        grants.add_code(code("c-8", sid="sid-8")),
        grants.redeem_code("c-2", NOW + 5, [token("at-2", "grant-c-2")]),
        grants.add_tokens([token("at-9", "grant-9")]),  # two statements: the token, the join
    ]
    await asyncio.gather(*calls)
    assert await logged.take() == ["WITH", "BEGIN", "WITH", "WITH", "INSERT", "INSERT", "COMMIT"]
    assert await grants.session_clients("sid-8") == frozenset({"app-1"})
    for name in ("at-0", "at-1", "at-2", "at-9"):
        assert await grants.get_token(name) is not None
    for name in ("c-7", "c-8"):
        assert await grants.get_code(name) is not None


async def test_a_failing_unit_of_a_group_leaves_the_others_written(logged: Logged) -> None:
    grants = await issued(logged, 2)
    calls = [
        grants.add_code(code("c-3")),  # alone, first
        grants.add_code(code("c-1")),  # already stored: a unique violation
        grants.add_code(code("c-4")),
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], IntegrityViolation)
    # the group failed as a whole (nothing written), then each unit ran alone
    assert (await logged.take())[:4] == ["WITH", "WITH", "WITH", "WITH"]
    for name in ("c-3", "c-1", "c-4"):
        assert await grants.get_code(name) is not None


async def test_a_batch_of_one_statement_units_only_has_no_transaction(logged: Logged) -> None:
    """Each group commits on its own; a group that fails runs unit by unit, and the other
    groups of its batch keep what they wrote."""
    grants = await issued(logged, 3)
    calls = [
        grants.redeem_code("c-0", NOW + 5, [token("at-0", "grant-c-0")]),  # alone, first
        grants.add_code(code("c-1")),  # already stored: its group fails
        grants.add_code(code("c-7")),
        grants.redeem_code("c-1", NOW + 5, [token("at-1", "grant-c-1")]),
        grants.redeem_code("c-2", NOW + 5, [token("at-2", "grant-c-2")]),
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[1], IntegrityViolation)
    assert [results[0], results[2], results[3], results[4]] == [True, None, True, True]
    # redeem c-0; the codes' group, then each code alone; the redemptions' group; then
    # add_code's own retry of c-1 without the session's client (it fails again)
    assert await logged.take() == ["WITH", "WITH", "WITH", "WITH", "WITH", "INSERT"]
    for name in ("at-0", "at-1", "at-2"):
        assert await grants.get_token(name) is not None
    assert await grants.get_code("c-7") is not None
