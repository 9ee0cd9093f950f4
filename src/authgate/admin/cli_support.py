"""Plumbing for the admin CLI commands: target options, running a use case, printing.

Local mode needs a started runtime, which the admin package does not build: the ``authgate``
command provides how to open this host's database (:func:`provide_local_backend`, called by
:mod:`authgate.cli` with :func:`authgate.cli_backends.open_local_backend`).
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from authgate.admin.connection import Connection, ConnectionSettingsError, resolve
from authgate.admin.values import format_time, format_value
from authgate.errors import OAuthError
from authgate.settings import Settings

if TYPE_CHECKING:
    from authgate.admin.backends import AdminBackend

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

#: Opens the use cases over this host's database (starting a runtime) for one command.
LocalOpener = Callable[[Settings], "AbstractAsyncContextManager[AdminBackend]"]
#: Where the ``authgate`` command puts its :data:`LocalOpener` (``click.Context.meta``).
LOCAL_BACKEND = "authgate.admin.local_backend"


def provide_local_backend(ctx: click.Context, opener: LocalOpener) -> None:
    """Make ``opener`` the local mode of every admin command run under ``ctx``."""
    ctx.meta[LOCAL_BACKEND] = opener


class Target:
    """Where a command runs: this host's database, or the Config API at ``--url``."""

    def __init__(
        self,
        connection: Connection | None,
        settings: Callable[[], Settings],
        local: LocalOpener | None = None,
    ) -> None:
        self.connection = connection
        self.settings = settings
        self.local = local

    def _open(self) -> AbstractAsyncContextManager[AdminBackend]:
        """A remote backend when a connection is given, else the local database
        (``settings`` is called only then)."""
        if self.connection is not None:
            from authgate.admin.client import AdminClient

            c = self.connection
            click.echo(f"server: {c.url} (Config API)", err=True)
            return AdminClient(c.url, c.client_id, c.client_secret)
        if self.local is None:
            raise click.UsageError("No local database access here: pass --url")
        return self.local(self.settings())

    def run(self, action: Callable[[AdminBackend], Awaitable[T]]) -> T:
        """Run ``action`` against the backend; failures become one-line CLI errors."""

        # The HTTP client and the use cases are imported by the commands that run them, so
        # that `authgate --help` and the like start at once.
        from authgate.admin.client import AdminApiError, ServerUnreachable

        async def main() -> T:
            async with self._open() as b:
                return await action(b)

        try:
            return asyncio.run(main())
        except OAuthError as exc:
            raise click.ClickException(f"{exc.description} ({exc.error})") from None
        except AdminApiError as exc:
            raise click.ClickException(str(exc)) from None
        except ServerUnreachable as exc:
            raise click.ClickException(f"server unreachable: {exc}") from None


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
            from authgate.startup.options import load_settings

            return load_settings({"database_url": database_url, "data_dir": data_dir})

        local = click.get_current_context().meta.get(LOCAL_BACKEND)
        return command(*args, target=Target(connection, settings, local), **kwargs)

    return wrapper  # type: ignore[return-value]


#: Members that hold a Unix time: text output shows them in ISO 8601 (UTC).
TIME_MEMBERS = frozenset(
    {"created_at", "client_id_issued_at", "expires_at", "auth_time", "signs_from", "at"}
)


def json_option(command: F) -> F:
    """Add ``--json``, passed as ``as_json``: print JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


def _member(name: str, value: Any) -> str:
    if name in TIME_MEMBERS and isinstance(value, int | float) and not isinstance(value, bool):
        return format_time(value)
    if name == "client_secret_expires_at" and isinstance(value, int):
        return "never" if value == 0 else format_time(value)
    if value is None:
        return "-"
    return format_value(value)


def echo_members(item: dict[str, Any]) -> None:
    """One ``name  value`` line per member, sorted by name, times in ISO 8601 (UTC)."""
    width = max((len(name) for name in item), default=0)
    for name in sorted(item):
        click.echo(f"{name.ljust(width)}  {_member(name, item[name])}")


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))


def echo_rows(rows: Sequence[Sequence[Any]]) -> None:
    """One line per row, tab-separated (easy to read with cut or awk)."""
    for row in rows:
        click.echo("\t".join(str(c) for c in row))
