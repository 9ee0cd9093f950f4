"""SQLite access: reads on the event loop's thread, writes through one group-commit thread.

Reads are primary-key lookups that take microseconds in SQLite; running them inline is far
cheaper than a thread hand-off per query. Writes go to a single writer thread that takes every
transaction waiting in its queue, runs them in one ``BEGIN IMMEDIATE`` transaction and commits
them together: one fsync for the batch (``synchronous=FULL`` in WAL mode, so every acknowledged
write is durable), with each caller's unit still all-or-nothing (a batch in which some unit
fails runs again with a SAVEPOINT around each unit).

Several server processes may share one file (``authgate serve --workers N``). Their writer
threads take turns through an advisory lock file beside the database before ``BEGIN
IMMEDIATE``: a blocked writer sleeps in the kernel and wakes the moment the other commits,
where SQLite's own busy handler would poll with sleeps of up to 100 ms. A writer takes its
batch from the queue once it holds the lock, so what arrived while it waited joins the batch.

Checkpoints run in the background: a checkpoint copies each page changed since the last one
into the database file once, however often it was committed, so rare checkpoints write far
fewer pages, but a large one run inside a commit (SQLite's automatic checkpoint) stalls every
write queued behind it. A checkpointer thread with its own connection copies the WAL into the
database every ``checkpoint_interval`` seconds without blocking the writer (``PASSIVE``); the
writer then copies the few frames committed meanwhile before its next batch, so the WAL is
complete and SQLite starts it over. The writer's own automatic checkpoint stays as a safety
net at 50,000 pages.

Group commit delay: a commit costs about the same whether it carries one transaction or
twenty (the WAL rewrites the same hot pages, one fsync), so under load the writer waits
``commit_delay`` seconds (1 ms by default) before taking a batch, letting concurrent requests
join it, as PostgreSQL's ``commit_delay`` does. It waits only when the previous batch held
at least ``WAIT_AFTER`` (4) transactions, so a lone client, or a few, never pay the delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql import ClauseElement

from authgate.storage.database import IntegrityViolation, Outcome, Row, StatementCache, Step

_Item = tuple[Sequence[Step], asyncio.Future[Outcome], asyncio.AbstractEventLoop]
_Settlement = tuple[asyncio.Future[Outcome], Outcome | BaseException]
MAX_BATCH = 128
logger = logging.getLogger(__name__)
#: Seconds the writer waits for more transactions before a batch, under load (see above).
COMMIT_DELAY = 0.001
#: The writer waits only after a batch of at least this many transactions: below it the
#: machine is not busy enough for the delay to pay (two workers at 8 users: 878 flows/s
#: waiting after every batch of 2 or more, 976 after batches of 4 or more; the same at 32).
WAIT_AFTER = 4
#: Seconds between background checkpoints (see above); 0 leaves them to SQLite.
CHECKPOINT_INTERVAL = 0.1
#: WAL pages at which a connection checkpoints by itself: the safety net, and SQLite's own
#: behaviour (1,000 pages) when background checkpoints are off.
WAL_AUTOCHECKPOINT = 50_000
SQLITE_AUTOCHECKPOINT = 1_000


def connect(path: str, *, autocheckpoint: int = SQLITE_AUTOCHECKPOINT) -> sqlite3.Connection:
    """A connection with authgate's pragmas: WAL, durable commits, FK checks, busy waiting."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA busy_timeout=10000")
    con.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
    return con


class _Abort(Exception):
    pass


class SqliteDatabase:
    """:class:`authgate.storage.database.Database` over one SQLite file."""

    dialect_name = "sqlite"

    def __init__(
        self,
        path: str,
        *,
        commit_delay: float = COMMIT_DELAY,
        checkpoint_interval: float = CHECKPOINT_INTERVAL,
    ) -> None:
        self.path = path
        self.commit_delay = commit_delay
        self.checkpoint_interval = checkpoint_interval
        self.batches = 0
        self.transactions = 0
        #: Batches before which the writer waited ``commit_delay`` for company.
        self.delayed_batches = 0
        #: Background checkpoints run so far.
        self.checkpoints = 0
        self._tail_due = False
        self._stopping = threading.Event()
        self._reader = connect(path)
        self._reader.execute("PRAGMA query_only=ON")
        self._read_statements = StatementCache(sqlite_dialect.dialect(paramstyle="qmark"))
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._writer = threading.Thread(
            target=self._write_loop, name="authgate-sqlite-writer", daemon=True
        )
        self._writer.start()
        self._checkpointer: threading.Thread | None = None
        if checkpoint_interval > 0:
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="authgate-sqlite-checkpointer", daemon=True
            )
            self._checkpointer.start()

    async def fetch_one(self, statement: ClauseElement, params: Mapping[str, Any]) -> Row | None:
        compiled = self._read_statements.get(statement)
        row: Row | None = self._reader.execute(compiled.text, compiled.args(params)).fetchone()
        return row

    async def fetch_all(self, statement: ClauseElement, params: Mapping[str, Any]) -> list[Row]:
        compiled = self._read_statements.get(statement)
        return list(self._reader.execute(compiled.text, compiled.args(params)).fetchall())

    async def transact(self, steps: Sequence[Step]) -> Outcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put((steps, future, loop))
        return await future

    async def close(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        await asyncio.to_thread(self._writer.join)
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.join)
        self._reader.close()

    # --- checkpointer thread ---------------------------------------------------------------

    def _checkpoint_loop(self) -> None:
        con = connect(self.path)
        try:
            while not self._stopping.wait(self.checkpoint_interval):
                try:
                    busy, log, _copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    logger.exception("background checkpoint failed")
                    continue
                self.checkpoints += 1
                if not busy and log > 0:
                    self._tail_due = True  # the writer finishes it before its next batch
        finally:
            con.close()

    # --- writer thread -------------------------------------------------------------------

    def _write_loop(self) -> None:
        background = self.checkpoint_interval > 0
        con = connect(
            self.path, autocheckpoint=WAL_AUTOCHECKPOINT if background else SQLITE_AUTOCHECKPOINT
        )
        lock_fd = os.open(f"{self.path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
        statements = StatementCache(sqlite_dialect.dialect(paramstyle="qmark"))
        running = True
        previous = 0
        while running:
            first = self._queue.get()
            if first is None:
                break
            if self.commit_delay > 0 and previous >= WAIT_AFTER:
                time.sleep(self.commit_delay)  # the GIL is released while sleeping
                self.delayed_batches += 1
            batch = [first]
            with _exclusive(lock_fd):
                if self._tail_due:
                    self._finish_checkpoint(con)
                running = self._take_waiting(batch)
                results = self._run_batch(con, statements, batch)
            previous = len(batch)
            self.batches += 1
            self.transactions += len(batch)
            # One wake-up per event loop for the whole batch, not one per transaction.
            settled: dict[asyncio.AbstractEventLoop, list[_Settlement]] = {}
            for (_steps, future, loop), result in zip(batch, results, strict=True):
                settled.setdefault(loop, []).append((future, result))
            for loop, pairs in settled.items():
                loop.call_soon_threadsafe(_settle_all, pairs)
        con.close()
        os.close(lock_fd)

    def _finish_checkpoint(self, con: sqlite3.Connection) -> None:
        """Copy what was committed during the last background checkpoint (a few frames), so
        that the WAL is complete and the next transaction starts it over."""
        self._tail_due = False
        try:
            con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            logger.exception("checkpoint before a batch failed")

    def _take_waiting(self, batch: list[_Item]) -> bool:
        """Add what waits in the queue to ``batch``; False once the queue says to stop."""
        while len(batch) < MAX_BATCH:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                return True
            if nxt is None:
                return False
            batch.append(nxt)
        return True

    @staticmethod
    def _run_unit(
        con: sqlite3.Connection, statements: StatementCache, steps: Sequence[Step]
    ) -> Outcome:
        counts: list[int] = []
        for step in steps:
            compiled = statements.get(step.statement)
            if isinstance(step.params, Mapping):
                cursor = con.execute(compiled.text, compiled.args(step.params))
            else:
                cursor = con.executemany(compiled.text, [compiled.args(p) for p in step.params])
            counts.append(cursor.rowcount)
            if step.expect is not None and cursor.rowcount != step.expect:
                raise _Abort(tuple(counts))
        return Outcome(True, tuple(counts))

    def _run_batch(
        self, con: sqlite3.Connection, statements: StatementCache, batch: list[_Item]
    ) -> list[Outcome | BaseException]:
        """Commit the batch's units together, each one all-or-nothing.

        Units almost always succeed, so the batch first runs them back to back in one
        transaction. If any unit fails (an ``expect`` not met, a constraint, an error), that
        attempt is rolled back and the batch runs again with a SAVEPOINT around each unit,
        which undoes the failed units alone. The caller holds the writer lock throughout.
        """
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                results: list[Outcome | BaseException] = [
                    self._run_unit(con, statements, steps) for steps, _future, _loop in batch
                ]
            except Exception:  # one unit failed: undo the attempt, isolate every unit
                if con.in_transaction:
                    con.execute("ROLLBACK")
                con.execute("BEGIN IMMEDIATE")
                results = [self._run_isolated(con, statements, steps) for steps, _f, _l in batch]
            con.execute("COMMIT")
        except Exception as exc:  # BEGIN or COMMIT failed: nothing of the batch is durable
            if con.in_transaction:
                con.execute("ROLLBACK")
            return [exc for _ in batch]
        return results

    def _run_isolated(
        self, con: sqlite3.Connection, statements: StatementCache, steps: Sequence[Step]
    ) -> Outcome | BaseException:
        con.execute("SAVEPOINT unit")
        try:
            result: Outcome | BaseException = self._run_unit(con, statements, steps)
        except _Abort as abort:
            con.execute("ROLLBACK TO unit")
            result = Outcome(False, abort.args[0])
        except sqlite3.IntegrityError as exc:
            con.execute("ROLLBACK TO unit")
            result = IntegrityViolation(str(exc))
        except Exception as exc:
            con.execute("ROLLBACK TO unit")
            result = exc
        con.execute("RELEASE unit")
        return result


@contextlib.contextmanager
def _exclusive(fd: int) -> Iterator[None]:
    """Hold the cross-process writer lock (blocking; the GIL is released while waiting)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _settle_all(pairs: list[_Settlement]) -> None:
    for future, result in pairs:
        if future.cancelled():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
