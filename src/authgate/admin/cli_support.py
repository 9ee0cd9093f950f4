"""Plumbing for the admin CLI commands: target options, running a use case, printing."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from authgate.admin.backends import AdminBackend, open_backend
from authgate.admin.client import AdminApiError, ServerUnreachable
from authgate.admin.connection import Connection, ConnectionSettingsError, resolve
from authgate.errors import OAuthError
from authgate.runtime import FirstStart
from authgate.settings import Settings

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class Target:
    """Where a command runs: this host's database, or the Config API at ``--url``."""

    def __init__(self, connection: Connection | None, settings: Callable[[], Settings]) -> None:
        self.connection = connection
        self.settings = settings

    def run(self, action: Callable[[AdminBackend], Awaitable[T]]) -> T:
        """Run ``action`` against the backend; failures become one-line CLI errors."""

        async def main() -> T:
            async with open_backend(self.connection, self.settings, report_first_start) as b:
                return await action(b)

        try:
            return asyncio.run(main())
        except OAuthError as exc:
            raise click.ClickException(f"{exc.description} ({exc.error})") from None
        except AdminApiError as exc:
            raise click.ClickException(str(exc)) from None
        except ServerUnreachable as exc:
            raise click.ClickException(f"server unreachable: {exc}") from None


def report_first_start(first: FirstStart) -> None:
    """Tell the operator, once, about credentials a first start generated."""
    if first.admin_password:
        click.echo(
            f"First start: created user '{first.admin_username}' with password "
            f"'{first.admin_password}' (shown once)",
            err=True,
        )
    if first.admin_client_id and first.admin_client_secret:
        click.echo(
            f"First start: created Config API admin client '{first.admin_client_id}' with "
            f"secret '{first.admin_client_secret}' (shown once)",
            err=True,
        )


def target_options(command: F) -> F:
    """Add ``--url/--client-id/--client-secret/--config-file`` (remote) and
    ``--database-url/--data-dir`` (local), and pass a :class:`Target` as ``target``."""

    @click.option("--url", envvar="AUTHGATE_ADMIN_URL", default=None,
                  help="Config API base URL (the issuer); default: the local database. "
                  "Env AUTHGATE_ADMIN_URL.")  # fmt: skip
    @click.option("--client-id", default=None, help="Admin client id (with --url). "
                  "Env AUTHGATE_ADMIN_CLIENT_ID.")  # fmt: skip
    @click.option("--client-secret", default=None, help="Admin client secret (with --url). "
                  "Env AUTHGATE_ADMIN_CLIENT_SECRET.")  # fmt: skip
    @click.option("--config-file", type=click.Path(path_type=Path), default=None,
                  help="TOML file with url, client_id, client_secret.")  # fmt: skip
    @click.option("--database-url", envvar="AUTHGATE_DATABASE_URL", default=None,
                  help="Local mode: SQLAlchemy URL of the server's database.")  # fmt: skip
    @click.option("--data-dir", envvar="AUTHGATE_DATA_DIR", default=None,
                  help="Local mode: directory of the SQLite file.")  # fmt: skip
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        url: str | None,
        client_id: str | None,
        client_secret: str | None,
        config_file: Path | None,
        database_url: str | None,
        data_dir: str | None,
        **kwargs: Any,
    ) -> Any:
        connection = None
        if url or config_file:
            try:
                connection = resolve(url, client_id, client_secret, file=config_file)
            except ConnectionSettingsError as exc:
                raise click.ClickException(str(exc)) from None

        def settings() -> Settings:
            values: dict[str, Any] = {"database_url": database_url, "data_dir": data_dir}
            return Settings(**{k: v for k, v in values.items() if v is not None})

        return command(*args, target=Target(connection, settings), **kwargs)

    return wrapper  # type: ignore[return-value]


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))


def echo_rows(rows: Sequence[Sequence[Any]]) -> None:
    """One line per row, tab-separated (easy to read with cut or awk)."""
    for row in rows:
        click.echo("\t".join(str(c) for c in row))
