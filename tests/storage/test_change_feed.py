"""Change notices between processes of one database (``storage/change_feed.py``): the SQLite
change log read by polling, PostgreSQL NOTIFY on a listening connection that reconnects."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from authgate.storage.change_feed import (
    RETENTION,
    PostgresChangeFeed,
    SqliteChangeFeed,
    change_feed,
)
from authgate.storage.connect import open_database, postgres_dsn
from authgate.storage.engine import Database


class Heard:
    """What a feed handed over: each notice's topics, or None for "maybe missed some"."""

    def __init__(self) -> None:
        self.notices: list[list[str] | None] = []
        self._arrived = asyncio.Event()

    def __call__(self, topics: Sequence[str] | None) -> None:
        self.notices.append(None if topics is None else list(topics))
        self._arrived.set()

    async def wait(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.notices) < count:
                self._arrived.clear()
                await self._arrived.wait()

    @property
    def topics(self) -> list[str]:
        return [t for notice in self.notices if notice is not None for t in notice]


@pytest.fixture
async def databases(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two connections to one database, as two processes have."""
    first, second = await open_database(database_url), await open_database(database_url)
    yield first, second
    await first.close()
    await second.close()


async def test_a_published_change_reaches_the_other_process(
    databases: tuple[Database, Database], database_url: str
) -> None:
    a_db, b_db = databases
    a = change_feed(a_db, database_url, poll_interval=0.02)
    b = change_feed(b_db, database_url, poll_interval=0.02)
    heard = Heard()
    await b.start(heard)
    try:
        started = time.monotonic()
        await a.publish("client:c-1", "config")
        await heard.wait(1)
        if len(heard.topics) < 2:
            await heard.wait(2)
        elapsed = time.monotonic() - started
    finally:
        await b.close()
    assert heard.topics == ["client:c-1", "config"]
    assert elapsed < 1.0


async def test_changes_before_start_are_not_replayed(sqlite_url: str) -> None:
    db = await open_database(sqlite_url)
    try:
        feed = SqliteChangeFeed(db, poll_interval=0.01)
        await feed.publish("scopes")
        heard = Heard()
        await feed.start(heard)
        assert await feed.poll_once(heard) == 0
        await feed.publish("keys")
        assert await feed.poll_once(heard) == 1
        await feed.close()
        assert heard.notices == [["keys"]]
    finally:
        await db.close()


async def test_sequence_numbers_only_grow_after_old_rows_are_deleted(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that saw seq N must see the next row even when every older row is gone:
    SQLite's AUTOINCREMENT never hands out a number twice."""
    db = await open_database(sqlite_url)
    try:
        writer = SqliteChangeFeed(db)
        reader = SqliteChangeFeed(db)
        heard = Heard()
        await writer.publish("scopes")
        await reader.start(heard)
        await reader.close()
        later = time.time() + 2 * RETENTION
        monkeypatch.setattr(time, "time", lambda: later)  # the next publish prunes the first
        await writer.publish("keys")
        assert await reader.poll_once(heard) == 1
        assert heard.notices == [["keys"]]
    finally:
        await db.close()


async def test_long_topics_become_every_client(sqlite_url: str) -> None:
    db = await open_database(sqlite_url)
    try:
        feed = SqliteChangeFeed(db)
        heard = Heard()
        await feed.start(heard)
        await feed.close()
        await feed.publish("client:" + "x" * 300, "scopes", "scopes")
        await feed.poll_once(heard)
        assert heard.notices == [["clients", "scopes"]]
    finally:
        await db.close()


@pytest.mark.postgres
async def test_the_listener_reconnects_and_reports_a_gap(postgres_url: str) -> None:
    """The listening connection is killed server-side (as a failover or an idle timeout
    would): the feed reconnects, says notices may have been missed, and hears new ones."""
    a_db, b_db = await open_database(postgres_url), await open_database(postgres_url)
    a = change_feed(a_db, postgres_url, poll_interval=1)
    b = change_feed(b_db, postgres_url, poll_interval=1)
    assert isinstance(b, PostgresChangeFeed)
    b.health_interval = 0.2
    heard = Heard()
    await b.start(heard)
    admin = await asyncpg.connect(postgres_dsn(postgres_url))
    try:
        assert b.listening.is_set()
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", b.server_pid())
        await heard.wait(1, timeout=10)
        assert heard.notices == [None]  # reconnected: everything may have changed
        assert b.connections == 2
        await a.publish("client:after")
        await heard.wait(2)
        assert heard.notices[1] == ["client:after"]
    finally:
        await admin.close()
        await b.close()
        await a_db.close()
        await b_db.close()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "authgate.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"
