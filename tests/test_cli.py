"""The ``authgate`` command line: pkce, migrate and users, against temporary SQLite files."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from authgate.cli import main
from authgate.settings import Settings
from authgate.storage.connect import open_database
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
    tests' low cost. The hashes stay argon2id and carry their cost, as login reads them."""
    monkeypatch.setattr("authgate.runtime.Argon2PasswordHasher", fast_hasher)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def pkce_values(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


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


def test_users_add_then_list(tmp_path: Path) -> None:
    flags = ("--data-dir", str(tmp_path / "data"))
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


def test_users_add_refuses_an_existing_username(tmp_path: Path) -> None:
    flags = ("--data-dir", str(tmp_path / "data"))
    ok("users", "add", "alice", "--password", "alice-password-1", *flags)
    again = run("users", "add", "alice", "--password", "other-password-2", *flags)
    assert again.exit_code == 1
    assert "user 'alice' already exists" in again.output
    assert list(user_rows(*flags)).count("alice") == 1


def test_users_commands_accept_a_plain_sqlite_database_url(tmp_path: Path) -> None:
    flags = ("--database-url", f"sqlite:///{tmp_path / 'elsewhere.db'}")
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


def test_set_password_changes_what_login_accepts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    flags = ("--data-dir", str(settings.data_dir))
    ok("users", "add", "dave", "--password", "first-password-1", *flags)
    assert asyncio.run(_password_accepted(settings, "dave", "first-password-1"))
    assert not asyncio.run(_password_accepted(settings, "dave", "second-password-2"))

    changed = ok("users", "set-password", "dave", "--password", "second-password-2", *flags)
    assert changed.stdout == "password of dave changed\n"
    assert asyncio.run(_password_accepted(settings, "dave", "second-password-2"))
    assert not asyncio.run(_password_accepted(settings, "dave", "first-password-1"))


def test_set_password_of_an_unknown_user_fails(tmp_path: Path) -> None:
    result = run(
        "users", "set-password", "ghost", "--password", "whatever-1", "--data-dir", str(tmp_path)
    )
    assert result.exit_code == 1
    assert "no user 'ghost'" in result.output
