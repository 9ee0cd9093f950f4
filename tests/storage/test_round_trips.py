"""PostgreSQL round trips of the flow's writes: a unit alone that is one statement is sent as
that statement, without ``BEGIN`` and ``COMMIT`` (storage/one_statement.py), and stays all
or nothing. Every statement asyncpg sends is recorded by a query logger on the pool's
connections."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest

from authgate.storage.engine import Outcome, Step
from authgate.storage.grants import SqlGrantStore
from authgate.storage.postgres import PostgresDatabase, _keep_session
from tests.conftest import empty_pg
from tests.storage.contract.values import NOW, code, refresh, token
from tests.storage.test_batches import TOUCH, row, rows

pytestmark = pytest.mark.postgres


class Logged:
    """A :class:`PostgresDatabase` and the statements its connections sent."""

    def __init__(self, db: PostgresDatabase, sent: list[str]) -> None:
        self.db, self.sent = db, sent

    def take(self) -> list[str]:
        """The statements sent since the last call, ``BEGIN`` and ``COMMIT`` by name."""
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
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=2, init=log_queries, reset=_keep_session
    )
    database = PostgresDatabase(pool, max_batches=1)
    try:
        yield Logged(database, sent)
    finally:
        await database.close()


async def test_a_lone_unit_of_one_statement_is_that_statement(logged: Logged) -> None:
    assert (await logged.db.transact([row("one")])).applied
    assert logged.take() == ["INSERT"]
    assert (await logged.db.transact([row("two"), row("three")])).applied
    assert logged.take() == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    assert set(await rows(logged.db)) == {"one", "two", "three"}


async def test_a_guarded_statement_alone_is_sent_alone_and_its_guard_holds(
    logged: Logged,
) -> None:
    # ``whole``: the statement writes nothing unless its count is ``expect``
    missed = await logged.db.transact([Step(TOUCH, {"h": "nobody", "e": 2.0}, 1, whole=True)])
    assert missed == Outcome(False, (0,))
    assert logged.take() == ["UPDATE"]
    # a guard that is not ``whole`` still runs inside a transaction, which it can undo
    await logged.db.transact([Step(TOUCH, {"h": "nobody", "e": 2.0}, 1)])
    assert logged.take() == ["BEGIN", "UPDATE", "ROLLBACK"]


async def test_issuing_and_redeeming_a_code_are_one_statement_each(logged: Logged) -> None:
    grants = SqlGrantStore(logged.db)
    await grants.add_code(code("c-1"))
    assert logged.take() == ["WITH"]
    issued = [token("at-1", "grant-c-1"), refresh("rt-1", "grant-c-1")]
    assert await grants.redeem_code("c-1", NOW + 5, issued)
    assert logged.take() == ["WITH"]
    assert await grants.session_clients("sid-1") == frozenset({"app-1"})
    for t in issued:
        assert await grants.get_token(t.token_hash) == t
    logged.take()
    # a second redemption: one statement, which writes nothing
    assert not await grants.redeem_code("c-1", NOW + 6, [token("at-2", "grant-c-1")])
    assert logged.take() == ["WITH"]
    assert await grants.get_token("at-2") is None
    stored = await grants.get_code("c-1")
    assert stored is not None and stored.consumed_at == NOW + 5


async def test_a_refresh_rotation_is_one_statement_and_single_use(logged: Logged) -> None:
    grants = SqlGrantStore(logged.db)
    await grants.add_tokens([refresh("rt-1")])
    logged.take()
    assert await grants.rotate_refresh_token("rt-1", NOW + 5, [token("at-2"), refresh("rt-2")])
    assert logged.take() == ["WITH"]
    assert not await grants.rotate_refresh_token("rt-1", NOW + 6, [token("at-3")])
    assert logged.take() == ["WITH"]
    assert await grants.get_token("at-3") is None
    logged.take()
    assert await grants.extend_refresh_token("rt-2", NOW + 7, NOW + 9_000, [token("at-4")])
    assert logged.take() == ["WITH"]
    extended = await grants.get_token("rt-2")
    assert extended is not None and extended.expires_at == NOW + 9_000
