"""The ``authgate`` command: serve, migrate, pkce, plus the administration commands (config,
clients, users, keys: :mod:`authgate.admin.commands`; tui: :mod:`authgate.tui.command`).
The command-line modules are the only code that reads the environment (through
:class:`Settings` and click's ``envvar``) and configures logging."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
from typing import Any

import click
from sqlalchemy.engine import make_url

from authgate.admin.cli_support import provide_local_backend
from authgate.admin.commands import COMMANDS as ADMIN_COMMANDS
from authgate.cli_backends import open_local_backend
from authgate.core.authorize.pkce import s256
from authgate.crypto.handles import new_handle
from authgate.settings import Settings
from authgate.tui.command import tui_command


def _settings(**overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**values)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


database_option = click.option(
    "--database-url",
    envvar="AUTHGATE_DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (default: SQLite in the data directory).",
)
data_dir_option = click.option(
    "--data-dir", envvar="AUTHGATE_DATA_DIR", default=None, help="Directory for the SQLite file."
)


@click.group()
@click.version_option(package_name="authgate")
@click.pass_context
def main(ctx: click.Context) -> None:
    """authgate: OpenID Connect Provider / OAuth 2.1 authorization server."""
    provide_local_backend(ctx, open_local_backend)


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


async def _bootstrap(settings: Settings) -> None:
    from authgate.runtime import Runtime

    runtime = await Runtime.start(settings, migrate=True, poll=False)
    await runtime.stop()
    _announce_first_start(runtime.first_start)


@main.command()
@click.option("--host", envvar="AUTHGATE_HOST", default=None, help="Interface (default 127.0.0.1).")
@click.option("--port", envvar="AUTHGATE_PORT", type=int, default=None, help="Port (default 8080).")
@click.option("--issuer", envvar="AUTHGATE_ISSUER", default=None, help="Public issuer URL.")
@click.option(
    "--workers", envvar="AUTHGATE_WORKERS", type=int, default=None, help="Worker processes."
)
@click.option(
    "--admin-password",
    envvar="AUTHGATE_ADMIN_PASSWORD",
    default=None,
    help="Password of the first user on a fresh database.",
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
    workers: int | None,
    admin_password: str | None,
    max_connections: int | None,
    first_byte_timeout: float | None,
    header_timeout: float | None,
    body_timeout: float | None,
    keep_alive_timeout: int | None,
    database_url: str | None,
    data_dir: str | None,
) -> None:
    """Run the server (migrates the database and bootstraps a fresh install first)."""
    import uvicorn

    from authgate.web.descriptors import connection_cap, raise_file_limit
    from authgate.web.http_protocol import ConnectionLimits, GuardedHttpProtocol

    settings = _settings(
        host=host,
        port=port,
        issuer_url=issuer,
        workers=workers,
        admin_password=admin_password,
        max_connections=max_connections,
        first_byte_timeout=first_byte_timeout,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        keep_alive_timeout=keep_alive_timeout,
        database_url=database_url,
        data_dir=data_dir,
    )
    _configure_logging(settings.log_level)
    asyncio.run(_bootstrap(settings))
    # Workers rebuild the same Settings from these variables (authgate.web.asgi).
    os.environ.update(
        {
            "AUTHGATE_HOST": settings.host,
            "AUTHGATE_PORT": str(settings.port),
            "AUTHGATE_ISSUER": settings.issuer,
            "AUTHGATE_DATABASE_URL": settings.database,
        }
    )
    click.echo(
        f"authgate listening on http://{settings.host}:{settings.port} (issuer {settings.issuer})",
        err=True,
    )
    # Raised here, inherited by the workers; each worker holds at most `cap` connections.
    cap = connection_cap(settings.max_connections, raise_file_limit())
    protocol = functools.partial(
        GuardedHttpProtocol, limits=ConnectionLimits.from_settings(settings, cap)
    )
    uvicorn.run(
        "authgate.web.asgi:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        http=protocol,  # type: ignore[arg-type]  # a protocol factory, as uvicorn calls it
        ws="none",
        timeout_keep_alive=settings.keep_alive_timeout,
    )


@main.command()
@database_option
@data_dir_option
def migrate(database_url: str | None, data_dir: str | None) -> None:
    """Create or upgrade the database schema."""
    from authgate.storage.connect import upgrade_sync

    settings = _settings(database_url=database_url, data_dir=data_dir)
    upgrade_sync(settings.database)
    shown = make_url(settings.database).render_as_string(hide_password=True)
    click.echo(f"database at {shown} is up to date")


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


if __name__ == "__main__":  # pragma: no cover
    main()
