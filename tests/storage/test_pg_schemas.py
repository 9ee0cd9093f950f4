"""authgate in a PostgreSQL schema of its own (docs/deployment.md): the URL's libpq
``options=-c search_path=<schema>`` puts every table there, the migration creates the schema
when it is missing, another application's tables in ``public`` are left alone, and two
deployments in two schemas of one database neither see each other's rows nor hear each
other's change notices."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text

from authgate.storage.change_feed import change_feed
from authgate.storage.connect import open_database, schema_revision, table_names, upgrade
from tests.conftest import REQUIRE_PG
from tests.pg_scratch import PostgresUnreachable, scratch_database
from tests.storage.test_change_feed import Heard


@pytest.fixture
def database() -> Iterator[str]:
    """A new PostgreSQL database holding another application's table in ``public``."""
    try:
        with scratch_database("authgate_schemas") as url:
            yield url
    except PostgresUnreachable as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


def in_schema(url: str, schema: str) -> str:
    return f"{url}?options=-csearch_path%3D{schema}"


async def _tables(dsn: str, schema: str) -> set[str]:
    con = await asyncpg.connect(dsn)
    try:
        rows = await con.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    finally:
        await con.close()
    return {r["tablename"] for r in rows}


async def test_two_deployments_beside_another_application(database: str) -> None:
    con = await asyncpg.connect(database)
    await con.execute("CREATE TABLE orders (id integer)")
    await con.execute("CREATE SCHEMA made_by_dba")  # an existing, empty schema is used as is
    await con.close()
    first, second = in_schema(database, "authgate_first"), in_schema(database, "made_by_dba")
    for url in (first, second):
        assert await table_names(url) == []
        await upgrade(url)
        assert await schema_revision(url) is not None
    assert await _tables(database, "public") == {"orders"}
    assert "alembic_version" in await _tables(database, "authgate_first")
    assert await _tables(database, "authgate_first") == await _tables(database, "made_by_dba")
    # the same database without the option is the other application's
    assert await table_names(database) == ["orders"]

    a_db, b_db = await open_database(first), await open_database(second)
    a_peer = await open_database(first)
    try:
        await a_db.fetch_one(
            text("INSERT INTO change_log (topic, at) VALUES ('first-only', 0) RETURNING seq"), {}
        )
        rows = await b_db.fetch_all(text("SELECT topic FROM change_log"), {})
        assert [r["topic"] for r in rows] == []
        # change notices stay within the schema: b does not hear a, a's peer does
        heard_a, heard_b = Heard(), Heard()
        listen_a = change_feed(a_peer, first, poll_interval=1)
        listen_b = change_feed(b_db, second, poll_interval=1)
        await listen_a.start(heard_a)
        await listen_b.start(heard_b)
        try:
            await change_feed(a_db, first, poll_interval=1).publish("client:c-1")
            await heard_a.wait(1)
            await change_feed(b_db, second, poll_interval=1).publish("config")
            await heard_b.wait(1)
        finally:
            await listen_a.close()
            await listen_b.close()
        assert heard_a.topics == ["client:c-1"]
        assert heard_b.topics == ["config"]
    finally:
        for db in (a_db, b_db, a_peer):
            await db.close()
