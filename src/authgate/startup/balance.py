"""Connections spread over the workers of ``authgate serve --workers N``.

The workers all accept on one listening socket. Left to the kernel and the event loop, the
worker that wakes first takes every connection waiting, so a burst of keep-alive connections
(a load balancer's pool, a benchmark's users) lands unevenly: on two workers, all 8 of 8
connections on one worker about half the time, 22 and 10 of 32 often. Connections stay where
they landed, so one worker queues requests while the other has CPU to spare.

So each worker accepts by itself, in :class:`BalancedListener`, instead of uvicorn's server,
and publishes how many connections it holds on a :class:`ConnectionBoard`, memory shared by
every worker that the supervisor maps before it forks them. A worker that holds more
connections than another accepting worker leaves a waiting connection for :data:`DEFER`
seconds, time for the other to take it. If no worker took any connection meanwhile, the one
with fewer is busy or stopped, and this worker takes it: such a worker delays a new connection
by that much, no more. The accepted socket goes to uvicorn's protocol, as uvicorn's server
would hand it over. A count is at most one tick of uvicorn's main loop (0.1 s) old when a
connection ends without a new one arriving.

A single worker (``--workers 1``) serves with uvicorn's own server; nothing here runs.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import mmap
import socket
import struct
from collections.abc import Callable, Sized

logger = logging.getLogger("authgate.serve")

#: Seconds a worker holding more connections than another leaves a new one waiting.
DEFER = 0.001
#: Seconds a worker stops accepting after the system refused it a descriptor (EMFILE...).
RESOURCE_PAUSE = 0.5
#: accept() errors that mean the machine is out of a resource, not that one connection failed.
RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

_SLOT = struct.Struct("=qq")  # accepting (0 or 1), open connections
_COUNT = struct.Struct("=q")


class ConnectionBoard:
    """How many connections each worker holds, in memory shared across ``fork``.

    The supervisor assigns a slot to each worker it starts (:meth:`assign`) and frees it when
    the worker has ended (:meth:`free`); the worker adopts its slot (:meth:`adopt`), publishes
    its count (:meth:`publish`) and leaves when it stops accepting (:meth:`leave`). Each field
    has one writer; a reader sees a count at most one heartbeat tick old.
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._memory = mmap.mmap(-1, slots * _SLOT.size)  # anonymous: shared with children
        self._assigned: set[int] = set()  # in the supervisor
        #: This worker's slot (in a worker process), None elsewhere.
        self.mine: int | None = None

    def assign(self) -> int | None:
        """A free slot, not accepting yet; None when all are taken (the worker then accepts
        without balancing)."""
        for slot in range(self.slots):
            if slot not in self._assigned:
                self._assigned.add(slot)
                _SLOT.pack_into(self._memory, slot * _SLOT.size, 0, 0)
                return slot
        return None

    def free(self, slot: int) -> None:
        self._assigned.discard(slot)
        _SLOT.pack_into(self._memory, slot * _SLOT.size, 0, 0)

    def adopt(self, slot: int | None) -> None:
        self.mine = slot

    def join(self, count: int) -> None:
        """This worker accepts now, holding ``count`` connections."""
        if self.mine is not None:
            _SLOT.pack_into(self._memory, self.mine * _SLOT.size, 1, count)

    def publish(self, count: int) -> None:
        if self.mine is not None:
            _COUNT.pack_into(self._memory, self.mine * _SLOT.size + 8, count)

    def leave(self) -> None:
        """This worker no longer accepts: the others stop leaving connections to it."""
        if self.mine is not None:
            _SLOT.pack_into(self._memory, self.mine * _SLOT.size, 0, 0)

    def snapshot(self) -> bytes:
        """Every slot as it stands: unchanged over a pause, no other worker accepted."""
        return bytes(self._memory)

    def fewer_elsewhere(self, count: int) -> bool:
        """Whether another accepting worker holds fewer than ``count`` connections."""
        if self.mine is None:
            return False
        for slot in range(self.slots):
            if slot != self.mine:
                accepting, held = _SLOT.unpack_from(self._memory, slot * _SLOT.size)
                if accepting and held < count:
                    return True
        return False


#: The board of this server's workers (set in the supervisor before the first fork).
BOARD: ConnectionBoard | None = None


class BalancedListener:
    """One worker's accepting on the shared listening socket ``sock``, through the board.

    It stands in for the :class:`asyncio.Server` uvicorn keeps in ``Server.servers``: uvicorn
    calls :meth:`close` to stop accepting and awaits :meth:`wait_closed`.
    """

    def __init__(
        self,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.Protocol],
        connections: Sized,
        board: ConnectionBoard,
        backlog: int,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sock = sock
        self._factory = protocol_factory
        self._connections = connections
        self._board = board
        self._tasks: set[asyncio.Task[None]] = set()
        #: Connections accepted whose protocol uvicorn has not made yet.
        self._handing = 0
        self._paused: asyncio.TimerHandle | None = None
        #: The board when this worker last left a connection to another (None: it did not).
        self._left_at: bytes | None = None
        self._closed = False
        sock.listen(backlog)
        sock.setblocking(False)
        self._fd = sock.fileno()
        board.join(self._held())
        self._loop.add_reader(self._fd, self._readable)

    def _held(self) -> int:
        """Connections this worker holds, counting those still being handed to uvicorn."""
        return len(self._connections) + self._handing

    def _readable(self) -> None:
        held = self._held()
        self._board.publish(held)
        if self._board.fewer_elsewhere(held):
            board = self._board.snapshot()
            if board != self._left_at:  # the first time, or the others took some meanwhile
                self._left_at = board
                self._pause(DEFER)
                return
            # nobody took one for DEFER seconds: the worker with fewer is busy or stopped
        self._left_at = None
        self._accept(held)

    def publish(self) -> None:
        """Put this worker's count on the board (connections end without a word to it)."""
        self._board.publish(self._held())

    def _accept(self, held: int) -> None:
        try:
            conn, _ = self._sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # another worker took it, or the client gave up
        except OSError as exc:
            if exc.errno in RESOURCE_ERRORS:
                logger.error("cannot accept a connection: %s; pausing accepting", exc.strerror)
                self._pause(RESOURCE_PAUSE)
            return
        self._handing += 1
        self._board.publish(held + 1)
        conn.setblocking(False)
        task = self._loop.create_task(self._serve(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, conn: socket.socket) -> None:
        made = False

        def protocol() -> asyncio.Protocol:
            # from here on the connection is in uvicorn's set (connection_made follows at once)
            nonlocal made
            made = True
            self._handing -= 1
            return self._factory()

        try:
            await self._loop.connect_accepted_socket(protocol, conn)
        except OSError:  # the client closed it already
            conn.close()
        finally:
            if not made:
                self._handing -= 1

    def _pause(self, seconds: float) -> None:
        self._loop.remove_reader(self._fd)
        self._paused = self._loop.call_later(seconds, self._resume)

    def _resume(self) -> None:
        self._paused = None
        if not self._closed:
            self._loop.add_reader(self._fd, self._readable)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._board.leave()
        if self._paused is not None:
            self._paused.cancel()
        self._loop.remove_reader(self._fd)

    async def wait_closed(self) -> None:
        """Once the connections being handed to the protocol are."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
