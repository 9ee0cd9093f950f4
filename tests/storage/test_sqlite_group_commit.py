"""Group commit: under load the SQLite writer waits ``commit_delay`` for more transactions.

The writer only waits when its previous batch held more than one transaction (other requests
are about); a lone client's writes never wait. These tests read the writer's counters, not
clocks: ``batches`` (commits) and ``delayed_batches`` (commits that waited first).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select

from authgate.settings import Settings
from authgate.storage.database import Step
from authgate.storage.db import open_database, upgrade_sync
from authgate.storage.models import DPoPJtiRow, table_of
from authgate.storage.sqlite import COMMIT_DELAY, WAL_AUTOCHECKPOINT, SqliteDatabase, connect

JTIS = table_of(DPoPJtiRow)
INSERT = insert(JTIS).values(jti_hash=bindparam("h"), expires_at=bindparam("e"))

Opener = Callable[[float], SqliteDatabase]


@pytest.fixture
async def open_db(tmp_path: Path) -> AsyncIterator[Opener]:
    path = tmp_path / "authgate.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    opened: list[SqliteDatabase] = []

    def opener(delay: float) -> SqliteDatabase:
        opened.append(SqliteDatabase(str(path), commit_delay=delay))
        return opened[-1]

    try:
        yield opener
    finally:
        for database in opened:
            await database.close()


def unit(name: str) -> list[Step]:
    return [Step(INSERT, {"h": name, "e": 1.0})]


async def busy_batch(db: SqliteDatabase, size: int) -> None:
    """Commit ``size`` transactions as one batch (the writer waits on its lock meanwhile)."""
    fd = os.open(f"{db.path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        before = db.batches
        futures = [asyncio.ensure_future(db.transact(unit(f"busy{i}"))) for i in range(size)]
        await asyncio.sleep(0.1)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert all(o.applied for o in await asyncio.wait_for(asyncio.gather(*futures), 10))
    assert db.batches == before + 1


async def test_after_a_busy_batch_later_arrivals_join_the_waiting_commit(
    open_db: Opener,
) -> None:
    db = open_db(0.5)
    await busy_batch(db, 6)
    before = db.batches
    lead = asyncio.ensure_future(db.transact(unit("lead")))
    await asyncio.sleep(0.1)  # the writer has the lead and is waiting for company
    followers = [asyncio.ensure_future(db.transact(unit(f"f{i}"))) for i in range(5)]
    outcomes = await asyncio.wait_for(asyncio.gather(lead, *followers), 10)
    assert all(o.applied for o in outcomes)
    assert db.batches == before + 1, "the followers were not committed with the lead"
    assert db.delayed_batches == 1
    rows = await db.fetch_all(select(JTIS.c.jti_hash), {})
    assert {"lead", "f0", "f4"} <= {r["jti_hash"] for r in rows}


async def test_a_lone_client_never_waits(open_db: Opener) -> None:
    db = open_db(0.5)
    for i in range(5):
        assert (await db.transact(unit(f"solo{i}"))).applied
    assert db.batches == 5
    assert db.delayed_batches == 0


async def test_a_zero_delay_never_waits(open_db: Opener) -> None:
    db = open_db(0.0)
    await busy_batch(db, 6)
    assert (await db.transact(unit("next"))).applied
    assert db.delayed_batches == 0


async def test_the_setting_reaches_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().sqlite_commit_delay == COMMIT_DELAY
    monkeypatch.setenv("AUTHGATE_SQLITE_COMMIT_DELAY", "0")
    settings = Settings(data_dir=tmp_path)
    assert settings.sqlite_commit_delay == 0
    upgrade_sync(settings.database)
    db = await open_database(settings.database, sqlite_commit_delay=settings.sqlite_commit_delay)
    try:
        assert isinstance(db, SqliteDatabase) and db.commit_delay == 0
    finally:
        await db.close()


def test_connections_are_durable_and_checkpoint_less_often(tmp_path: Path) -> None:
    con = connect(str(tmp_path / "authgate.db"))
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == WAL_AUTOCHECKPOINT
    finally:
        con.close()
