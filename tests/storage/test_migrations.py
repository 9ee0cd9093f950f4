"""The Alembic migrations produce exactly the schema the models declare.

``sqlite_file`` is a copy of the session's template, which ``upgrade_sync`` migrated from
nothing to the head revision (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from authgate.storage import revisions
from authgate.storage.connect import (
    ForeignDatabase,
    alembic_config,
    head_revision,
    schema_revision,
    table_names,
    upgrade,
    upgrade_sync,
)
from authgate.storage.engine import StatementCache
from authgate.storage.janitor import PURGE_TOKENS, WIPE_SUCCESSORS
from authgate.storage.models import METADATA
from tests.conftest import PG_ADMIN_URL


# SQLAlchemy cannot reflect an index on an expression, so autogenerate leaves it out of the
# comparison (with these warnings); the next test checks that index directly.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrations_match_models(sqlite_file: Path) -> None:
    engine = create_engine(f"sqlite:///{sqlite_file}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), METADATA)
    engine.dispose()
    assert diff == []


def test_the_janitor_reads_tokens_through_indexes(sqlite_file: Path) -> None:
    """The purge and the successor wipe use their indexes, not a scan of every token."""
    engine = create_engine(f"sqlite:///{sqlite_file}")
    statements = StatementCache(sqlite_dialect.dialect(paramstyle="qmark"))
    with engine.connect() as conn:
        for statement, index in (
            (PURGE_TOKENS, "ix_tokens_purge_after"),
            (WIPE_SUCCESSORS, "ix_tokens_rotated"),
        ):
            compiled = statements.get(statement)  # as the server runs it
            plan = conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled.text}", tuple(compiled.args({"before": 1.0}))
            ).fetchall()
            details = " ".join(str(row[-1]) for row in plan)
            assert f"USING INDEX {index}" in details, details
            assert "SCAN tokens" not in details, details
        names = {
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
                "('tokens', 'authorization_codes')"
            )
        }
    engine.dispose()
    assert {"ix_tokens_purge_after", "ix_tokens_rotated"} <= names
    assert not {"ix_tokens_expires_at", "ix_authorization_codes_grant_id"} & names


def test_downgrade_restores_the_previous_indexes(sqlite_file: Path) -> None:
    url = f"sqlite+aiosqlite:///{sqlite_file}"
    command.downgrade(alembic_config(url), "0004")
    engine = create_engine(f"sqlite:///{sqlite_file}")
    with engine.connect() as conn:
        names = {
            row[0]
            for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    engine.dispose()
    assert {"ix_tokens_expires_at", "ix_authorization_codes_grant_id"} <= names
    assert not {"ix_tokens_purge_after", "ix_tokens_rotated"} & names
    upgrade_sync(url)


def test_upgrade_is_idempotent(sqlite_file: Path) -> None:
    upgrade_sync(f"sqlite+aiosqlite:///{sqlite_file}")  # already at the head revision


def test_the_known_revisions_are_the_migration_scripts() -> None:
    """storage/revisions.py lists what Alembic finds in the scripts, oldest first: a new
    migration must be added there, or servers would start without it."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    found = [r.revision for r in scripts.walk_revisions()]
    assert tuple(reversed(found)) == revisions.REVISIONS
    assert scripts.get_heads() == [revisions.HEAD]


#: Runs the server's start-up migration step, then says whether Alembic was loaded.
_UPGRADE_AND_REPORT = """
import asyncio, sys
from authgate.storage.connect import upgrade
asyncio.run(upgrade(sys.argv[1]))
print("alembic loaded" if "alembic" in sys.modules else "alembic not loaded")
"""


def _upgrade_in_a_new_process(url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _UPGRADE_AND_REPORT, url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


async def test_a_start_at_the_head_revision_reads_it_and_migrates_only_an_older_schema(
    database_url: str,
) -> None:
    """At the head revision the start reads it and leaves Alembic unloaded; one revision
    behind, the same step migrates."""
    assert await asyncio.to_thread(_upgrade_in_a_new_process, database_url) == (
        "alembic not loaded"
    )
    previous = revisions.REVISIONS[-2]
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), previous)
    assert await schema_revision(database_url) == previous
    assert await asyncio.to_thread(_upgrade_in_a_new_process, database_url) == "alembic loaded"
    assert await schema_revision(database_url) == revisions.HEAD


def test_client_origins_are_backfilled(sqlite_file: Path) -> None:
    """0018 lists the origins of the clients registered before it."""
    url = f"sqlite+aiosqlite:///{sqlite_file}"
    command.downgrade(alembic_config(url), "0011")
    metadata = (
        '{"redirect_uris": ["https://app.example/cb", "com.example.app:/cb"], '
        '"authorized_origins": ["https://spa.example"]}'
    )
    engine = create_engine(f"sqlite:///{sqlite_file}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO clients (client_id, client_name, token_endpoint_auth_method, metadata, "
            "client_id_issued_at, client_secret_expires_at, disabled) "
            "VALUES ('old', 'Old', 'none', ?, 1, 0, 0)",
            (metadata,),
        )
    upgrade_sync(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT client_id, origin FROM client_origins ORDER BY origin"
        ).fetchall()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("old", "https://app.example"),
        ("old", "https://spa.example"),
    ]


#: ``authgate migrate`` processes started together on one new SQLite file.
MIGRATORS = 3


def test_commands_migrating_one_new_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Two servers' first starts, or `authgate migrate` during one, on the same new file:
    SQLite runs the migrations' DDL outside a transaction, so the second migrator to read the
    revision used to create the tables again ("table ... already exists") and exit. They
    now take turns (the file's writer lock); the later ones find the schema at its head."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    command_line = [sys.executable, "-m", "authgate", "migrate", "--data-dir", str(data)]
    processes = [
        subprocess.Popen(command_line, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(MIGRATORS)
    ]
    outcomes = [
        (p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in processes
    ]
    for process in processes:
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert [code for code, _ in outcomes] == [0] * MIGRATORS, outcomes
    with sqlite3.connect(data / "authgate.db") as con:
        (revision,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == head_revision()


def test_the_migration_leaves_another_applications_database_alone(tmp_path: Path) -> None:
    """The migrations' own check, made under the migration lock (whatever the caller checked
    before): a database with tables and no schema revision is not touched."""
    other = tmp_path / "shop.db"
    with contextlib.closing(sqlite3.connect(other)) as con:
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
        con.commit()
    before = other.read_bytes()
    with pytest.raises(ForeignDatabase) as caught:
        upgrade_sync(f"sqlite+aiosqlite:///{other}")
    assert caught.value.tables == ["users"]
    assert other.read_bytes() == before
    assert asyncio.run(table_names(f"sqlite:///{other}")) == ["users"]


async def test_the_migration_leaves_another_applications_postgres_database_alone(
    postgres_url: str,
) -> None:
    name = f"authgate_foreign_{uuid.uuid4().hex[:8]}"
    admin = make_url(PG_ADMIN_URL).set(drivername="postgresql")
    server = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        url = admin.set(drivername="postgresql+asyncpg", database=name)
        address = url.render_as_string(hide_password=False)
        con = await asyncpg.connect(address.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await con.execute("CREATE TABLE orders (id integer)")
        finally:
            await con.close()
        with pytest.raises(ForeignDatabase):
            await upgrade(address)
        assert await table_names(address) == ["orders"]
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()
