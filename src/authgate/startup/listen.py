"""Where ``authgate serve`` listens: the issuer it can derive, and the socket, bound before
anything says "listening" so that a taken port is one clear line."""

from __future__ import annotations

import errno
import socket
from typing import Any

from authgate.issuer import is_loopback, is_unspecified
from authgate.settings import Settings
from authgate.startup.errors import StartupError
from authgate.startup.options import setting_label


def check_issuer_source(settings: Settings) -> None:
    """Without an explicit issuer, the host must be one the issuer can be derived from.

    Raises:
        StartupError: the host is every interface (``0.0.0.0``, ``::``), or not loopback
            (the derived issuer would be plain http on a public address).
    """
    if settings.issuer_url is not None:
        return
    host_label = setting_label("host")
    if is_unspecified(settings.host):
        raise StartupError(
            f"{host_label} {settings.host} listens on every interface, so authgate cannot "
            "tell which URL clients use to reach it",
            "Set the issuer, the public URL clients use: --issuer https://login.example.com "
            "(or AUTHGATE_ISSUER).",
            exit_code=2,
        )
    if not is_loopback(settings.host):
        raise StartupError(
            f"{host_label} {settings.host} is not loopback, and the issuer would be "
            f"{settings.issuer}: plain http is allowed on loopback addresses only",
            "Set the issuer to the https URL clients use: --issuer https://... "
            "(or AUTHGATE_ISSUER).",
            exit_code=2,
        )


def bind(settings: Settings) -> socket.socket:
    """A TCP socket bound to the settings' host and port (listening starts in the server).

    Raises:
        StartupError: the port is taken or privileged, or the host is not this machine's.
    """
    host, port = settings.host, settings.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise _bind_error(settings, exc) from None
    sock.set_inheritable(True)
    return sock


def _bind_error(settings: Settings, exc: OSError) -> StartupError:
    host, port = settings.host, settings.port
    port_label, host_label = setting_label("port"), setting_label("host")
    if exc.errno == errno.EADDRINUSE:
        return StartupError(
            f"port {port} on {host} is already in use ({port_label})",
            f"Stop the program listening there, or choose another port with {port_label}.",
        )
    if exc.errno == errno.EACCES:
        return StartupError(
            f"not allowed to listen on port {port} ({port_label}): ports below 1024 need "
            "privileges",
            f"Choose a port from 1024 up with {port_label}, behind a reverse proxy.",
        )
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return StartupError(
            f"cannot listen on {host} ({host_label}): not an address of this machine",
            f"Use 127.0.0.1, one of this machine's addresses, or 0.0.0.0 with {host_label}.",
        )
    return StartupError(
        f"cannot listen on {host}:{port} ({host_label}, {port_label}): {exc.strerror or exc}"
    )


def run_server(sock: socket.socket, app: str, **options: Any) -> None:
    """Serve ``app`` (an import string) with uvicorn on the bound ``sock`` in this process
    (``--workers 1``). ``options`` are :class:`uvicorn.Config`'s."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, **options))
    server.run(sockets=[sock])
    if not server.started:
        raise StartupError("the server did not start", "See the log lines above.")


#: Seconds a stopping worker waits, once it no longer accepts, for the first request of a
#: connection it accepted just before.
FIRST_REQUEST_GRACE = 0.1


def beating_server() -> type:
    """uvicorn's server, with a heartbeat to the supervisor from its main loop, which wakes
    every 0.1 s (``on_tick``): a worker whose event loop hangs falls silent. It accepts
    through the workers' connection board (:mod:`authgate.startup.balance`). When it stops,
    it waits :data:`FIRST_REQUEST_GRACE` between the end of accepting and the closing of idle
    connections."""
    import asyncio

    import uvicorn

    from authgate.startup import balance
    from authgate.startup.prefork import BEAT_INTERVAL, beat

    ticks = max(1, round(BEAT_INTERVAL / 0.1))

    class BeatingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            """uvicorn's start-up, with this worker accepting through the connection board
            (:mod:`authgate.startup.balance`) when it has a slot on one."""
            board = balance.BOARD
            if sockets is None or board is None or board.mine is None:
                await super().startup(sockets)
                return
            await super().startup([])  # the lifespan, and no server of uvicorn's own
            if not self.started:
                return
            config, state = self.config, self.server_state

            def protocol() -> asyncio.Protocol:  # as uvicorn's server builds it
                return config.http_protocol_class(  # type: ignore[call-arg]
                    config=config, server_state=state, app_state=self.lifespan.state
                )

            for sock in sockets:
                listener = balance.BalancedListener(
                    sock, protocol, state.connections, board, config.backlog
                )
                self.servers.append(listener)  # type: ignore[arg-type]

        async def on_tick(self, counter: int) -> bool:
            if counter % ticks == 0:
                beat()
            for server in self.servers:  # connections closed since the last accept
                if isinstance(server, balance.BalancedListener):
                    server.publish()
            return await super().on_tick(counter)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            """uvicorn's graceful shutdown, with a pause between the end of accepting and
            the closing of idle connections: a connection accepted a moment before is idle
            until its first request arrives, and closing it then would drop that request
            (seen when SIGHUP replaced the workers under load)."""
            for server in self.servers:
                server.close()
            await asyncio.sleep(FIRST_REQUEST_GRACE)
            await super().shutdown(sockets)

    return BeatingServer


def run_workers(settings: Settings, sock: socket.socket, app: str, **options: Any) -> int:
    """Serve ``app`` with ``settings.workers`` uvicorn workers forked from this process, all
    accepting on ``sock``, and the management listener in a process of its own
    (:mod:`authgate.startup.prefork`); the exit status. ``options`` are
    :class:`uvicorn.Config`'s."""
    import uvicorn

    from authgate.management import open_listener, serve_management
    from authgate.metrics.multiprocess import metrics_directory, record_into_directory
    from authgate.startup import balance
    from authgate.startup.prefork import STARTUP_FAILURE, Supervisor, preload

    config = uvicorn.Config(app, workers=settings.workers, **options)
    BeatingServer = beating_server()
    with metrics_directory() as directory:
        record_into_directory()
        listener = open_listener(settings)

        def worker() -> int:
            if listener is not None:
                listener.close()
            server = BeatingServer(config)
            server.run(sockets=[sock])
            return 0 if server.started else STARTUP_FAILURE

        def management() -> int:
            assert listener is not None
            sock.close()
            return serve_management(settings, listener, directory)

        preload()
        # room for each worker and, while SIGHUP replaces them, its replacement
        balance.BOARD = balance.ConnectionBoard(2 * settings.workers + 1)
        supervisor = Supervisor(
            worker,
            settings.workers,
            management=None if listener is None else management,
            shutdown_timeout=settings.shutdown_timeout,
            worker_timeout=settings.worker_timeout,
            listening=(sock,) if listener is None else (sock, listener),
            board=balance.BOARD,
        )
        return supervisor.run()
