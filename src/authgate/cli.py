"""The ``authgate`` command: serve, migrate, pkce, plus the administration commands (config,
clients, users, keys: :mod:`authgate.admin.commands`; tui: :mod:`authgate.tui.command`;
backup: :mod:`authgate.backup_command`).
The command-line modules are the only code that reads the environment (through
:class:`Settings` and click's ``envvar``) and configures logging."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import sys
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import click

from authgate import logs
from authgate.admin.cli_support import provide_local_backend
from authgate.admin.commands import COMMANDS as ADMIN_COMMANDS
from authgate.backup_command import backup_command
from authgate.core.authorize.pkce import s256
from authgate.crypto.handles import new_handle
from authgate.issuer import url_host
from authgate.logs import LogFormat
from authgate.settings import Settings
from authgate.startup import collector
from authgate.startup.options import load_settings
from authgate.startup.reporting import DEBUG_KEY, ReportingGroup
from authgate.tui.command import tui_command

if TYPE_CHECKING:
    from authgate.admin.backends import AdminBackend

#: The application every worker serves (it reads its settings from ``AUTHGATE_*``).
APP = "authgate.web.asgi:app_factory"


class WorkerCount(click.ParamType[int | str, Any]):
    """``--workers``: a whole number, or ``auto`` (one per core, :mod:`authgate.settings`)."""

    name = "integer|auto"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | str:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return text
        try:
            return int(text)
        except ValueError:
            self.fail(f"{value!r} is not a whole number or 'auto'", param, ctx)


def _settings(**overrides: Any) -> Settings:
    return load_settings(overrides)


def _configure_logging(level: str, log_format: LogFormat = "text") -> dict[str, Any]:
    """Configure this process's logging (:mod:`authgate.logs`); the returned configuration
    is handed to uvicorn, which applies it in every worker process too."""
    return logs.configure(log_format, level)


database_option = click.option(
    "--database-url",
    envvar="AUTHGATE_DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (default: SQLite in the data directory).",
)
data_dir_option = click.option(
    "--data-dir", envvar="AUTHGATE_DATA_DIR", default=None, help="Directory for the SQLite file."
)


@click.group(cls=ReportingGroup)
@click.version_option(package_name="authgate")
@click.option("--debug", is_flag=True, help="Show the traceback when a command fails.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """authgate: OpenID Connect Provider / OAuth 2.1 authorization server."""
    ctx.meta[DEBUG_KEY] = debug
    provide_local_backend(ctx, _open_local_backend)
    if ctx.invoked_subcommand != "serve":  # serve's start-up ends when it is ready to serve
        collector.started()


def _open_local_backend(settings: Settings) -> AbstractAsyncContextManager[AdminBackend]:
    """The admin commands' local mode (:mod:`authgate.cli_backends`), imported only by a
    command that uses it: a runtime's imports take about a second, which `authgate --help`,
    `authgate pkce` or a command with `--url` need not wait for."""
    with collector.paused():
        from authgate.cli_backends import open_local_backend

    return open_local_backend(settings)


def _announce_first_start(first: Any) -> None:
    """Print the generated first-user password, once, to stderr."""
    if first.admin_password:
        click.echo(
            f"\nFirst start: created user '{first.admin_username}' with password "
            f"'{first.admin_password}'\n(shown once; change it with "
            f"`authgate users set-password {first.admin_username}`)\n",
            err=True,
        )
    if first.admin_client_id:
        secret = (
            f"secret '{first.admin_client_secret}'\n(shown once; "
            if first.admin_client_secret
            else "the secret from AUTHGATE_ADMIN_CLIENT_SECRET\n("
        )
        click.echo(
            f"First start: created Config API admin client '{first.admin_client_id}' with "
            f"{secret}use them with `authgate tui` and `authgate config --url`)\n",
            err=True,
        )


def _stopped(signum: int, frame: Any) -> None:
    """SIGTERM after uvicorn's graceful shutdown: a requested stop, so exit status 0."""
    raise SystemExit(0)


async def _bootstrap(settings: Settings) -> None:
    from authgate.runtime import Runtime
    from authgate.startup.sealing import sealing_key_problem

    runtime = await Runtime.start(settings, migrate=True, poll=False)
    try:
        federation = runtime.services.federation
        problem = await sealing_key_problem(settings, federation.store) if federation else None
    finally:
        await runtime.stop()
    _announce_first_start(runtime.first_start)
    if problem is not None:
        logging.getLogger("authgate.startup").warning("%s", problem)


@main.command()
@click.option("--host", envvar="AUTHGATE_HOST", default=None, help="Interface (default 127.0.0.1).")
@click.option("--port", envvar="AUTHGATE_PORT", type=int, default=None, help="Port (default 8080).")
@click.option("--issuer", envvar="AUTHGATE_ISSUER", default=None, help="Public issuer URL.")
@click.option(
    "--workers",
    envvar="AUTHGATE_WORKERS",
    type=WorkerCount(),
    default=None,
    help="Worker processes, or auto: one per core, within a container's CPU limit (the "
    "default, at most 8).",
)
@click.option(
    "--admin-password",
    envvar="AUTHGATE_ADMIN_PASSWORD",
    default=None,
    help="Password of the first user on a fresh database.",
)
@click.option(
    "--management-address",
    envvar="AUTHGATE_MANAGEMENT_ADDRESS",
    default=None,
    help="host:port for /metrics and the probes (default 127.0.0.1:9000; off: none).",
)
@click.option(
    "--log-format",
    envvar="AUTHGATE_LOG_FORMAT",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Log lines as text (default) or JSON.",
)
@click.option(
    "--access-log/--no-access-log",
    envvar="AUTHGATE_ACCESS_LOG",
    default=None,
    help="One log line per request (default off).",
)
@click.option(
    "--shutdown-timeout",
    envvar="AUTHGATE_SHUTDOWN_TIMEOUT",
    type=int,
    default=None,
    help="Seconds requests in flight may take to finish after SIGTERM (default 10).",
)
@click.option(
    "--max-connections",
    envvar="AUTHGATE_MAX_CONNECTIONS",
    type=int,
    default=None,
    help="Open connections per process (default 4096, kept under the file limit).",
)
@click.option(
    "--first-byte-timeout",
    envvar="AUTHGATE_FIRST_BYTE_TIMEOUT",
    type=float,
    default=None,
    help="Seconds a new connection may stay silent (default 10).",
)
@click.option(
    "--header-timeout",
    envvar="AUTHGATE_HEADER_TIMEOUT",
    type=float,
    default=None,
    help="Seconds to finish a request's headers once started (default 10).",
)
@click.option(
    "--body-timeout",
    envvar="AUTHGATE_BODY_TIMEOUT",
    type=float,
    default=None,
    help="Seconds to finish a request's body after its headers (default 20).",
)
@click.option(
    "--keep-alive-timeout",
    envvar="AUTHGATE_KEEP_ALIVE_TIMEOUT",
    type=int,
    default=None,
    help="Seconds an idle keep-alive connection stays open (default 5).",
)
@database_option
@data_dir_option
def serve(
    host: str | None,
    port: int | None,
    issuer: str | None,
    workers: int | str | None,
    admin_password: str | None,
    management_address: str | None,
    log_format: str | None,
    access_log: bool | None,
    shutdown_timeout: int | None,
    max_connections: int | None,
    first_byte_timeout: float | None,
    header_timeout: float | None,
    body_timeout: float | None,
    keep_alive_timeout: int | None,
    database_url: str | None,
    data_dir: str | None,
) -> None:
    """Run the server (migrates the database and bootstraps a fresh install first)."""
    from authgate.startup.listen import bind, check_issuer_source, run_server, run_workers

    settings = _settings(
        host=host,
        port=port,
        issuer_url=issuer,
        workers=workers,
        admin_password=admin_password,
        management_address=management_address,
        log_format=log_format,
        access_log=access_log,
        shutdown_timeout=shutdown_timeout,
        max_connections=max_connections,
        first_byte_timeout=first_byte_timeout,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        keep_alive_timeout=keep_alive_timeout,
        database_url=database_url,
        data_dir=data_dir,
    )
    log_config = _configure_logging(settings.log_level, settings.log_format)
    check_issuer_source(settings)
    # Modules are imported as the start-up reaches them, so that a mistake in the options is
    # reported before the storage and server modules load (most of a second).
    from authgate.startup.database import prepare_sync
    from authgate.startup.mail import check_stored_mail

    asyncio.run(check_stored_mail(settings))
    sock = bind(settings)  # before "listening": a taken port fails here, in one line
    prepare_sync(settings, create=True)
    from authgate.management import management
    from authgate.web.descriptors import connection_cap, raise_file_limit
    from authgate.web.http_protocol import ConnectionLimits, GuardedHttpProtocol

    asyncio.run(_bootstrap(settings))
    # Workers rebuild the same Settings from these variables (authgate.web.asgi).
    os.environ.update(
        {
            "AUTHGATE_HOST": settings.host,
            "AUTHGATE_PORT": str(settings.port),
            "AUTHGATE_ISSUER": settings.issuer,
            "AUTHGATE_DATABASE_URL": settings.database,
            "AUTHGATE_DATA_DIR": str(settings.data_dir.resolve()),
            "AUTHGATE_ACCESS_LOG": str(settings.access_log).lower(),
            "AUTHGATE_MANAGEMENT_ADDRESS": settings.management_address,
        }
    )
    click.echo(
        f"authgate listening on http://{url_host(settings.host)}:{settings.port} "
        f"(issuer {settings.issuer})",
        err=True,
    )
    # Raised here, inherited by the workers; each worker holds at most `cap` connections.
    cap = connection_cap(settings.max_connections, raise_file_limit())
    protocol = functools.partial(
        GuardedHttpProtocol, limits=ConnectionLimits.from_settings(settings, cap)
    )
    options: dict[str, Any] = {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "log_config": log_config,
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        "http": protocol,
        "ws": "none",
        "timeout_keep_alive": settings.keep_alive_timeout,
        "timeout_graceful_shutdown": settings.shutdown_timeout,
    }
    if settings.workers > 1:
        # Workers forked from this process once it has imported the application
        # (authgate.startup.prefork); each exits 0 after its graceful drain, and so does this.
        sys.exit(run_workers(settings, sock, APP, **options))
    # uvicorn drains on SIGTERM (up to --shutdown-timeout), restores this handler and raises
    # the signal again; exiting 0 then tells a supervisor that the stop was clean.
    signal.signal(signal.SIGTERM, _stopped)
    with management(settings):
        run_server(sock, APP, **options)


@main.command()
@database_option
@data_dir_option
def migrate(database_url: str | None, data_dir: str | None) -> None:
    """Create or upgrade the database schema."""
    from authgate.startup.database import migration_refused, prepare_sync
    from authgate.storage.connect import MigrationRefused, upgrade_sync

    settings = _settings(database_url=database_url, data_dir=data_dir)
    target = prepare_sync(settings, create=True)
    try:
        upgrade_sync(settings.database)
    except MigrationRefused as exc:
        raise migration_refused(target, exc) from None
    click.echo(f"database at {target.shown} is up to date")


@main.command()
def pkce() -> None:
    """Print a fresh code_verifier and its S256 code_challenge (RFC 7636)."""
    verifier = new_handle() + new_handle()[:21]  # 64 characters of [A-Za-z0-9-_]
    click.echo(f"code_verifier={verifier}")
    click.echo(f"code_challenge={s256(verifier)}")
    click.echo("code_challenge_method=S256")


for _command in ADMIN_COMMANDS:
    main.add_command(_command)
main.add_command(tui_command)
main.add_command(backup_command)


if __name__ == "__main__":  # pragma: no cover
    main()
