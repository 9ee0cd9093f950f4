"""Engines and migrations on a fresh machine."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from authgate.storage.connect import upgrade_sync


def test_upgrade_creates_a_missing_sqlite_directory(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "data" / "authgate.db"
    upgrade_sync(f"sqlite+aiosqlite:///{database}")
    with closing(sqlite3.connect(database)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"clients", "users", "tokens", "alembic_version"} <= tables
