"""Which database a command uses, and whether it can: checked before anything opens it.

``authgate serve`` and ``authgate migrate`` may create the SQLite file (and its directory) and
the schema; the admin commands only use an existing, migrated database. Every command says
on stderr which database it uses, without its password.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import getpass
import socket
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import asyncpg  # type: ignore[import-untyped]
import click
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from authgate.settings import Settings
from authgate.startup.errors import StartupError
from authgate.startup.options import setting_label
from authgate.storage.connect import (
    ForeignDatabase,
    MigrationRefused,
    SchemaNotCreatable,
    head_revision,
    known_revisions,
    missing_schema,
    refuse_foreign,
    schema_revision,
    table_names,
)

SUPPORTED = "sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
#: (backend, driver) pairs authgate opens; plain sqlite:// and postgresql:// map to these.
DRIVERS = frozenset({("sqlite", "aiosqlite"), ("postgresql", "asyncpg")})
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """The database a command uses and how the user chose it."""

    url: URL
    #: The option or variable that chose it (``--data-dir``, ``AUTHGATE_DATABASE_URL``, ...).
    label: str
    #: Whether it is the default SQLite file in the data directory.
    in_data_dir: bool

    @property
    def sqlite_path(self) -> Path | None:
        if self.url.get_backend_name() != "sqlite":
            return None
        return Path(self.url.database or "")

    @property
    def shown(self) -> str:
        """The URL without its password or driver name, e.g. ``sqlite:////srv/authgate.db``."""
        plain = self.url.set(drivername=self.url.get_backend_name())
        return plain.render_as_string(hide_password=True)

    @property
    def address(self) -> str:
        """The SQLAlchemy URL that authgate opens (with its password)."""
        return self.url.render_as_string(hide_password=False)

    @property
    def dsn(self) -> str:
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)


def database_target(settings: Settings) -> DatabaseTarget:
    """The database of ``settings``, if authgate supports it.

    Raises:
        StartupError: an unparsable URL, another database system or driver, or an in-memory
            SQLite database (exit status 2).
    """
    if not settings.database_url:
        url = make_url(settings.database)
        return DatabaseTarget(url, setting_label("data_dir"), in_data_dir=True)
    label = setting_label("database_url")
    try:
        url = make_url(settings.database)
    except ArgumentError:
        raise StartupError(
            f"{label} is not a database URL", f"Use {SUPPORTED}.", exit_code=2
        ) from None
    backend = url.get_backend_name()
    if backend not in {b for b, _ in DRIVERS}:
        raise StartupError(
            f"{label}: {backend}:// databases are not supported",
            f"Use SQLite or PostgreSQL: {SUPPORTED}.",
            exit_code=2,
        )
    if (backend, url.get_driver_name()) not in DRIVERS:
        raise StartupError(
            f"{label}: the {url.drivername} driver is not supported",
            f"Write the URL as {backend}://... and authgate uses its own driver.",
            exit_code=2,
        )
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise StartupError(
            f"{label}: authgate needs a SQLite file, not an in-memory database",
            "Use sqlite:///PATH/authgate.db.",
            exit_code=2,
        )
    return DatabaseTarget(url, label, in_data_dir=False)


def announce(target: DatabaseTarget) -> None:
    """Say which database the command uses (stderr, one line, no password)."""
    click.echo(f"database: {target.shown}", err=True)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def prepare_sqlite(target: DatabaseTarget, *, create: bool) -> None:
    """Check that the SQLite file can be used (and, with ``create``, its directory made).

    Raises:
        StartupError: the directory is a file, cannot be created or written, or (without
            ``create``) the database file does not exist.
    """
    path = target.sqlite_path
    assert path is not None
    directory = path.parent
    label = target.label
    where = (
        f"the data directory {directory}" if target.in_data_dir else f"the directory {directory}"
    )
    if directory.exists() and not directory.is_dir():
        raise StartupError(
            f"{where} ({label}) is a file, not a directory",
            f"Point {label} at a directory (authgate keeps authgate.db there).",
        )
    if not create and not path.exists():
        raise StartupError(
            f"there is no authgate database at {path} ({label})",
            f"Point {label} at the server's database, or create it with `authgate migrate` "
            "(or `authgate serve`).",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise StartupError(
            f"cannot create {where} ({label}): part of that path is a file",
            f"Point {label} at a directory.",
        ) from None
    except OSError as exc:
        raise StartupError(
            f"cannot create {where} ({label}): {_reason(exc)}",
            "Fix the permissions of its parent directory, or choose another directory.",
        ) from None
    if path.is_dir():
        raise StartupError(
            f"{path} ({label}) is a directory, not a database file",
            f"Point {label} at the database file or its directory.",
        )
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
        if path.exists():
            path.open("r+b").close()
    except OSError as exc:
        raise StartupError(
            f"cannot write to {where} ({label}): {_reason(exc)}",
            "SQLite writes authgate.db and its journal there: let the user running authgate "
            "write to it (chmod/chown), or choose another directory.",
        ) from None
    if create:  # the admin commands say it with the schema check (check_schema)
        damage = _not_a_database(path)
        if damage is not None:
            kind = "data directory" if target.in_data_dir else "database"
            raise StartupError(
                f"{path} ({label}) is not an SQLite database: {damage}",
                f"Point {label} at the server's {kind}, or move that file away and start "
                "again to create a new database.",
            )


#: What SQLite says of a file that is not a database, or a damaged one.
_NOT_A_DATABASE = (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)


def _not_a_database(path: Path) -> str | None:
    """SQLite's reason when the existing file at ``path`` is not a database it can read, else
    None (also when there is no file, or it is empty: SQLite makes it a database). Read-only:
    nothing is written to the file."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        ) as con:
            con.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) in _NOT_A_DATABASE:
            return str(exc)
    return None


#: At most this many of a foreign database's tables are named.
SHOWN_TABLES = 5


#: How to share a PostgreSQL database with another application (docs/deployment.md).
_SCHEMA_HINT = (
    ", or give authgate a schema of its own: add options=-csearch_path%3Dauthgate to the "
    "URL's query."
)


def migration_refused(target: DatabaseTarget, exc: MigrationRefused) -> StartupError:
    """The two lines for a database authgate cannot give its schema."""
    if isinstance(exc, ForeignDatabase):
        return foreign_database(target, exc)
    assert isinstance(exc, SchemaNotCreatable)
    user = target.url.username or getpass.getuser()
    return StartupError(
        f"cannot create the schema {exc.schema!r} that {target.label} names in the database "
        f"{target.shown}: {exc.reason}; nothing was changed",
        f"Create it as the database's owner (CREATE SCHEMA {exc.schema} AUTHORIZATION "
        f"{user}) or grant {user} CREATE on the database, then start again.",
    )


def foreign_database(target: DatabaseTarget, exc: ForeignDatabase) -> StartupError:
    """The two lines for a database that holds another application's tables."""
    names = ", ".join(exc.tables[:SHOWN_TABLES])
    if len(exc.tables) > SHOWN_TABLES:
        names += f" and {len(exc.tables) - SHOWN_TABLES} more"
    return StartupError(
        f"the database {target.shown} ({target.label}) holds tables ({names}) but no authgate "
        "schema; nothing was changed",
        f"It is another application's: point {target.label} at a new database or at "
        "authgate's own" + (_SCHEMA_HINT if target.url.get_backend_name() == "postgresql" else "."),
    )


async def check_not_foreign(target: DatabaseTarget) -> None:
    """Check that the database ``serve`` or ``migrate`` may create the schema in is empty or
    authgate's, and that a PostgreSQL schema the URL names can be created if it is missing.
    The migration checks again once it holds the migration lock; this check only makes the
    failure two lines before the command says which database it uses.

    Raises:
        StartupError: the database holds another application's tables, or the schema is
            missing and the user may not create it.
    """
    try:
        refuse_foreign(await table_names(target.address))
    except ForeignDatabase as exc:
        raise foreign_database(target, exc) from None
    missing = await missing_schema(target.address)
    if missing is not None and not missing[1]:
        database = target.url.database or target.url.username or getpass.getuser()
        reason = f"permission denied for database {database}"
        raise migration_refused(target, SchemaNotCreatable(missing[0], reason))


def _where(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def _unreachable(target: DatabaseTarget, reason: str) -> StartupError:
    return StartupError(
        f"cannot connect to PostgreSQL at {_where(target.url)} ({target.label}): {reason}",
        "Check that the PostgreSQL server is running and accepts TCP connections at that "
        "host and port.",
    )


async def check_postgres(target: DatabaseTarget) -> None:
    """Connect once to the PostgreSQL database, turning failures into one-line reasons.

    Raises:
        StartupError: the server is down or unreachable, refuses the login, or the
            database does not exist.
    """
    url = target.url
    name = url.database or url.username or getpass.getuser()
    user = url.username or getpass.getuser()
    where = _where(url)
    try:
        con = await asyncpg.connect(target.dsn, timeout=CONNECT_TIMEOUT)
    except asyncpg.InvalidCatalogNameError:
        raise StartupError(
            f"the PostgreSQL database {name!r} does not exist on {where} ({target.label})",
            f"Create it first: createdb {name} (with -h {url.host or 'localhost'} "
            f"-p {url.port or 5432} -U {user} for that server), then start again.",
        ) from None
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        raise StartupError(
            f"PostgreSQL at {where} refused the login of {user!r}: {exc}",
            f"Check the user and password in {target.label}, and the server's pg_hba.conf.",
        ) from None
    except TimeoutError:
        raise _unreachable(target, f"no answer within {CONNECT_TIMEOUT:g} s") from None
    except socket.gaierror:
        raise _unreachable(target, "the host name does not resolve") from None
    except OSError as exc:
        refused = exc.errno == errno.ECONNREFUSED or "Connect call failed" in str(exc)
        raise _unreachable(target, "connection refused" if refused else _reason(exc)) from None
    except asyncpg.PostgresError as exc:
        raise StartupError(
            f"PostgreSQL at {where} refused the connection ({target.label}): {exc}",
            "Check the URL and the server's log.",
        ) from None
    await con.close()


async def check_schema(target: DatabaseTarget) -> None:
    """Check that the database has this authgate's schema (admin commands never migrate).

    Raises:
        StartupError: no schema, an older one (run ``authgate migrate``), or a newer one.
    """
    try:
        revision = await schema_revision(target.address)
    except sqlite3.DatabaseError as exc:
        raise StartupError(
            f"{target.sqlite_path} ({target.label}) is not an authgate database: {exc}",
            f"Point {target.label} at the server's database.",
        ) from None
    head = head_revision()
    if revision is None:
        raise StartupError(
            f"the database {target.shown} ({target.label}) has no authgate schema",
            "Create it with `authgate migrate` (or start `authgate serve` once), or point "
            f"{target.label} at the server's database.",
        )
    if revision == head:
        return
    if revision in known_revisions():
        raise StartupError(
            f"the database {target.shown} has schema revision {revision}; this authgate "
            f"needs {head}",
            "Upgrade it with `authgate migrate` (or restart `authgate serve`).",
        )
    raise StartupError(
        f"the database {target.shown} has schema revision {revision}, from a newer authgate",
        "Use that authgate version (this one knows revisions up to " + head + ").",
    )


async def prepare(settings: Settings, *, create: bool) -> DatabaseTarget:
    """Check the database of a command, then say which it is.

    ``create``: ``serve`` and ``migrate`` may create the SQLite file and the schema; the
    admin commands need an existing database at this authgate's schema revision.
    """
    target = database_target(settings)
    if target.sqlite_path is not None:
        prepare_sqlite(target, create=create)
    else:
        await check_postgres(target)
    if create:
        await check_not_foreign(target)
    else:
        await check_schema(target)
    announce(target)  # after the checks: a failure is its own one or two lines
    return target


def prepare_sync(settings: Settings, *, create: bool) -> DatabaseTarget:
    """:func:`prepare` from synchronous code."""
    return asyncio.run(prepare(settings, create=create))
