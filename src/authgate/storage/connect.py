"""Opening databases (SQLite, the embedded default, or PostgreSQL) and migrating them."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from authgate.storage.engine import Database
from authgate.storage.postgres import PostgresDatabase
from authgate.storage.sqlite import COMMIT_DELAY, SqliteDatabase

MIGRATIONS = Path(__file__).parent / "migrations"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file (a fresh install has none)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


async def open_database(url: str, *, sqlite_commit_delay: float = COMMIT_DELAY) -> Database:
    """The :class:`Database` for a SQLAlchemy-style URL (the schema must exist)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("authgate needs a SQLite file, not an in-memory database")
        return SqliteDatabase(parsed.database, commit_delay=sqlite_commit_delay)
    return await PostgresDatabase.connect(postgres_dsn(url))


def postgres_dsn(url: str) -> str:
    """The libpq-style DSN (``postgresql://...``) of a PostgreSQL SQLAlchemy URL, for asyncpg."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(slug)s"
    )
    return cfg


def upgrade_sync(url: str) -> None:
    """Bring the schema to the newest revision (blocking).

    Alembic's environment runs its own event loop, so when called from a thread that already
    has one running, the migration runs in a helper thread.
    """
    ensure_sqlite_directory(url)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(url), "head")
        return
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(command.upgrade, alembic_config(url), "head").result()


async def upgrade(url: str) -> None:
    """Bring the schema to the newest revision from async code."""
    await asyncio.to_thread(upgrade_sync, url)
