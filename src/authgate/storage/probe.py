"""What a readiness probe asks the database: one round trip that reads the schema revision,
and the revision this code expects."""

from __future__ import annotations

from sqlalchemy import column, select, table

from authgate.storage import revisions
from authgate.storage.engine import Database
from authgate.storage.sqlite import SqliteDatabase

ALEMBIC_VERSION = table("alembic_version", column("version_num"))
REVISIONS = select(ALEMBIC_VERSION.c.version_num)


class DatabaseGone(Exception):
    """The SQLite file was deleted or replaced under the open connection."""


def head_revisions() -> frozenset[str]:
    """The newest migration revisions of this code."""
    return frozenset({revisions.HEAD})


async def stored_revisions(db: Database) -> frozenset[str]:
    """The schema revisions recorded in the database (one query).

    Raises:
        DatabaseGone: the SQLite file is no longer the one that was opened.
        Exception: whatever the driver raises when the database does not answer.
    """
    if isinstance(db, SqliteDatabase) and not db.file_present():
        raise DatabaseGone(db.path)
    rows = await db.fetch_all(REVISIONS, {})
    return frozenset(str(row["version_num"]) for row in rows)
