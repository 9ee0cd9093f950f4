"""Alembic environment: async engines, SQLite batch mode; on PostgreSQL one migrator at a time,
over the same asyncpg connection settings as the server (so a URL's ``options=-c
search_path=...`` puts the tables in that schema, created if missing)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from alembic import context
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from authgate.storage.connect import (
    SchemaNotCreatable,
    first_schema,
    postgres_dsn,
    refuse_foreign,
)
from authgate.storage.models import METADATA

config = context.config
target_metadata = METADATA
_LOCK_ID = 7_201_125  # arbitrary advisory lock id for "authgate migrations"


def _run(connection: Connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text(f"SELECT pg_advisory_lock({_LOCK_ID})"))
    try:
        if postgres:
            _ensure_schema(connection)
        refuse_foreign(inspect(connection).get_table_names())
        if not postgres:
            # end the read the check began, or Alembic would take it for the caller's
            # transaction on SQLite and never commit the schema revision
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if postgres:
            connection.execute(text(f"SELECT pg_advisory_unlock({_LOCK_ID})"))
            connection.commit()


def _ensure_schema(connection: Connection) -> None:
    """Create the schema the connection's ``search_path`` names first when it does not exist
    yet (PostgreSQL then has no current schema, and nowhere to create tables)."""
    if connection.execute(text("SELECT current_schema()")).scalar() is not None:
        return
    wanted = first_schema(str(connection.execute(text("SHOW search_path")).scalar() or ""))
    if wanted is None:
        return  # nothing named: the migration fails with PostgreSQL's own message
    quoted = connection.dialect.identifier_preparer.quote_schema(wanted)
    try:
        connection.execute(text(f"CREATE SCHEMA {quoted}"))
    except DBAPIError as exc:
        connection.rollback()  # so that the advisory lock can be released
        reason = str(exc.orig).splitlines()[0].split(": ", 1)[-1]
        raise SchemaNotCreatable(wanted, reason) from None


async def _online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    options: dict[str, Any] = {"poolclass": NullPool}
    if url.startswith("postgresql"):
        # asyncpg reads the whole URL itself (options, sslmode, ...), as the server does
        dsn = postgres_dsn(url)
        options["async_creator"] = lambda: asyncpg.connect(dsn)
        url = "postgresql+asyncpg://"
    engine = create_async_engine(url, **options)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())
