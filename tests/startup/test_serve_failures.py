"""``authgate serve`` with bad settings, as a real process: each failure is one or two lines
naming what is wrong and what to do, a non-zero exit status, and no traceback unless asked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

import authgate
from authgate.storage.connect import SchemaNotCreatable, table_names, upgrade_sync
from tests.conftest import PG_ADMIN_URL

TIMEOUT = 60  # seconds; every case fails before serving anything
REMEDY_RO = (
    "SQLite writes authgate.db and its journal there: let the user running authgate "
    "write to it (chmod/chown), or choose another directory."
)
PG_DOWN = (
    "Check that the PostgreSQL server is running and accepts TCP connections at that host and port."
)


def serve(
    cwd: Path, *args: str, env: dict[str, str] | None = None, wrap: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``authgate [args]`` in ``cwd`` with only the given AUTHGATE_* variables."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    environ.update(env or {})
    # The same authgate as this test imports, whatever the working directory.
    source = str(Path(authgate.__file__).resolve().parent.parent)
    environ["PYTHONPATH"] = os.pathsep.join([source, environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [*wrap, sys.executable, "-m", "authgate", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def failure(result: subprocess.CompletedProcess[str], code: int) -> list[str]:
    """The stderr lines of a failed run, checked for the exit status and for no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert "authgate listening" not in result.stderr
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    return lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_data_directory_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")
    lines = failure(serve(tmp_path, "serve", "--data-dir", "data"), 1)
    assert lines == [
        f"Error: the data directory {tmp_path / 'data'} (--data-dir) is a file, not a directory",
        "Point --data-dir at a directory (authgate keeps authgate.db there).",
    ]


def test_data_directory_below_a_file_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    env = {"AUTHGATE_DATA_DIR": str(tmp_path / "file" / "data")}
    lines = failure(serve(tmp_path, "serve", env=env), 1)
    assert lines == [
        f"Error: cannot create the data directory {tmp_path / 'file' / 'data'} "
        "(AUTHGATE_DATA_DIR): part of that path is a file",
        "Point AUTHGATE_DATA_DIR at a directory.",
    ]


@pytest.mark.parametrize("content", [b"not a database at all\n" * 200, b"\x00" * 8192])
def test_a_file_that_is_not_a_database_is_named(tmp_path: Path, content: bytes) -> None:
    """Not an SQLite file where authgate.db should be (a wrong directory, a file overwritten):
    two lines, and the file is left as it was."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "authgate.db").write_bytes(content)
    lines = failure(serve(tmp_path, "serve", "--data-dir", "data"), 1)
    assert lines == [
        f"Error: {data / 'authgate.db'} (--data-dir) is not an SQLite database: "
        "file is not a database",
        "Point --data-dir at the server's data directory, or move that file away and start "
        "again to create a new database.",
    ]
    assert (data / "authgate.db").read_bytes() == content
    migrate = failure(serve(tmp_path, "migrate", "--data-dir", "data"), 1)
    assert migrate[0] == lines[0]


def _without_privileges() -> tuple[str, ...]:
    """A command prefix that makes permission bits apply, or skip: root ignores them unless
    it loses CAP_DAC_OVERRIDE (util-linux's setpriv)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits do not apply")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--")


def test_read_only_data_directory(tmp_path: Path) -> None:
    wrap = _without_privileges()
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o555)
    try:
        lines = failure(serve(tmp_path, "serve", "--data-dir", str(data), wrap=wrap), 1)
    finally:
        data.chmod(0o755)
    assert lines == [
        f"Error: cannot write to the data directory {data} (--data-dir): Permission denied",
        REMEDY_RO,
    ]
    assert not (data / "authgate.db").exists()


def test_unsupported_database_url_lists_the_supported_ones(tmp_path: Path) -> None:
    url = "mysql://authgate:s3cret-Pass@db.example/authgate"
    lines = failure(serve(tmp_path, "serve", "--database-url", url), 2)
    assert lines == [
        "Error: --database-url: mysql:// databases are not supported",
        "Use SQLite or PostgreSQL: sqlite:///PATH or "
        "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE.",
    ]
    env = {"AUTHGATE_DATABASE_URL": "postgresql+psycopg2://u:s3cret-Pass@h/db"}
    result = serve(tmp_path, "serve", env=env)
    assert failure(result, 2)[0] == (
        "Error: AUTHGATE_DATABASE_URL: the postgresql+psycopg2 driver is not supported"
    )
    assert "s3cret-Pass" not in result.stderr


def test_postgres_not_running(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql://authgate:pw-not-shown@127.0.0.1:{port}/authgate"
    result = serve(tmp_path, "serve", env={"AUTHGATE_DATABASE_URL": url})
    assert failure(result, 1) == [
        f"Error: cannot connect to PostgreSQL at 127.0.0.1:{port} (AUTHGATE_DATABASE_URL): "
        "connection refused",
        PG_DOWN,
    ]
    assert "pw-not-shown" not in result.stderr


@pytest.mark.postgres
def test_postgres_database_missing(tmp_path: Path, postgres_url: str) -> None:
    name = f"authgate_missing_{uuid.uuid4().hex[:8]}"
    server = make_url(PG_ADMIN_URL).set(drivername="postgresql", database=name)
    host, port, user = server.host, server.port or 5432, server.username
    url = server.render_as_string(hide_password=False)
    lines = failure(serve(tmp_path, "serve", "--database-url", url), 1)
    assert lines == [
        f"Error: the PostgreSQL database {name!r} does not exist on {host}:{port} (--database-url)",
        f"Create it first: createdb {name} (with -h {host} -p {port} -U {user} for that "
        "server), then start again.",
    ]


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ("--issuer", "login.example.com"),
            {},
            "Error: --issuer: 'login.example.com' is not an absolute URL: write it with its "
            "scheme, e.g. https://login.example.com",
        ),
        (
            (),
            {"AUTHGATE_ISSUER": "login.example.com"},
            "Error: AUTHGATE_ISSUER: 'login.example.com' is not an absolute URL: write it "
            "with its scheme, e.g. https://login.example.com",
        ),
        (
            ("--issuer", "https://login.example.com/auth"),
            {},
            "Error: --issuer: 'https://login.example.com/auth' has a path (/auth): authgate "
            "serves its endpoints at scheme://host[:port] only, so use https://login.example.com",
        ),
        (
            ("--issuer", "https://login example.com"),
            {},
            "Error: --issuer: 'https://login example.com' contains whitespace; write the URL "
            "without spaces",
        ),
        (
            ("--issuer", "http://login.example.com"),
            {},
            "Error: --issuer: 'http://login.example.com' uses plain http on a host that is not "
            "loopback: use https://login.example.com (http is allowed only on localhost, "
            "127.0.0.1 and ::1)",
        ),
        (
            ("--port", "http"),
            {},
            "Error: Invalid value for '--port': 'http' is not a valid integer.",
        ),
    ],
)
def test_invalid_issuer_names_the_setting_the_user_set(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], line: str
) -> None:
    result = serve(tmp_path, "serve", *args, env=env)
    assert result.returncode == 2, result.stderr
    assert line in result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_every_interface_without_an_issuer_is_refused(tmp_path: Path) -> None:
    lines = failure(serve(tmp_path, "serve", "--host", "0.0.0.0"), 2)  # noqa: S104
    assert lines == [
        "Error: --host 0.0.0.0 listens on every interface, so authgate cannot tell which URL "
        "clients use to reach it",
        "Set the issuer, the public URL clients use: --issuer https://login.example.com "
        "(or AUTHGATE_ISSUER).",
    ]
    assert not (tmp_path / "data").exists()


def test_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        lines = failure(serve(tmp_path, "serve", "--port", str(port)), 1)
    assert lines == [
        f"Error: port {port} on 127.0.0.1 is already in use (--port)",
        "Stop the program listening there, or choose another port with --port.",
    ]


def test_secret_settings_are_named_but_not_shown(tmp_path: Path) -> None:
    env = {"AUTHGATE_ADMIN_CLIENT_SECRET": "short-Secret-9"}
    result = serve(tmp_path, "serve", env=env)
    assert failure(result, 2) == [
        "Error: AUTHGATE_ADMIN_CLIENT_SECRET: String should have at least 20 characters"
    ]
    assert "short-Secret-9" not in result.stderr + result.stdout


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("")
    plain = serve(tmp_path, "serve")
    debug = serve(tmp_path, "--debug", "serve")
    by_level = serve(tmp_path, "serve", env={"AUTHGATE_LOG_LEVEL": "debug"})
    assert plain.returncode == debug.returncode == by_level.returncode == 1
    assert "Traceback" not in plain.stderr
    for result in (debug, by_level):
        assert "Traceback (most recent call last):" in result.stderr
        assert result.stderr.endswith(plain.stderr)


def test_self_service_mail_without_an_smtp_host(tmp_path: Path) -> None:
    """A self-service flow that sends mail is on, and AUTHGATE_SMTP_HOST is not set."""
    data = tmp_path / "data"
    env = {"AUTHGATE_DATA_DIR": str(data), "AUTHGATE_ADMIN_PASSWORD": "admin-password-1"}
    assert serve(tmp_path, "migrate", env=env).returncode == 0
    configured = serve(
        tmp_path, "config", "set", "selfServicePasswordResetEnabled", "true", env=env
    )
    assert configured.returncode == 0, configured.stderr
    lines = failure(serve(tmp_path, "serve", "--port", str(free_port()), env=env), 1)
    assert lines == [
        "Error: self-service mail is needed (selfServicePasswordResetEnabled) but "
        "AUTHGATE_SMTP_HOST is not set",
        "Set AUTHGATE_SMTP_HOST (and AUTHGATE_SMTP_PORT, AUTHGATE_SMTP_SECURITY, "
        "AUTHGATE_SMTP_FROM as needed), or switch those settings off, then start again.",
    ]
    env["AUTHGATE_SMTP_HOST"] = "127.0.0.1"
    env["AUTHGATE_SMTP_PASSWORD"] = "smtp-secret-value"
    shown = serve(tmp_path, "config", "get", "selfServicePasswordResetEnabled", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "smtp-secret-value" not in shown.stderr + shown.stdout


def _another_apps_sqlite(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        con.execute("INSERT INTO users (name) VALUES ('someone')")
        con.commit()


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_another_applications_sqlite_database_is_left_alone(tmp_path: Path, command: str) -> None:
    """A database URL pointing at another application's file: two lines, and not one table
    added (before, authgate added its tables and stopped halfway at a name both use)."""
    other = tmp_path / "shop.db"
    _another_apps_sqlite(other)
    before = other.read_bytes()
    url = f"sqlite:///{other}"
    lines = failure(serve(tmp_path, command, env={"AUTHGATE_DATABASE_URL": url}), 1)
    assert lines == [
        f"Error: the database {url} (AUTHGATE_DATABASE_URL) holds tables (notes, users) but no "
        "authgate schema; nothing was changed",
        "It is another application's: point AUTHGATE_DATABASE_URL at a new database or at "
        "authgate's own.",
    ]
    assert other.read_bytes() == before


async def _pg_admin(sql: str, database: str | None = None) -> None:
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    con = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await con.execute(sql)
    finally:
        await con.close()


def test_another_applications_postgres_database_is_left_alone(
    tmp_path: Path, postgres_url: str
) -> None:
    name = f"authgate_foreign_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_pg_admin("CREATE TABLE orders (id integer)", name))
        url = make_url(PG_ADMIN_URL).set(drivername="postgresql", database=name)
        address = url.render_as_string(hide_password=False)
        lines = failure(serve(tmp_path, "serve", "--database-url", address), 1)
        assert lines[0] == (
            f"Error: the database {url.render_as_string(hide_password=True)} (--database-url) "
            "holds tables (orders) but no authgate schema; nothing was changed"
        )
        assert asyncio.run(table_names(address)) == ["orders"]
        assert lines[1].endswith(
            "or give authgate a schema of its own: add options=-csearch_path%3Dauthgate to "
            "the URL's query."
        )
        # which it then does: the schema is created beside the other application's table
        in_schema = f"{address}?options=-csearch_path%3Dauthgate"
        migrated = serve(tmp_path, "migrate", "--database-url", in_schema)
        assert migrated.returncode == 0, migrated.stderr
        assert "alembic_version" in asyncio.run(table_names(in_schema))
        assert asyncio.run(table_names(address)) == ["orders"]
        listed = serve(tmp_path, "keys", "list", env={"AUTHGATE_DATABASE_URL": in_schema})
        assert listed.returncode == 0, listed.stderr
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_a_schema_the_user_may_not_create_is_two_lines(tmp_path: Path, postgres_url: str) -> None:
    """The URL names a schema that does not exist and its user lacks the CREATE privilege on
    the database: two lines that say how to make it, and nothing changed; once a database
    owner creates the schema for that user, the same command succeeds."""
    name = f"authgate_schema_{uuid.uuid4().hex[:8]}"
    role = f"authgate_limited_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(_pg_admin(f'CREATE ROLE "{role}" LOGIN'))
    try:
        server = make_url(PG_ADMIN_URL).set(drivername="postgresql", database=name)
        url = server.set(username=role, password=None).render_as_string(hide_password=False)
        in_schema = f"{url}?options=-csearch_path%3Dauthgate"
        lines = failure(serve(tmp_path, "migrate", "--database-url", in_schema), 1)
        assert lines[0].startswith(
            "Error: cannot create the schema 'authgate' that --database-url names in the "
            f"database {in_schema}: permission denied"
        ), lines
        assert lines[0].endswith("; nothing was changed")
        assert lines[1] == (
            f"Create it as the database's owner (CREATE SCHEMA authgate AUTHORIZATION {role}) "
            f"or grant {role} CREATE on the database, then start again."
        )
        assert asyncio.run(table_names(server.render_as_string(hide_password=False))) == []
        # the migration's own check, for a schema dropped between the two
        with pytest.raises(SchemaNotCreatable) as refused:
            upgrade_sync(in_schema)
        assert refused.value.reason.startswith("permission denied for database")
        asyncio.run(_pg_admin(f'CREATE SCHEMA authgate AUTHORIZATION "{role}"', name))
        migrated = serve(tmp_path, "migrate", "--database-url", in_schema)
        assert migrated.returncode == 0, migrated.stderr
        assert "alembic_version" in asyncio.run(table_names(in_schema))
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))
        asyncio.run(_pg_admin(f'DROP ROLE "{role}"'))
