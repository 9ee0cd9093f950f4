"""Carrying change notices (:mod:`authgate.changes`) between the processes of one database.

PostgreSQL: ``NOTIFY`` on the channel :data:`CHANNEL`, one notice per topic, sent after the
change committed. Notification channels belong to the whole database, so a deployment whose
tables live in a schema other than ``public`` (docs/deployment.md) uses
``authgate_changes:<schema>`` and does not hear another deployment in the same database.
Each process listens on a dedicated connection (asyncpg's ``add_listener``), checks it every
:data:`HEALTH_INTERVAL` seconds, and reconnects with back-off when it drops; after a
reconnect every cache is dropped, since notices sent meanwhile are lost.

SQLite (the workers of ``authgate serve --workers N``, and the CLI, on one file): a notice
is a row of ``change_log`` with an ever-growing ``seq``, written in its own transaction; each
process reads the rows after the last ``seq`` it saw every ``poll_interval`` seconds (50 ms
by default). The read is one index range query that finds nothing almost every time: about
13 µs, so 20 a second cost a worker well under 0.1 % of a core, and a notice arrives within
one interval plus the write's fsync. ``PRAGMA data_version`` (which tells whether anything
at all was committed) measured no cheaper than that query, and a datagram socket between
workers, faster still, would need a rendezvous directory and would not reach the CLI or a
worker that (re)starts later; the table does both, and survives a crash between a commit
and its notice's delivery. Rows older than :data:`RETENTION` are deleted when a new one is
written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import bindparam, case, delete, func, insert, literal, select

from authgate.changes import CLIENTS, MAX_TOPIC
from authgate.storage.connect import postgres_dsn
from authgate.storage.engine import Database, Step
from authgate.storage.models import CHANGE_LOG

logger = logging.getLogger(__name__)

#: The PostgreSQL notification channel of a deployment in the ``public`` schema.
CHANNEL = "authgate_changes"
DEFAULT_SCHEMA = "public"
#: Seconds between checks that the listening connection is alive.
HEALTH_INTERVAL = 10.0
#: Seconds a health check or a connection attempt may take.
CONNECT_TIMEOUT = 5.0
#: Longest wait between reconnection attempts, in seconds.
MAX_BACKOFF = 5.0
#: Seconds a change log row is kept (SQLite).
RETENTION = 3600.0
#: Rows read at most per poll; a longer backlog drops every cache instead.
BATCH = 500

#: What a feed calls with a notice's topics, or with None when notices may have been lost.
OnChange = Callable[[Sequence[str] | None], None]


def channel_for(schema: str | None) -> str:
    """The notification channel of a deployment whose tables are in ``schema``."""
    return CHANNEL if schema in (None, DEFAULT_SCHEMA) else f"{CHANNEL}:{schema}"


_log = CHANGE_LOG
#: The channel of the schema the connection works in (:func:`channel_for`, in SQL).
_CHANNEL_SQL = case(
    (func.current_schema() == DEFAULT_SCHEMA, literal(CHANNEL)),
    else_=func.concat(CHANNEL + ":", func.current_schema()),
)
NOTIFY = select(func.pg_notify(_CHANNEL_SQL, bindparam("payload")))
INSERT = insert(_log).values(topic=bindparam("topic"), at=bindparam("at"))
PRUNE = delete(_log).where(_log.c.at < bindparam("before"))
LATEST = select(func.coalesce(func.max(_log.c.seq), 0))
SINCE = (
    select(_log.c.seq, _log.c.topic)
    .where(_log.c.seq > bindparam("seq"))
    .order_by(_log.c.seq)
    .limit(bindparam("limit"))
)


def _topics(topics: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(t if len(t) <= MAX_TOPIC else CLIENTS for t in topics))


class ChangeFeed(Protocol):
    """Publishes this process's changes and hands other processes' changes to a callback."""

    async def publish(self, *topics: str) -> None:
        """Announce committed changes; never raises (the poll catches up a lost notice)."""
        ...

    async def start(self, on_change: OnChange) -> None:
        """Start listening; changes committed after this returns reach ``on_change``."""
        ...

    async def close(self) -> None: ...


class SqliteChangeFeed:
    """Change notices as ``change_log`` rows, polled (see the module docstring)."""

    def __init__(self, db: Database, *, poll_interval: float = 0.05) -> None:
        self._db = db
        self.poll_interval = poll_interval
        self._last = 0
        self._task: asyncio.Task[None] | None = None

    async def publish(self, *topics: str) -> None:
        if not topics:
            return
        now = time.time()
        rows = [{"topic": topic, "at": now} for topic in _topics(topics)]
        try:
            await self._db.transact([Step(PRUNE, {"before": now - RETENTION}), Step(INSERT, rows)])
        except Exception:
            logger.exception("announcing a change failed; other workers see it at their poll")

    async def start(self, on_change: OnChange) -> None:
        row = await self._db.fetch_one(LATEST, {})
        self._last = int(row[0]) if row is not None else 0  # type: ignore[index]
        self._task = asyncio.get_running_loop().create_task(self._poll(on_change))

    async def poll_once(self, on_change: OnChange) -> int:
        """Hand every row written since the last poll to ``on_change``; how many there were."""
        rows = await self._db.fetch_all(SINCE, {"seq": self._last, "limit": BATCH})
        if not rows:
            return 0
        self._last = int(rows[-1]["seq"])
        on_change(None if len(rows) >= BATCH else [str(r["topic"]) for r in rows])
        return len(rows)

    async def _poll(self, on_change: OnChange) -> None:
        polled = time.monotonic()
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                await self.poll_once(on_change)
            except Exception:
                logger.exception("reading the change log failed")
                continue
            now = time.monotonic()
            if now - polled > RETENTION / 2:  # this process stalled: rows may be gone
                on_change(None)
            polled = now

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class PostgresChangeFeed:
    """Change notices as PostgreSQL ``NOTIFY`` (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        dsn: str,
        *,
        health_interval: float = HEALTH_INTERVAL,
        connect: Callable[..., Any] = asyncpg.connect,
    ) -> None:
        self._db = db
        self._dsn = dsn
        self.health_interval = health_interval
        self._connect = connect
        self._con: Any = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        #: Set while the listening connection is up (tests, diagnostics).
        self.listening = asyncio.Event()
        #: Connections made so far, the first included.
        self.connections = 0

    async def publish(self, *topics: str) -> None:
        for topic in _topics(topics):
            try:
                await self._db.fetch_one(NOTIFY, {"payload": topic})
            except Exception:
                logger.exception("announcing a change failed; other instances see it at their poll")
                return

    async def start(self, on_change: OnChange) -> None:
        try:
            await self._listen(on_change)
        except Exception as exc:  # serve anyway: the poll applies changes, slower
            logger.warning("listening for changes failed (%s); retrying", type(exc).__name__)
            self._lost.set()
        self._task = asyncio.get_running_loop().create_task(self._watch(on_change))

    async def _listen(self, on_change: OnChange) -> None:
        con = await asyncio.wait_for(self._connect(self._dsn), CONNECT_TIMEOUT)
        lost = asyncio.Event()

        def notified(_con: Any, _pid: int, _channel: str, payload: str) -> None:
            on_change([payload])

        def terminated(_con: Any) -> None:
            lost.set()

        con.add_termination_listener(terminated)
        try:
            channel = channel_for(await con.fetchval("SELECT current_schema()"))
            await con.add_listener(channel, notified)
        except BaseException:
            con.terminate()
            raise
        self._con = con
        self._lost = lost
        self.connections += 1
        self.listening.set()

    async def _watch(self, on_change: OnChange) -> None:
        delay = 0.1
        while True:
            if self._lost.is_set():
                await self._drop()
                try:
                    await self._listen(on_change)
                except Exception as exc:
                    logger.warning(
                        "reconnecting the change listener failed (%s); next try in %.1f s",
                        type(exc).__name__,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF)
                    continue
                delay = 0.1
                logger.info("change listener reconnected")
                on_change(None)  # notices sent while it was down are lost
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.health_interval)
                continue
            try:
                await asyncio.wait_for(self._con.execute("SELECT 1"), CONNECT_TIMEOUT)
            except Exception as exc:
                logger.warning("the change listener's connection failed (%s)", type(exc).__name__)
                self._lost.set()

    async def _drop(self) -> None:
        self.listening.clear()
        con, self._con = self._con, None
        if con is not None:
            with contextlib.suppress(Exception):
                con.terminate()

    def server_pid(self) -> int | None:
        """The PostgreSQL backend process of the listening connection (tests, diagnostics)."""
        return None if self._con is None else int(self._con.get_server_pid())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._con is not None:
            try:
                await asyncio.wait_for(self._con.close(), CONNECT_TIMEOUT)
            except Exception:
                self._con.terminate()
            self._con = None
        self.listening.clear()


def change_feed(db: Database, url: str, *, poll_interval: float) -> ChangeFeed:
    """The feed for ``db`` (opened from ``url``): NOTIFY on PostgreSQL, the change log on
    SQLite, polled every ``poll_interval`` seconds."""
    if db.dialect_name == "postgresql":
        return PostgresChangeFeed(db, postgres_dsn(url))
    return SqliteChangeFeed(db, poll_interval=poll_interval)
