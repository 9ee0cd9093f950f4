"""``authgate backup DEST``: a consistent copy of a SQLite database taken while a real server
is under write load; PostgreSQL is refused with a pointer to pg_dump."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from authgate.backup_command import PG_POINTER
from authgate.cli import main
from authgate.storage.backup import BackupError, backup_sqlite
from authgate.storage.clients import SqlClientStore
from authgate.storage.connect import open_database
from tests.operate.server import Server, no_rate_limits
from tests.support import flow_registration_body

REGISTER = "/jans-auth/restv1/register"


class Registrations(threading.Thread):
    """Registers clients back to back until stopped; keeps the acknowledged ids, in order,
    with the moment each was acknowledged."""

    def __init__(self, url: str) -> None:
        super().__init__(name="registrations", daemon=True)
        self.url = url
        self.acknowledged: list[tuple[float, str]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stopping.is_set():
                response = http.post(REGISTER, json=flow_registration_body())
                assert response.status_code == 201, response.text
                self.acknowledged.append((time.monotonic(), response.json()["client_id"]))


def _sqlite_copy(template: Path, directory: Path) -> tuple[str, Path]:
    target = directory / "authgate.db"
    target.write_bytes(template.read_bytes())
    return f"sqlite+aiosqlite:///{target}", target


async def test_a_backup_taken_under_load_is_consistent_and_complete(
    sqlite_template: Path, tmp_path: Path
) -> None:
    url, _path = _sqlite_copy(sqlite_template, tmp_path)
    server = Server(url, tmp_path / "server.log").start()
    load = Registrations(server.url)
    try:
        with httpx.Client(base_url=server.url) as http:
            no_rate_limits(http)
        load.start()
        time.sleep(1.0)
        started = time.monotonic()
        destination = tmp_path / "backups" / "copy.db"
        destination.parent.mkdir()
        result = subprocess.run(
            [sys.executable, "-m", "authgate", "backup", str(destination), "--database-url", url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        time.sleep(0.5)  # the load goes on after the backup
    finally:
        load.stopping.set()
        load.join(timeout=30)
        server.stop()
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    before = [cid for at, cid in load.acknowledged if at < started]
    after = [cid for at, cid in load.acknowledged if at > started]
    assert before and after, "the backup did not happen under load"
    with contextlib.closing(sqlite3.connect(destination)) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        stored = {row[0] for row in con.execute("SELECT client_id FROM clients")}
        assert con.execute("SELECT count(*) FROM signing_keys").fetchone()[0] > 0
    assert set(before) <= stored
    assert not (tmp_path / "backups" / "copy.db.partial").exists()
    # authgate itself opens the copy
    db = await open_database(f"sqlite+aiosqlite:///{destination}")
    try:
        assert await SqlClientStore(db).get(before[-1]) is not None
    finally:
        await db.close()


def test_a_backup_never_overwrites(sqlite_template: Path, tmp_path: Path) -> None:
    url, path = _sqlite_copy(sqlite_template, tmp_path)
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    result = CliRunner().invoke(main, ["backup", str(existing), "--database-url", url])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_bytes() == b"keep me"
    into_directory = CliRunner().invoke(main, ["backup", str(tmp_path), "--database-url", url])
    assert into_directory.exit_code == 0, into_directory.output
    [made] = tmp_path.glob("authgate-*.db")
    with contextlib.closing(sqlite3.connect(made)) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    try:
        backup_sqlite(str(tmp_path / "missing.db"), tmp_path / "x.db")
    except BackupError as exc:
        assert "no SQLite database" in str(exc)
    else:
        raise AssertionError("a missing source was copied")
    assert path.exists()


def test_postgresql_is_pointed_to_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/anything"
    target = tmp_path / "never-written.db"
    result = CliRunner().invoke(main, ["backup", str(target), "--database-url", url])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {PG_POINTER}"
    assert "pg_dump" in result.output
    assert not target.exists()


def test_the_sealing_key_beside_the_database_is_named_not_copied(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """The copy cannot open the upstream providers' secrets without ``sealing.key``: the
    command names the file when there is one (never its content), and not otherwise."""
    url, path = _sqlite_copy(sqlite_template, tmp_path)
    first = CliRunner().invoke(main, ["backup", str(tmp_path / "one.db"), "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "sealing key" not in first.output
    key = "k" * 43
    (path.parent / "sealing.key").write_text(key)
    second = CliRunner().invoke(main, ["backup", str(tmp_path / "two.db"), "--database-url", url])
    assert second.exit_code == 0, second.output
    assert f"the sealing key {path.parent / 'sealing.key'}" in second.output
    assert key not in second.output
    configured = CliRunner().invoke(
        main,
        ["backup", str(tmp_path / "three.db"), "--database-url", url],
        env={"AUTHGATE_SEALING_KEY": "s" * 43},
    )
    assert configured.exit_code == 0, configured.output
    assert "sealing key" not in configured.output
