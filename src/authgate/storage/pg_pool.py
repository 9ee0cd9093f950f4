"""The PostgreSQL connections of one process (:class:`ConnectionPool`).

asyncpg's own pool costs about 30 microseconds of CPU per acquire and release (its holders,
proxies, cancellation and reset checks): measured against a plain list of connections, a
one-row read through it took 63-77 µs against 43 µs. A flow makes a read and a share of a
batch on a pooled connection each time, so :class:`~authgate.storage.postgres.PostgresDatabase`
keeps its connections here instead: idle ones on a stack (the most recently used first, its
statement cache warm), a queue of waiters when all ``max_size`` are busy, and nothing else.

The caller gives a connection back with :meth:`ConnectionPool.release` when its work ended
normally, and with :meth:`ConnectionPool.discard` when it raised: a query interrupted by
an error or a cancellation may leave the connection mid-protocol, and a fresh connection is
cheaper than finding out. A connection that was closed under it (the server restarted, a
network cut) or was left inside a transaction is discarded on release, and one idle for
longer than ``idle_lifetime`` is closed rather than handed out, so that connections cut
silently by a firewall or a proxy do not linger.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable

import asyncpg  # type: ignore[import-untyped]

#: Seconds an idle connection is kept before it is closed and replaced when next needed
#: (asyncpg's pool uses the same default).
IDLE_LIFETIME = 300.0


class ConnectionPool:
    """At most ``max_size`` asyncpg connections to ``dsn``, ``min_size`` of them opened by
    :meth:`open`; ``init`` runs on every new connection."""

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        idle_lifetime: float = IDLE_LIFETIME,
        init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
    ) -> None:
        if not 0 <= min_size <= max_size or max_size < 1:
            raise ValueError("need 0 <= min_size <= max_size and max_size >= 1")
        self.dsn = dsn
        self.min_size = min_size
        self.max_size = max_size
        self.idle_lifetime = idle_lifetime
        self._init = init
        #: idle connections with the monotonic time each was given back; the last is the
        #: most recently used
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        #: connections open or being opened, idle or in use
        self._size = 0
        #: callers waiting for a connection: each gets one, or ``None`` (a slot to open one)
        self._waiters: collections.deque[asyncio.Future[asyncpg.Connection | None]] = (
            collections.deque()
        )
        self._closed = False

    async def open(self) -> ConnectionPool:
        """Open ``min_size`` connections, so that an unreachable server is noticed now."""
        opened: list[asyncpg.Connection] = []
        try:
            for _ in range(self.min_size):
                opened.append(await self._new())
        except BaseException:
            for con in opened:  # none of them is handed out: close what was opened
                self._drop(con)
            raise
        now = time.monotonic()
        self._idle.extend((con, now) for con in opened)
        return self

    @property
    def size(self) -> int:
        """Connections open or being opened."""
        return self._size

    @property
    def idle(self) -> int:
        """Connections open and not in use."""
        return len(self._idle)

    async def acquire(self) -> asyncpg.Connection:
        """A connection for the caller alone until it gives it back."""
        if self._closed:
            raise asyncpg.InterfaceError("the connection pool is closed")
        idle = self._idle
        if idle:
            now = time.monotonic()
            while idle:
                con, since = idle.pop()
                if con.is_closed() or now - since > self.idle_lifetime:
                    self._drop(con)
                    continue
                return con
        if self._size < self.max_size:
            return await self._new()
        waiter: asyncio.Future[asyncpg.Connection | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            con = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as it was cancelled
                handed = waiter.result()
                if handed is None:
                    self._hand_slot()
                else:
                    self.release(handed)
            raise
        return await self._new() if con is None else con

    def release(self, con: asyncpg.Connection) -> None:
        """Take back a connection whose work ended normally."""
        if self._closed or con.is_closed() or con.is_in_transaction():
            self._drop(con)
        elif not self._serve_waiter(con):
            self._idle.append((con, time.monotonic()))

    def connection(self) -> Lease:
        """``async with pool.connection() as con``: the connection goes back with
        :meth:`release` when the block ends normally, with :meth:`discard` when it raises."""
        return Lease(self)

    def discard(self, con: asyncpg.Connection) -> None:
        """Take back a connection whose work raised: it is closed, not reused."""
        self._drop(con)

    async def close(self) -> None:
        """Close the idle connections; those in use are closed when they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for con, _since in idle:
            self._size -= 1
            try:
                await con.close(timeout=5)
            except Exception:
                con.terminate()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(asyncpg.InterfaceError("the connection pool is closed"))

    # --- internals ---------------------------------------------------------------------------

    async def _new(self) -> asyncpg.Connection:
        self._size += 1
        try:
            con = await asyncpg.connect(self.dsn)
        except BaseException:
            self._size -= 1
            self._hand_slot()
            raise
        if self._init is not None:
            try:
                await self._init(con)
            except BaseException:
                self._drop(con)
                raise
        return con

    def _drop(self, con: asyncpg.Connection) -> None:
        self._size -= 1
        if not con.is_closed():
            con.terminate()
        self._hand_slot()

    def _hand_slot(self) -> None:
        """Let the first waiter open a connection in a slot that has just become free."""
        if not self._closed:
            self._serve_waiter(None)

    def _serve_waiter(self, con: asyncpg.Connection | None) -> bool:
        """Give ``con`` (or a free slot: ``None``) to the first waiter still waiting."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(con)
                return True
        return False


class Lease:
    """One connection of a :class:`ConnectionPool` for the length of an ``async with`` block
    (a class rather than a generator-based context manager: it is on every read)."""

    __slots__ = ("_con", "_pool")

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._con: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        self._con = await self._pool.acquire()
        return self._con

    async def __aexit__(self, exc_type: type[BaseException] | None, *_rest: object) -> None:
        con, self._con = self._con, None
        if con is None:
            return
        if exc_type is None:
            self._pool.release(con)
        else:
            self._pool.discard(con)
