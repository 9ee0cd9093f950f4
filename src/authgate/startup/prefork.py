"""The supervisor of ``authgate serve --workers N`` (N > 1): workers forked from a started
server, so that extra workers cost little memory.

Before the first fork the serving process imports every module the workers run
(:func:`preload`) and moves the objects it holds so far into the collector's permanent
generation (:func:`gc.freeze`): the workers share that code and start-up state with it, copy
on write, instead of importing everything again as spawned processes would. A page is copied
only when a worker writes to it; freezing keeps the collector's own bookkeeping from writing
to every one of them at its first full collection.

Each worker then builds its own application, runtime and database connections (uvicorn's
lifespan, :func:`authgate.web.asgi.app_factory`): nothing the serving process opened before
the fork that holds a socket, a thread or an event loop is used in a worker, except the bound
listening socket, which all workers accept on, and the connection board through which they
share the connections out (:mod:`authgate.startup.balance`). The supervisor is single-threaded
and serves nothing itself. It

- forks the workers, and one process for the management listener when it is on
  (:mod:`authgate.management`), giving each worker a slot on the board while it lives;
- forks a replacement for a child that dies; a worker that fails before it starts serving
  stops the server instead, since its replacement would fail the same way;
- kills and replaces a worker whose event loop stopped turning: each worker writes a byte to
  a pipe of its own from its event loop every second (:func:`beat`), and one silent for
  ``worker_timeout`` seconds is sent SIGKILL (a hung worker would otherwise hold its share of
  the connections forever);
- on SIGTERM or SIGINT sends SIGTERM to every child, waits while the workers drain their
  requests in flight (uvicorn's graceful shutdown, up to ``--shutdown-timeout``; a child
  still running some seconds after that is killed) and exits with status 0;
- on SIGHUP replaces every worker by a fresh fork, starting each replacement before the
  worker it replaces stops.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from authgate.startup.balance import ConnectionBoard

logger = logging.getLogger("authgate.serve")

#: A worker's exit status when its server never started (uvicorn's ``STARTUP_FAILURE``).
STARTUP_FAILURE = 3
#: Seconds a child may outlive the shutdown timeout before it is killed.
KILL_MARGIN = 5.0
#: Seconds between the restarts of children that die as soon as they start.
RESTART_PAUSE = 1.0
#: The signals the supervisor waits for instead of handling them asynchronously.
WAITED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
#: Modules a worker imports as it starts, imported once in the supervisor instead.
PRELOADED = (
    "authgate.web.asgi",
    "authgate.web.app",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl",
)

#: Seconds between a worker's heartbeats (:func:`beat`).
BEAT_INTERVAL = 1.0
#: The write end of this worker's heartbeat pipe (in a worker process only).
_heartbeat: int | None = None

#: What a child process runs; its return value is the child's exit status.
Target = Callable[[], int]
#: A set of blocked signals (:func:`signal.pthread_sigmask`).
Mask = set[int | signal.Signals]


def preload(modules: Iterable[str] = PRELOADED) -> None:
    """Import ``modules`` (those present), then freeze everything collected so far so that
    the forked children share it."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional server implementation that is not installed
            continue
    gc.collect()
    gc.freeze()
    gc.enable()  # off while `authgate serve` started (authgate.startup.collector)


def beat() -> None:
    """Tell the supervisor this worker's event loop is turning (call it from the loop, about
    every :data:`BEAT_INTERVAL`); nothing outside a forked worker. Never blocks: a full pipe
    means the supervisor has not read for a while, and a missing byte changes nothing."""
    if _heartbeat is not None:
        with contextlib.suppress(OSError):
            os.write(_heartbeat, b".")


@dataclass
class Child:
    """One kind of child process: a worker, or the management listener."""

    role: str
    target: Target
    #: When this role's last process was started (for :data:`RESTART_PAUSE`).
    started: float = field(default=0.0)


class Supervisor:
    """Forks ``workers`` children running ``worker`` (and one running ``management`` when
    given) and keeps them running until it is told to stop.

    Args:
        worker: What each worker process runs (it must return, not call :func:`sys.exit`).
        workers: How many worker processes.
        management: What the management process runs, or None.
        shutdown_timeout: Seconds the workers have to drain after SIGTERM.
        listening: The listening sockets the children inherit: the supervisor closes its
            copies as it stops, so that once the workers have closed theirs new connections
            are refused rather than queued for no one.
        board: The workers' connection board (:mod:`authgate.startup.balance`): each worker
            gets a slot on it while it lives.
    """

    def __init__(
        self,
        worker: Target,
        workers: int,
        *,
        management: Target | None = None,
        shutdown_timeout: float = 10.0,
        worker_timeout: float = 0.0,
        listening: tuple[socket.socket, ...] = (),
        board: ConnectionBoard | None = None,
    ) -> None:
        self.kinds = [Child("worker", worker) for _ in range(workers)]
        if management is not None:
            self.kinds.append(Child("management", management))
        self.shutdown_timeout = shutdown_timeout
        self.worker_timeout = worker_timeout
        self.listening = listening
        self.board = board
        #: Each worker's slot on the board.
        self.slots: dict[int, int] = {}
        #: Each worker's heartbeat pipe (read end) and when it last spoke.
        self.beats: dict[int, tuple[int, float]] = {}
        self.children: dict[int, Child] = {}
        #: Workers replaced after SIGHUP that may still be draining.
        self.retired: set[int] = set()
        self.failed = False

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; the exit status (0, or 1 when a worker could not
        start)."""
        if threading.active_count() > 1:  # a thread's locks would be copied mid-use
            names = ", ".join(t.name for t in threading.enumerate())
            logger.warning("forking workers from a process with threads: %s", names)
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, WAITED)
        try:
            for kind in self.kinds:
                self._start(kind, previous)
            logger.info("supervisor [%d] started %d workers", os.getpid(), self._count("worker"))
            self._watch(previous)
            self._stop()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return 1 if self.failed else 0

    def _count(self, role: str) -> int:
        return sum(1 for child in self.children.values() if child.role == role)

    def _watch(self, mask: Mask) -> None:
        while True:
            info = signal.sigtimedwait(WAITED, 1.0)
            if info is not None and info.si_signo in (signal.SIGTERM, signal.SIGINT):
                logger.info("received %s, stopping the workers", signal.Signals(info.si_signo).name)
                return
            if info is not None and info.si_signo == signal.SIGHUP:
                self._replace_workers(mask)
            if not self._reap(mask):
                return
            self._check_beats()

    def _reap(self, mask: Mask) -> bool:
        """Collect the children that ended and start their replacements; False when the
        server must stop (a worker failed to start)."""
        for pid, status in _ended():
            self._free_slot(pid)
            kind = self.children.pop(pid, None)
            if kind is None:  # a retired worker, replaced already
                self.retired.discard(pid)
                continue
            self._forget_beat(pid)
            code = os.waitstatus_to_exitcode(status)
            if kind.role == "worker" and code == STARTUP_FAILURE:
                logger.error("worker [%d] failed to start; stopping the server", pid)
                self.failed = True
                return False
            logger.warning(
                "%s process [%d] ended (status %d); starting another", kind.role, pid, code
            )
            pause = kind.started + RESTART_PAUSE - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self._start(kind, mask)
        return True

    def _replace_workers(self, mask: Mask) -> None:
        logger.info("received SIGHUP, replacing the workers")
        old = [pid for pid, kind in self.children.items() if kind.role == "worker"]
        for pid in old:
            kind = self.children.pop(pid)
            self._forget_beat(pid)  # a draining worker is not expected to beat
            self._start(kind, mask)
            _signal(pid, signal.SIGTERM)
            self.retired.add(pid)

    def _start(self, kind: Child, mask: Mask) -> None:
        kind.started = time.monotonic()
        slot = None
        if kind.role == "worker" and self.board is not None:
            slot = self.board.assign()
        setup = None if slot is None or self.board is None else _adopting(self.board, slot)
        if kind.role == "worker" and self.worker_timeout > 0:
            read, write = os.pipe()
            os.set_blocking(read, False)
            inherited = [fd for fd, _ in self.beats.values()] + [read]
            pid = fork(kind.target, mask, heartbeat=write, close=inherited, setup=setup)
            os.close(write)
            self.beats[pid] = (read, kind.started)
        else:
            pid = fork(kind.target, mask, setup=setup)
        self.children[pid] = kind
        if slot is not None:
            self.slots[pid] = slot
        logger.info("started %s process [%d]", kind.role, pid)

    def _free_slot(self, pid: int) -> None:
        slot = self.slots.pop(pid, None)
        if slot is not None and self.board is not None:
            self.board.free(slot)

    def _check_beats(self) -> None:
        """Read the workers' heartbeats; SIGKILL a worker silent for ``worker_timeout``
        seconds (:meth:`_reap` replaces it once it has ended)."""
        now = time.monotonic()
        for pid, (fd, last) in list(self.beats.items()):
            heard = False
            with contextlib.suppress(BlockingIOError, OSError):
                while os.read(fd, 512):
                    heard = True
            if heard:
                self.beats[pid] = (fd, now)
            elif now - last > self.worker_timeout and pid in self.children:
                logger.error(
                    "worker [%d] has not turned its event loop for %.0f s; killing it",
                    pid,
                    now - last,
                )
                _signal(pid, signal.SIGKILL)
                self.beats[pid] = (fd, float("inf"))  # killed once; _reap replaces it

    def _forget_beat(self, pid: int) -> None:
        beat_ = self.beats.pop(pid, None)
        if beat_ is not None:
            os.close(beat_[0])

    def _stop(self) -> None:
        for sock in self.listening:
            sock.close()
        waiting = set(self.children) | self.retired
        for pid in waiting:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.shutdown_timeout + KILL_MARGIN
        while waiting:
            for pid, status in _ended():
                self._free_slot(pid)
                waiting.discard(pid)
                code = os.waitstatus_to_exitcode(status)
                if code != 0:
                    logger.warning("process [%d] stopped with status %d", pid, code)
            if not waiting:
                break
            if time.monotonic() > deadline:
                for pid in waiting:
                    logger.error("process [%d] did not stop in time; killing it", pid)
                    _signal(pid, signal.SIGKILL)
                deadline = float("inf")
            signal.sigtimedwait(WAITED, 0.2)  # a child's end (SIGCHLD) or 0.2 s
        self.children.clear()
        for pid in list(self.beats):
            self._forget_beat(pid)
        logger.info("supervisor [%d] stopped", os.getpid())


def _ended() -> list[tuple[int, int]]:
    """The children that ended since the last call: (pid, wait status)."""
    ended = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        ended.append((pid, status))
    return ended


def _adopting(board: ConnectionBoard, slot: int) -> Callable[[], None]:
    """What a worker forked with ``slot`` runs first: it takes that slot on ``board``."""
    return lambda: board.adopt(slot)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _exit_cleanly(signum: int, frame: object) -> None:
    """SIGTERM or SIGINT raised again by uvicorn after its graceful shutdown: exit 0."""
    raise SystemExit(0)


def fork(
    target: Target,
    mask: Mask,
    *,
    heartbeat: int | None = None,
    close: Iterable[int] = (),
    setup: Callable[[], None] | None = None,
) -> int:
    """Start a child process running ``target`` with the signal ``mask`` the supervisor had
    before it blocked the signals it waits for; the child's pid. The child never returns
    into the caller's stack: it ends with :func:`os._exit` (so the supervisor's clean-up, such
    as removing the metrics directory, runs in the supervisor only). ``heartbeat``: the write
    end of the worker's heartbeat pipe (:func:`beat`); ``close``: the supervisor's descriptors
    the child has no use for; ``setup``: what the child runs before ``target``."""
    global _heartbeat
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        for fd in close:
            with contextlib.suppress(OSError):
                os.close(fd)
        if heartbeat is not None:
            os.set_blocking(heartbeat, False)
            _heartbeat = heartbeat
        if setup is not None:
            setup()
        signal.signal(signal.SIGTERM, _exit_cleanly)
        signal.signal(signal.SIGINT, _exit_cleanly)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        status = target()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        logger.exception("process [%d] failed", os.getpid())
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
        os._exit(status)
