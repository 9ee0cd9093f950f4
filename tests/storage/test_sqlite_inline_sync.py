"""Which thread flushes a commit: the event loop's own when nothing else waits for it.

A batch of one unit whose caller only awaits it is flushed (``fdatasync``) on the event loop's
thread when ``sync_inline_when`` says so: the server asks whether another request is in
progress in the process (:func:`authgate.activity.alone`). Everything else goes to the sync
thread: batches of several units, units whose caller signs meanwhile
(:data:`authgate.core.ports.OVERLAPPED`), and every batch while other requests wait. Either
way the caller hears of its commit only after the fsync has returned
(tests/storage/test_sqlite_durability.py holds the sync thread's fsync back).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from authgate.core.ports import OVERLAPPED
from authgate.runtime import Runtime
from authgate.storage.sqlite import SqliteDatabase
from tests.storage.sqlite_units import rows_seen_by_another_connection, unit
from tests.support import Flow

REAL_FDATASYNC = os.fdatasync


class Recorder:
    """Stands in front of ``os.fdatasync``: notes the thread of each call, then syncs (or
    fails with :attr:`failure`)."""

    def __init__(self) -> None:
        self.threads: list[int] = []
        self.failure: OSError | None = None

    def __call__(self, fd: int) -> None:
        self.threads.append(threading.get_ident())
        if self.failure is not None:
            raise self.failure
        REAL_FDATASYNC(fd)

    def on_loop(self) -> list[bool]:
        """For each call so far: whether it ran on this (the event loop's) thread."""
        me = threading.get_ident()
        return [t == me for t in self.threads]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    r = Recorder()
    monkeypatch.setattr(os, "fdatasync", r)
    yield r


@pytest.fixture
def inline() -> list[bool]:
    """What ``sync_inline_when`` answers (a test may change it)."""
    return [True]


@pytest.fixture
async def db(sqlite_file: Path, inline: list[bool]) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(
        str(sqlite_file), checkpoint_interval=0, sync_inline_when=lambda: inline[0]
    )
    try:
        yield database
    finally:
        await database.close()


async def test_a_lone_unit_is_flushed_on_the_loops_thread(
    recorder: Recorder, db: SqliteDatabase
) -> None:
    assert (await db.transact(unit("a"))).applied
    assert recorder.on_loop() == [True]
    assert (db.syncs, db.inline_syncs) == (1, 1)
    assert "a" in rows_seen_by_another_connection(db.path)


async def test_the_sync_thread_flushes_while_other_requests_wait(
    recorder: Recorder, db: SqliteDatabase, inline: list[bool]
) -> None:
    inline[0] = False
    assert (await db.transact(unit("a"))).applied
    assert recorder.on_loop() == [False]
    assert (db.syncs, db.inline_syncs) == (1, 0)


async def test_an_overlapped_unit_goes_to_the_sync_thread(
    recorder: Recorder, db: SqliteDatabase
) -> None:
    token = OVERLAPPED.set(True)
    try:
        redeeming = asyncio.ensure_future(db.transact(unit("overlapped")))
    finally:
        OVERLAPPED.reset(token)
    assert (await redeeming).applied
    assert (await db.transact(unit("awaited"))).applied
    assert recorder.on_loop() == [False, True]
    assert db.inline_syncs == 1


async def test_a_batch_of_several_units_goes_to_the_sync_thread(
    recorder: Recorder, db: SqliteDatabase
) -> None:
    outcomes = await asyncio.gather(db.transact(unit("a")), db.transact(unit("b")))
    assert all(o.applied for o in outcomes)
    assert db.batches == 1
    assert recorder.on_loop() == [False]


async def test_without_a_predicate_every_batch_goes_to_the_sync_thread(
    recorder: Recorder, sqlite_file: Path
) -> None:
    database = SqliteDatabase(str(sqlite_file), checkpoint_interval=0)
    try:
        assert (await database.transact(unit("a"))).applied
    finally:
        await database.close()
    assert recorder.on_loop() == [False]


async def test_a_failed_inline_fsync_reaches_the_caller(
    recorder: Recorder, db: SqliteDatabase
) -> None:
    recorder.failure = OSError(5, "Input/output error")
    with pytest.raises(OSError, match="Input/output error"):
        await db.transact(unit("lost"))
    recorder.failure = None
    assert (await db.transact(unit("after"))).applied
    assert recorder.on_loop() == [True, True]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_in_a_flow_the_code_is_flushed_inline_and_the_redemption_beside_the_signature(
    recorder: Recorder, runtime: Runtime, flow: Flow
) -> None:
    """One request at a time (in process): the authorization request's write is flushed on
    the loop's thread; the token request's redemption goes to the sync thread, so that the
    id_token's signature runs during its fsync."""
    db = runtime.db
    assert isinstance(db, SqliteDatabase)
    client = await flow.register()
    recorder.threads.clear()
    issued = await flow.code(client["client_id"])
    # the last write of the sign-in, consent and authorization requests is the code's
    assert recorder.on_loop()[-1], "the code's write went to the sync thread"
    recorder.threads.clear()
    tokens = await flow.tokens(issued)
    assert "id_token" in tokens
    assert False in recorder.on_loop(), "the redemption was flushed before the signature"


def test_only_the_openid_redemption_is_overlapped() -> None:
    """The flag is set for the task that redeems, not left set for the request."""
    assert OVERLAPPED.get() is False
    seen: list[bool] = []

    async def redeem() -> None:
        seen.append(OVERLAPPED.get())

    async def main() -> None:
        token = OVERLAPPED.set(True)
        try:
            task = asyncio.ensure_future(redeem())
        finally:
            OVERLAPPED.reset(token)
        seen.append(OVERLAPPED.get())
        await task

    asyncio.run(main())
    assert seen == [False, True]
