"""The management listener of ``authgate serve``: metrics and probes on an address of their
own (``AUTHGATE_MANAGEMENT_ADDRESS``, default ``127.0.0.1:9000``), never the public port.

With ``--workers 1`` it runs in the serving process, in a thread with its own event loop
(:func:`management`). With ``--workers N`` it runs in a process of its own that the
supervisor forks next to the workers (:func:`serve_management`,
:mod:`authgate.startup.prefork`); the workers record their metrics into a private
multiprocess directory that the serving process creates before they start and removes after
they stop (:mod:`authgate.metrics.multiprocess`). An address that cannot be bound is logged
as an error and the server runs without the listener (the probes still answer on the main
port).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from authgate.metrics.exposition import Exposition
from authgate.settings import Settings
from authgate.web.management import create_management_app

logger = logging.getLogger(__name__)
#: Seconds the listener has to finish when the server stops.
STOP_TIMEOUT = 5.0


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``.

    Raises:
        OSError: the address is taken or not this machine's.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class ManagementServer:
    """The management application served on ``sock`` from a thread of its own."""

    def __init__(self, settings: Settings, sock: socket.socket, directory: Path | None) -> None:
        self.sock = sock
        app = create_management_app(settings, Exposition(directory))
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level=None,
            access_log=False,
            lifespan="on",
            server_header=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [sock]},
            name="authgate-management",
            daemon=True,
        )

    @property
    def address(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(STOP_TIMEOUT)
        self.sock.close()


def open_listener(settings: Settings) -> socket.socket | None:
    """The management listener's socket, or None when it is off or cannot listen (logged)."""
    address = settings.management
    if address is None:
        return None
    try:
        return listen(*address)
    except OSError as exc:
        logger.error(
            "management listener not started: cannot listen on %s (%s); metrics are off, "
            "the probes answer on the main port only",
            settings.management_address,
            exc.strerror or exc,
        )
        return None


@contextlib.contextmanager
def management(settings: Settings) -> Iterator[ManagementServer | None]:
    """Run the management listener of one server process in a thread, for the duration of
    the block; the block runs the server."""
    sock = open_listener(settings)
    if sock is None:
        yield None
        return
    server = ManagementServer(settings, sock, None)
    server.start()
    logger.info("management listener (metrics, probes) on http://%s", server.address)
    try:
        yield server
    finally:
        server.stop()


def serve_management(settings: Settings, sock: socket.socket, directory: Path) -> int:
    """Serve the management listener of several workers on ``sock``, in this process's main
    thread, until SIGTERM (a child of :mod:`authgate.startup.prefork`); the exit status."""
    server = ManagementServer(settings, sock, directory)
    logger.info("management listener (metrics, probes) on http://%s", server.address)
    server.server.run(sockets=[sock])
    return 0
