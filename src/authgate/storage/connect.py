"""Opening databases (SQLite, the embedded default, or PostgreSQL) and migrating them."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url

from authgate import activity
from authgate.storage import revisions
from authgate.storage.engine import Database
from authgate.storage.postgres import PostgresDatabase
from authgate.storage.sqlite import COMMIT_DELAY, SqliteDatabase, holding_writer_lock

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The table in which Alembic records a database's schema revision.
VERSION_TABLE = "alembic_version"


class MigrationRefused(Exception):
    """The database cannot be given authgate's schema; nothing was changed in it. The
    start-up maps each kind to the two lines that say what to do."""


class SchemaNotCreatable(MigrationRefused):
    """The URL's search path names a PostgreSQL schema that does not exist, and the
    database user may not create it."""

    def __init__(self, schema: str, reason: str) -> None:
        super().__init__(f"{schema}: {reason}")
        self.schema = schema
        self.reason = reason


class ForeignDatabase(MigrationRefused):
    """The database to migrate holds tables but no authgate schema revision: another
    application's database, chosen by mistake. Nothing was changed in it."""

    def __init__(self, tables: list[str]) -> None:
        super().__init__(", ".join(tables))
        self.tables = tables


def refuse_foreign(tables: list[str]) -> None:
    """Raise :class:`ForeignDatabase` unless the database with these tables is empty or has
    a schema revision. Called by the migrations' environment once it holds the migration
    lock, so a migration running in another process is waited for, not taken for one.

    Raises:
        ForeignDatabase: naming the tables.
    """
    if tables and VERSION_TABLE not in tables:
        raise ForeignDatabase(sorted(tables))


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file (a fresh install has none)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


async def open_database(
    url: str, *, sqlite_commit_delay: float = COMMIT_DELAY, probe: bool = False
) -> Database:
    """The :class:`Database` for a SQLAlchemy-style URL (the schema must exist).

    Args:
        url: SQLAlchemy-style URL.
        sqlite_commit_delay: See :class:`SqliteDatabase`.
        probe: A connection for health probes and occasional reads (the management
            listener): one PostgreSQL connection, no SQLite background checkpoints.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("authgate needs a SQLite file, not an in-memory database")
        if probe:
            return SqliteDatabase(parsed.database, checkpoint_interval=0)
        return SqliteDatabase(
            parsed.database, commit_delay=sqlite_commit_delay, sync_inline_when=activity.alone
        )
    dsn = postgres_dsn(url)
    if probe:
        return await PostgresDatabase.connect(dsn, min_size=1, max_size=1)
    return await PostgresDatabase.connect(dsn)


def postgres_dsn(url: str) -> str:
    """The libpq-style DSN (``postgresql://...``) of a PostgreSQL SQLAlchemy URL, for asyncpg."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def alembic_config(url: str) -> Config:
    # Alembic is loaded only by a process that migrates (about a quarter of a second).
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(slug)s"
    )
    return cfg


def upgrade_sync(url: str) -> None:
    """Bring the schema to the newest revision (blocking).

    One process migrates a database at a time: on PostgreSQL the migrations' environment
    takes an advisory lock; on SQLite, whose migrations run their DDL outside a transaction,
    the file's writer lock is held throughout, so a second migrator (another server's first
    start, ``authgate migrate``) waits, then finds the schema at its head. A database that
    holds tables but no schema revision is left as it is (:class:`ForeignDatabase`).

    Alembic's environment runs its own event loop, so when called from a thread that already
    has one running, the migration runs in a helper thread.
    """
    from alembic import command

    ensure_sqlite_directory(url)
    with _one_migrator(url):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            command.upgrade(alembic_config(url), "head")
            return
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(command.upgrade, alembic_config(url), "head").result()


def _one_migrator(url: str) -> contextlib.AbstractContextManager[None]:
    """The SQLite file's writer lock while it is migrated; nothing for PostgreSQL (whose
    migrations' environment locks) or a database that is not a file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return holding_writer_lock(parsed.database)
    return contextlib.nullcontext()


async def upgrade(url: str) -> None:
    """Bring the schema to the newest revision from async code.

    A database already at it (every start but the first after an upgrade) is left alone
    after one read of its revision, without loading Alembic and the migration scripts.
    Anything else, including a database that cannot be read, goes to the migration, which
    does what is needed or says what is wrong.
    """
    try:
        current = await schema_revision(url)
    except Exception:  # any failure to read it: the migration reports what is wrong
        current = None
    if current == revisions.HEAD:
        return
    await asyncio.to_thread(upgrade_sync, url)


def head_revision() -> str:
    """The schema revision this version of authgate needs (the newest migration)."""
    return revisions.HEAD


def known_revisions() -> frozenset[str]:
    """Every schema revision this version of authgate can upgrade from."""
    return frozenset(revisions.REVISIONS)


def _read_only(path: str) -> contextlib.closing[sqlite3.Connection]:
    """A read-only connection: a missing file is an error, never a new empty database."""
    return contextlib.closing(sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True))


async def _postgres(parsed: URL) -> Any:
    """One asyncpg connection to the PostgreSQL database of ``parsed``."""
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.connect(dsn, timeout=10)


def _sqlite_revision(path: str) -> str | None:
    with _read_only(path) as con:
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
    return None if row is None else str(row[0])


async def schema_revision(url: str) -> str | None:
    """The schema revision of the database at ``url``; None when it has no authgate schema.

    Creates nothing: a missing SQLite file raises :class:`sqlite3.OperationalError`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return await asyncio.to_thread(_sqlite_revision, parsed.database or "")
    con = await _postgres(parsed)
    try:
        if await con.fetchval("SELECT to_regclass('alembic_version')") is None:
            return None
        value = await con.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await con.close()
    return None if value is None else str(value)


def first_schema(search_path: str) -> str | None:
    """The schema a PostgreSQL ``search_path`` setting names first (``$user`` skipped)."""
    names = [n.strip().strip('"') for n in search_path.split(",")]
    return next((n for n in names if n and n != "$user"), None)


async def missing_schema(url: str) -> tuple[str, bool] | None:
    """PostgreSQL: the schema the URL's search path names when it does not exist yet, and
    whether the user may create it (the migration then does); None when it exists, or on
    SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return None
    con = await _postgres(parsed)
    try:
        if await con.fetchval("SELECT current_schema()") is not None:
            return None
        wanted = first_schema(str(await con.fetchval("SHOW search_path") or ""))
        may_create = await con.fetchval(
            "SELECT has_database_privilege(current_user, current_database(), 'CREATE')"
        )
    finally:
        await con.close()
    return None if wanted is None else (wanted, bool(may_create))


def _sqlite_tables(path: str) -> list[str]:
    if not Path(path).exists():
        return []
    with _read_only(path) as con:
        rows = con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return [str(r[0]) for r in rows]


async def table_names(url: str) -> list[str]:
    """The tables of the database at ``url`` (PostgreSQL: in its current schema). Creates
    nothing: a missing SQLite file has none."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return await asyncio.to_thread(_sqlite_tables, parsed.database or "")
    con = await _postgres(parsed)
    try:
        rows = await con.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    finally:
        await con.close()
    return [str(r["tablename"]) for r in rows]
