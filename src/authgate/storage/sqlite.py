"""SQLite access (:class:`SqliteDatabase`) for one database file.

Reads run inline on the event loop's thread. Writes are group-committed there too: the units
queued in one turn of the loop run in one transaction (each still all-or-nothing), and a sync
thread makes them durable with ``fdatasync`` before any caller hears of them (the loop's thread
does it itself when nothing else waits for it). A checkpointer
thread copies the WAL into the database in the background, and an advisory lock file lets
several worker processes share the file. The design and the reasons for it:
docs/architecture.md §5.3.
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql import ClauseElement

from authgate import metrics
from authgate.core.ports import OVERLAPPED
from authgate.storage.engine import (
    IntegrityViolation,
    Outcome,
    Row,
    Settlement,
    StatementCache,
    Step,
    settle,
)

_Item = tuple[Sequence[Step], asyncio.Future[Outcome], asyncio.AbstractEventLoop]
_Committed = tuple[list[_Item], list[Outcome | BaseException]]
logger = logging.getLogger(__name__)
#: Seconds a batch waits for more transactions before it runs, under load.
COMMIT_DELAY = 0.001
#: A batch waits only after one of at least this many transactions: below it the machine is
#: not busy enough for the delay to pay.
WAIT_AFTER = 4
#: Seconds between background checkpoints; 0 leaves them to SQLite.
CHECKPOINT_INTERVAL = 0.1
#: Checkpoints the checkpointer runs back to back while each leaves frames committed during
#: it: the second copies only those few and usually completes, so the event loop rarely has
#: to finish one.
CHECKPOINT_TRIES = 3
#: WAL pages at which the writing connection checkpoints by itself: the safety net, and
#: SQLite's own behaviour (1,000 pages) when background checkpoints are off.
WAL_AUTOCHECKPOINT = 50_000
SQLITE_AUTOCHECKPOINT = 1_000
#: The statements compiled for SQLite, shared by every database of the process.
_STATEMENTS = StatementCache(sqlite_dialect.dialect(paramstyle="qmark"))


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
    """:class:`authgate.storage.engine.Database` over one SQLite file.

    Used from one event loop at a time (each server process has one): the batches run on
    the loop that queued them, on the one connection that also serves the reads.
    """

    dialect_name = "sqlite"

    def __init__(
        self,
        path: str,
        *,
        commit_delay: float = COMMIT_DELAY,
        checkpoint_interval: float = CHECKPOINT_INTERVAL,
        sync_inline_when: Callable[[], bool] | None = None,
    ) -> None:
        """
        Args:
            path: The database file.
            commit_delay: See :data:`COMMIT_DELAY`.
            checkpoint_interval: See :data:`CHECKPOINT_INTERVAL`.
            sync_inline_when: Asked after a batch of one unit whose caller only waits for it
                (it is not :data:`authgate.core.ports.OVERLAPPED`): True lets the event
                loop's thread ``fdatasync`` the WAL itself instead of waking the sync thread
                and being woken by it. The server passes :func:`authgate.activity.alone` (no
                other request in progress in the process, so nothing else waits for the
                loop). None: every batch goes to the sync thread.
        """
        self.path = path
        self.commit_delay = commit_delay
        self.checkpoint_interval = checkpoint_interval
        self.sync_inline_when = sync_inline_when
        self.batches = 0
        self.transactions = 0
        #: Batches that waited ``commit_delay`` for company.
        self.delayed_batches = 0
        #: ``fdatasync`` calls that made batches durable (one may cover several batches).
        self.syncs = 0
        #: Of those, the calls made on the event loop's thread (``sync_inline_when``).
        self.inline_syncs = 0
        #: Background checkpoints run so far.
        self.checkpoints = 0
        self._tail_due = False
        self._stopping = threading.Event()
        background = checkpoint_interval > 0
        self._con = connect(
            path, autocheckpoint=WAL_AUTOCHECKPOINT if background else SQLITE_AUTOCHECKPOINT
        )
        # Commits go to the WAL without an fsync; the sync thread makes them durable before
        # anyone hears of them (docs/architecture.md §5.3).
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._inode = os.stat(path).st_ino
        self._statements = _STATEMENTS
        self._lock_fd = os.open(writer_lock_file(path), os.O_RDWR | os.O_CREAT, 0o600)
        self._pending: list[_Item] = []
        #: Whether a queued unit's caller does other work while it waits (OVERLAPPED).
        self._pending_overlapped = False
        self._scheduled: asyncio.AbstractEventLoop | None = None
        self._previous = 0
        self._wal_fd: int | None = None
        self._wal_inode = 0
        self._committed: queue.SimpleQueue[_Committed | None] = queue.SimpleQueue()
        self._sync_lock = threading.Lock()
        self._syncer = threading.Thread(
            target=self._sync_loop, name="authgate-sqlite-sync", daemon=True
        )
        self._syncer.start()
        self._checkpointer: threading.Thread | None = None
        if background:
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="authgate-sqlite-checkpointer", daemon=True
            )
            self._checkpointer.start()

    def file_present(self) -> bool:
        """Whether the file at :attr:`path` is still the one this connection opened.

        A deleted or replaced file goes on answering through the open connection, but what is
        written then is lost to the next process that opens the path.
        """
        try:
            return os.stat(self.path).st_ino == self._inode
        except OSError:
            return False

    async def fetch_one(self, statement: ClauseElement, params: Mapping[str, Any]) -> Row | None:
        compiled = self._statements.get(statement)
        row: Row | None = self._con.execute(compiled.text, compiled.args(params)).fetchone()
        return row

    async def fetch_all(self, statement: ClauseElement, params: Mapping[str, Any]) -> list[Row]:
        compiled = self._statements.get(statement)
        return list(self._con.execute(compiled.text, compiled.args(params)).fetchall())

    async def transact(self, steps: Sequence[Step]) -> Outcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._pending.append((steps, future, loop))
        if OVERLAPPED.get():
            self._pending_overlapped = True
        if self._scheduled is not loop:
            self._scheduled = loop
            if self.commit_delay > 0 and self._previous >= WAIT_AFTER:
                self.delayed_batches += 1
                loop.call_later(self.commit_delay, self._flush)
            else:
                loop.call_soon(self._flush)
        return await future

    async def close(self) -> None:
        if self._pending:
            self._flush()
        self._stopping.set()
        self._committed.put(None)
        await asyncio.to_thread(self._syncer.join)
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.join)
        self._con.close()
        os.close(self._lock_fd)
        if self._wal_fd is not None:
            os.close(self._wal_fd)

    # --- the batch, on the event loop's thread -----------------------------------------------

    def _flush(self) -> None:
        """Commit every queued unit as one batch and make it durable: on this thread when
        ``sync_inline_when`` allows it, else by handing it to the sync thread."""
        self._scheduled = None
        batch, self._pending = self._pending, []
        overlapped, self._pending_overlapped = self._pending_overlapped, False
        if not batch:
            return
        started = time.perf_counter()
        try:
            with _exclusive(self._lock_fd):
                if self._tail_due:
                    self._finish_checkpoint(self._con)
                results = self._run_batch(self._con, self._statements, batch)
        except Exception as exc:  # the lock itself failed: nothing of the batch ran
            results = [exc for _ in batch]
        metrics.storage_batch(self.dialect_name, len(batch), time.perf_counter() - started)
        self._previous = len(batch)
        self.batches += 1
        self.transactions += len(batch)
        if (
            len(batch) == 1
            and not overlapped
            and self.sync_inline_when is not None
            and self.sync_inline_when()
        ):
            # Nothing else waits for this thread: two thread wake-ups cost more than the
            # fsync they would let the loop overlap with.
            self.inline_syncs += 1
            for pairs in self._durable([(batch, results)]).values():
                settle(pairs)
            return
        self._committed.put((batch, results))

    # --- sync thread ---------------------------------------------------------------------------

    def _sync_loop(self) -> None:
        running = True
        while running:
            first = self._committed.get()
            if first is None:
                break
            done = [first]
            while True:  # one fsync for every batch committed so far
                try:
                    nxt = self._committed.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    running = False
                    break
                done.append(nxt)
            # One wake-up per event loop for all these batches, not one per transaction.
            for loop, pairs in self._durable(done).items():
                loop.call_soon_threadsafe(settle, pairs)

    def _durable(self, done: list[_Committed]) -> dict[asyncio.AbstractEventLoop, list[Settlement]]:
        """``fdatasync`` the WAL, then each caller of the ``done`` batches by its event loop,
        with its unit's outcome, or the failure if the fsync failed."""
        failure: Exception | None = None
        started = time.perf_counter()
        try:
            self._sync()
            metrics.storage_sync(time.perf_counter() - started)
        except Exception as exc:  # every caller it covered hears of it; later ones retry
            logger.critical("fsync of the SQLite WAL failed; writes are not durable: %s", exc)
            failure = exc
        settled: dict[asyncio.AbstractEventLoop, list[Settlement]] = {}
        for batch, results in done:
            for (_steps, future, loop), result in zip(batch, results, strict=True):
                settled.setdefault(loop, []).append((future, failure or result))
        return settled

    def _sync(self) -> None:
        """``fdatasync`` the WAL file: every frame written to it so far is then on disk.

        The sync thread and the event loop's thread (``sync_inline_when``) take turns: one
        may reopen the WAL's descriptor that the other would sync.
        """
        with self._sync_lock:
            self._sync_wal()

    def _sync_wal(self) -> None:
        wal = f"{self.path}-wal"
        try:
            inode = os.stat(wal).st_ino
        except FileNotFoundError:  # no WAL (never in WAL mode): sync the database itself
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)
            self.syncs += 1
            return
        if self._wal_fd is None or inode != self._wal_inode:
            if self._wal_fd is not None:
                os.close(self._wal_fd)
            self._wal_fd = os.open(wal, os.O_RDONLY)
            self._wal_inode = inode
        os.fdatasync(self._wal_fd)
        self.syncs += 1

    # --- checkpointer thread ---------------------------------------------------------------

    def _checkpoint_loop(self) -> None:
        con = connect(self.path)
        try:
            while not self._stopping.wait(self.checkpoint_interval):
                try:
                    for _ in range(CHECKPOINT_TRIES):
                        busy, log, copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                        self.checkpoints += 1
                        if busy or copied >= log:
                            break
                except sqlite3.Error:
                    logger.exception("background checkpoint failed")
                    continue
                if not busy and copied < log:
                    self._tail_due = True  # the next batch finishes it first
        finally:
            con.close()

    def _finish_checkpoint(self, con: sqlite3.Connection) -> None:
        """Copy what was committed during the last background checkpoint (a few frames), so
        that the WAL is complete and the next transaction starts it over."""
        self._tail_due = False
        try:
            con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            logger.exception("checkpoint before a batch failed")

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


def writer_lock_file(path: str) -> str:
    """The advisory lock file next to the database file at ``path``: its holder is the one
    process that writes to the file."""
    return f"{path}-writer.lock"


@contextlib.contextmanager
def holding_writer_lock(path: str) -> Iterator[None]:
    """Be the one process that writes to the database file at ``path`` until the block ends
    (a schema migration: the other processes' batches wait for it)."""
    fd = os.open(writer_lock_file(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with _exclusive(fd):
            yield
    finally:
        os.close(fd)


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
