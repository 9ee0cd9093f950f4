"""The ``authgate`` command line: pkce, migrate and users, against temporary SQLite files."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result

from authgate.cli import main
from authgate.settings import Settings
from authgate.storage.connect import alembic_config, head_revision, open_database
from authgate.storage.users import SqlUserStore
from tests.support import fast_hasher, s256

#: RFC 7636 §4.1: code-verifier = 43*128unreserved
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@pytest.fixture(autouse=True)
def _no_authgate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands read AUTHGATE_* variables; the tests pass everything as flags."""
    for name in [n for n in os.environ if n.startswith("AUTHGATE_")]:
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every users command starts a runtime, whose hasher makes a dummy hash at full argon2id
    cost (a quarter of a second); these tests are about the commands, so they hash at the
    tests' low cost (the setting ``password_hash_cost``, which the fixture above cleared). The
    hashes stay argon2id and carry their cost, as login reads them."""
    monkeypatch.setenv("AUTHGATE_PASSWORD_HASH_COST", "minimal")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def pkce_values(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def _python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a new interpreter, without the caller's AUTHGATE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    return subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, check=True
    )


#: What a command that reads no database and calls no server must not import: the runtime,
#: the database layer and the HTTP client take about a second to import.
HEAVY_MODULES = ("authgate.runtime", "authgate.admin.service", "sqlalchemy", "alembic", "httpx")


@pytest.mark.parametrize("args", [["--help"], ["pkce"], ["clients", "--help"], ["tui", "--help"]])
def test_commands_that_need_no_database_import_none_of_it(args: list[str]) -> None:
    script = (
        "import sys\n"
        "from authgate.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    done = _python(script)
    assert done.stdout.splitlines()[-1] == "[]", done.stdout


#: Libraries that neither a command nor a serving worker loads until it needs them: the
#: schema is Core tables (no ORM, about a tenth of a second), Alembic only migrates, and the
#: QR code, passkey and User-Agent libraries serve their first enrolment or account page.
LOADED_WHEN_USED = ("sqlalchemy.orm", "sqlalchemy.ext", "alembic", "segno", "webauthn", "ua_parser")

#: Runs a command that reads the database, imports what a serving worker runs, then prints
#: which of LOADED_WHEN_USED were loaded.
_LOADED_AFTER = f"""
import sys
from authgate.cli import main
try:
    main(["clients", "list", "--data-dir", sys.argv[1]])
except SystemExit:
    pass
import authgate.management, authgate.runtime, authgate.startup.listen, authgate.web.app
print(sorted(m for m in sys.modules if m.startswith({LOADED_WHEN_USED!r})))
"""


def test_neither_a_command_nor_the_server_loads_what_it_does_not_use(tmp_path: Path) -> None:
    ok("migrate", "--data-dir", str(tmp_path))
    done = _python(_LOADED_AFTER, str(tmp_path))
    assert "authgate admin (Config API)" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]", done.stdout


def test_a_command_with_a_database_still_gets_one(tmp_path: Path) -> None:
    """The local mode is imported when a command runs, not when the CLI loads."""
    ok("migrate", "--data-dir", str(tmp_path))
    listed = ok("clients", "list", "--data-dir", str(tmp_path))
    assert "authgate admin (Config API)" in listed.stdout


def test_pkce_prints_a_verifier_and_its_s256_challenge() -> None:
    first = pkce_values(ok("pkce").stdout)
    second = pkce_values(ok("pkce").stdout)
    for values in (first, second):
        assert set(values) == {"code_verifier", "code_challenge", "code_challenge_method"}
        assert VERIFIER.fullmatch(values["code_verifier"]), values["code_verifier"]
        assert values["code_challenge"] == s256(values["code_verifier"])
        assert values["code_challenge_method"] == "S256"
    assert first["code_verifier"] != second["code_verifier"]


def test_the_installed_authgate_command_prints_pkce_values() -> None:
    script = Path(sys.executable).with_name("authgate")
    completed = subprocess.run(
        [str(script), "pkce"], capture_output=True, text=True, timeout=60, check=True
    )
    values = pkce_values(completed.stdout)
    assert values["code_challenge"] == s256(values["code_verifier"])


def test_migrate_creates_the_database_in_a_fresh_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "there" / "yet"
    result = ok("migrate", "--data-dir", str(data_dir))
    assert "is up to date" in result.output
    assert (data_dir / "authgate.db").is_file()


def user_rows(*flags: str) -> dict[str, list[str]]:
    lines = ok("users", "list", *flags).stdout.splitlines()
    return {line.split("\t")[0]: line.split("\t") for line in lines}


@pytest.fixture
def flags(tmp_path: Path) -> tuple[str, ...]:
    """Options naming a migrated data directory (admin commands never create one)."""
    data = ("--data-dir", str(tmp_path / "data"))
    ok("migrate", *data)
    return data


def test_users_add_then_list(flags: tuple[str, ...]) -> None:
    added = ok(
        "users",
        "add",
        "alice",
        "--password",
        "alice-password-1",
        "--email",
        "alice@example.com",
        "--name",
        "Alice Example",
        *flags,
    )
    match = re.fullmatch(r"created user alice \(([0-9a-f-]{36})\)\n", added.stdout)
    assert match, added.stdout
    ok("users", "add", "bob", "--password", "bob-password-1", *flags)

    rows = user_rows(*flags)
    assert rows["alice"] == ["alice", match.group(1), "alice@example.com", "enabled"]
    assert rows["bob"][2:] == ["-", "enabled"]


def test_users_add_refuses_an_existing_username(flags: tuple[str, ...]) -> None:
    ok("users", "add", "alice", "--password", "alice-password-1", *flags)
    again = run("users", "add", "alice", "--password", "other-password-2", *flags)
    assert again.exit_code == 1
    assert "user 'alice' already exists" in again.output
    assert list(user_rows(*flags)).count("alice") == 1


def test_users_commands_accept_a_plain_sqlite_database_url(tmp_path: Path) -> None:
    flags = ("--database-url", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    ok("migrate", *flags)
    ok("users", "add", "carol", "--password", "carol-password-1", *flags)
    assert "carol" in user_rows(*flags)
    assert (tmp_path / "elsewhere.db").is_file()


async def _password_accepted(settings: Settings, username: str, password: str) -> bool:
    """What the login page checks: the stored user and argon2 verification of the password."""
    db = await open_database(settings.database)
    try:
        user = await SqlUserStore(db).get_by_username(username)
    finally:
        await db.close()
    assert user is not None and user.enabled
    # argon2 reads its cost parameters from the stored hash; fast_hasher only makes the
    # dummy hash it keeps for unknown users cheap.
    return await fast_hasher().verify(user.password_hash, password)


def test_set_password_changes_what_login_accepts(tmp_path: Path, flags: tuple[str, ...]) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    ok("users", "add", "dave", "--password", "first-password-1", *flags)
    assert asyncio.run(_password_accepted(settings, "dave", "first-password-1"))
    assert not asyncio.run(_password_accepted(settings, "dave", "second-password-2"))

    changed = ok("users", "set-password", "dave", "--password", "second-password-2", *flags)
    assert changed.stdout == "password of dave changed\n"
    assert asyncio.run(_password_accepted(settings, "dave", "second-password-2"))
    assert not asyncio.run(_password_accepted(settings, "dave", "first-password-1"))


def test_set_password_of_an_unknown_user_fails(flags: tuple[str, ...]) -> None:
    result = run("users", "set-password", "ghost", "--password", "whatever-1", *flags)
    assert result.exit_code == 1
    assert "no user 'ghost'" in result.output


def test_admin_commands_never_create_a_database(tmp_path: Path) -> None:
    data = tmp_path / "nowhere"
    for args in (("config", "get"), ("users", "list"), ("keys", "list"), ("clients", "list")):
        result = run(*args, "--data-dir", str(data))
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"Error: there is no authgate database at {data / 'authgate.db'} (--data-dir)",
            "Point --data-dir at the server's database, or create it with `authgate migrate` "
            "(or `authgate serve`).",
        ]
    assert not data.exists()  # no directory, no database, no admin user or secret


def test_admin_commands_refuse_a_database_without_the_schema(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    result = run("users", "list", "--database-url", f"sqlite:///{empty}")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: the database sqlite:///{empty} (--database-url) has no authgate schema",
        "Create it with `authgate migrate` (or start `authgate serve` once), or point "
        "--database-url at the server's database.",
    ]
    assert sqlite3.connect(empty).execute("SELECT name FROM sqlite_master").fetchall() == []


def test_admin_commands_refuse_an_older_schema_until_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    head = head_revision()
    previous = alembic_config(url)
    command.upgrade(previous, "head")
    command.downgrade(previous, "-1")
    older = sqlite3.connect(path).execute("SELECT version_num FROM alembic_version").fetchone()
    flags = ("--database-url", f"sqlite:///{path}")
    result = run("users", "list", *flags)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: the database sqlite:///{path} has schema revision {older[0]}; this authgate "
        f"needs {head}",
        "Upgrade it with `authgate migrate` (or restart `authgate serve`).",
    ]
    ok("migrate", *flags)
    assert "admin" in user_rows(*flags)


def test_every_command_names_its_database_on_stderr(tmp_path: Path, flags: tuple[str, ...]) -> None:
    line = f"database: sqlite:///{tmp_path / 'data' / 'authgate.db'}"
    for args in (("config", "get", "requirePkce"), ("users", "list"), ("keys", "list")):
        assert line in ok(*args, *flags).stderr.splitlines()
    migrated = ok("migrate", *flags)
    assert migrated.stderr.splitlines() == [line]
    assert (
        migrated.stdout
        == f"database at sqlite:///{tmp_path / 'data' / 'authgate.db'} is up to date\n"
    )


def test_a_bad_password_is_never_echoed(flags: tuple[str, ...]) -> None:
    result = run("users", "add", "dave", "--password", "short12", *flags)
    assert result.exit_code == 1
    assert "password: String should have at least 8 characters" in result.stderr
    assert "short12" not in result.output
    result = run("users", "set-password", "admin", "--password", "tiny-pw", *flags)
    assert result.exit_code == 1 and "password:" in result.stderr
    assert "tiny-pw" not in result.output


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("dave smith", None, "username: use letters, digits and . _ - @ + only"),
        (".dave", None, "username: use letters, digits and . _ - @ + only"),
        ("dave", "dave@", "email: not an email address (name@example.com)"),
        ("dave", "dave at example.com", "email: not an email address"),
        ("ADMIN", None, "A user 'admin' already exists (names differ only in case)"),
    ],
)
def test_users_add_refuses_malformed_names_and_case_twins(
    flags: tuple[str, ...], username: str, email: str | None, message: str
) -> None:
    extra = ("--email", email) if email else ()
    result = run("users", "add", username, "--password", "long enough 1", *extra, *flags)
    assert result.exit_code == 1
    assert message in result.stderr
    assert set(user_rows(*flags)) == {"admin"}


def test_config_set_takes_a_negative_number_as_a_value(flags: tuple[str, ...]) -> None:
    result = ok("config", "set", "dynamicRegistrationExpirationTime", "-1", *flags)
    assert result.stdout == "dynamicRegistrationExpirationTime = -1\n"
    refused = run("config", "set", "accessTokenLifetime", "-5", *flags)
    assert refused.exit_code == 1
    assert "accessTokenLifetime: Input should be greater than or equal to 1" in refused.stderr


def test_misspelled_properties_get_a_suggestion(flags: tuple[str, ...]) -> None:
    for args in (("get", "requirepkce"), ("set", "requirePKCE", "true")):
        result = run("config", *args, *flags)
        assert result.exit_code == 1
        assert f"Error: {args[1]}: unknown configuration property (did you mean requirePkce?)" in (
            result.stderr
        )
    far = run("config", "get", "zzzz", *flags)
    assert "Error: zzzz: unknown configuration property\n" in far.stderr


def test_listings_offer_json_and_text_shows_utc_times(flags: tuple[str, ...]) -> None:
    keys = json.loads(ok("keys", "list", "--json", *flags).stdout)
    rows = [line.split("\t") for line in ok("keys", "list", *flags).stdout.splitlines()]
    assert sorted(k["kid"] for k in keys) == sorted(r[0] for r in rows)
    for key in keys:
        row = next(r for r in rows if r[0] == key["kid"])
        moment = datetime.fromtimestamp(key["signs_from"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row[3] == moment
        assert row[4] == "-"
    users = json.loads(ok("users", "list", "--json", *flags).stdout)
    assert [u["username"] for u in users] == ["admin"]
    clients = json.loads(ok("clients", "list", "--json", *flags).stdout)
    assert [c["client_name"] for c in clients] == ["authgate admin (Config API)"]
    assert ok("config", "get", "requirePkce", "--json", *flags).stdout == "false\n"
    assert json.loads(ok("config", "get", "clientWhiteList", "--json", *flags).stdout) == ["*"]
    user = json.loads(ok("users", "show", "admin", "--json", *flags).stdout)
    text = ok("users", "show", "admin", *flags).stdout.splitlines()
    created = datetime.fromtimestamp(user["created_at"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"created_at      {created}" in text
    assert "username        admin" in text


def test_clients_delete_checks_the_client_before_asking(flags: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, ["clients", "delete", "ghost", *flags], input="y\n")
    assert result.exit_code == 1
    assert "Delete client" not in result.output
    assert "No client with client_id 'ghost'" in result.stderr
