"""A consistent online copy of a SQLite database (``authgate backup``).

SQLite's backup API (:meth:`sqlite3.Connection.backup`) copies every page in one step, inside
one read transaction: the copy is the database as of one commit, and in WAL mode the read
never blocks the running server's writers. The copy is written beside the destination,
checked with ``PRAGMA integrity_check``, switched to a rollback journal (one self-contained
file, no ``-wal``), made durable with fsync, and only then renamed into place, so the
destination is either absent or a complete, checked copy.

PostgreSQL has its own tools (``pg_dump``, or base backups for point-in-time recovery); see
docs/operations.md. Either way a backup holds the signing keys' private halves: keep it as
secret as the database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

#: Milliseconds the copy waits for a lock (a checkpoint truncating the WAL) before failing.
BUSY_TIMEOUT = 10_000


class BackupError(Exception):
    """The copy could not be made or failed its check; the destination is untouched."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    destination: Path
    pages: int
    bytes: int


def backup_sqlite(source: str, destination: Path) -> BackupResult:
    """Copy the SQLite database at ``source`` to ``destination`` (which must not exist).

    Raises:
        BackupError: ``destination`` exists, the source cannot be read, or the copy fails
            ``integrity_check``.
    """
    if destination.exists():
        raise BackupError(f"{destination} already exists; choose a new file")
    if not Path(source).is_file():
        raise BackupError(f"no SQLite database at {source}")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        pages = _copy(source, partial)
        _fsync(partial)
        os.replace(partial, destination)
        _fsync(destination.parent)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from exc
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(destination, pages, destination.stat().st_size)


def _copy(source: str, target: Path) -> int:
    with contextlib.closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT / 1000)) as src:
        src.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT}")
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)  # all pages in one step: one snapshot
            verdict = dst.execute("PRAGMA integrity_check").fetchall()
            if verdict != [("ok",)]:
                problems = "; ".join(str(row[0]) for row in verdict[:3])
                raise BackupError(f"the copy failed integrity_check: {problems}")
            dst.execute("PRAGMA journal_mode=DELETE")
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
    return pages


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
