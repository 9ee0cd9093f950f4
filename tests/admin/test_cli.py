"""``authgate config|clients|users|keys``: on the local database, and against a running server
with ``--url`` (a real ``authgate serve`` process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from joserfc.jwk import ECKey

from authgate.admin.commands import config_group
from authgate.cli import main
from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.crypto.keys import StoredKey
from authgate.storage.configuration import SqlConfigurationStore, SqlKeyStore
from authgate.storage.connect import open_database
from authgate.storage.security_events import SqlSecurityEventLog
from tests.conftest import _run
from tests.support import SQLITE_ONLY

ADMIN_ID = "cli-test-admin"
ADMIN_SECRET = "cli-test-admin-secret-0123456789"


def _cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


@pytest.fixture
async def local(
    database_url: str, signing_keys: list[StoredKey], monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Options that point a command at the test database (local mode).

    Every local command starts a runtime. As the ``runtime`` fixture does, the database is
    given the session's signing keys (a first start would generate RSA keys) and passwords
    are hashed at the tests' low argon2id cost (``password_hash_cost``): these tests are
    about the commands, and at full cost every start spends a quarter of a second on the
    hasher's dummy hash.
    """
    db = await open_database(database_url)
    try:
        for key in signing_keys:
            await SqlKeyStore(db).add(key)
    finally:
        await db.close()
    monkeypatch.setenv("AUTHGATE_PASSWORD_HASH_COST", "minimal")
    return ["--database-url", database_url]


def test_config_get_and_set_locally(local: list[str]) -> None:
    document = json.loads(_cli("config", "get", *local).stdout)
    assert document["clientAuthenticationFiltersEnabled"] is False
    assert _cli("config", "get", "accessTokenLifetime", *local).stdout == "300\n"

    result = _cli("config", "set", "clientAuthenticationFiltersEnabled", "true", *local)
    assert result.exit_code == 0, result.output
    assert result.stdout == "clientAuthenticationFiltersEnabled = true\n"
    assert _cli("config", "set", "accessTokenLifetime", "600", *local).exit_code == 0
    assert (
        _cli(
            "config", "set", "clientWhiteList", "https://*.example.com/*, http://*", *local
        ).exit_code
        == 0
    )
    assert _cli("config", "set", "defaultSubjectType", "public", *local).exit_code == 0
    document = json.loads(_cli("config", "get", *local).stdout)
    assert document["clientAuthenticationFiltersEnabled"] is True
    assert document["accessTokenLifetime"] == 600
    assert document["clientWhiteList"] == ["https://*.example.com/*", "http://*"]
    assert document["defaultSubjectType"] == "public"


def _revision(local: list[str]) -> int:
    """The stored configuration's revision, read from the database ``local`` names."""

    async def read() -> int:
        db = await open_database(local[1])
        try:
            loaded = await SqlConfigurationStore(db).load()
        finally:
            await db.close()
        assert loaded is not None
        return loaded[0]

    revision: int = _run(read())
    return revision


def test_several_properties_are_set_together_or_not_at_all(local: list[str]) -> None:
    """NAME VALUE pairs: one revision with every change; one refused value stores none."""
    before = json.loads(_cli("config", "get", *local).stdout)
    revision = _revision(local)
    result = _cli(
        "config", "set", "selfServiceSignUpEnabled", "true",
        "accessTokenLifetime", "900", "requirePkce", "true", *local,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "selfServiceSignUpEnabled = true\naccessTokenLifetime = 900\nrequirePkce = true\n"
    )
    shown = _cli("config", "get", *local)
    assert shown.exit_code == 0, shown.output
    after = json.loads(shown.stdout)
    assert after == before | {
        "selfServiceSignUpEnabled": True,
        "accessTokenLifetime": 900,
        "requirePkce": True,
    }
    assert _revision(local) == revision + 1  # one revision for the three
    refused = _cli("config", "set", "requirePkce", "false", "idTokenLifetime", "0", *local)
    assert refused.exit_code == 1 and "idTokenLifetime" in refused.stderr
    assert json.loads(_cli("config", "get", *local).stdout) == after  # requirePkce stays
    for args, message in (
        (("requirePkce",), "'requirePkce' has no value"),
        (("requirePkce", "true", "accessTokenLifetime"), "'accessTokenLifetime' has no value"),
        (("requirePkce", "true", "requirePkce", "false"), "requirePkce given more than once"),
    ):
        usage = _cli("config", "set", *args, *local)
        assert usage.exit_code == 2 and message in usage.stderr, usage.output


def test_self_service_pages_without_smtp_leave_the_commands_working(local: list[str]) -> None:
    """`authgate serve` refuses to start with a self-service page on and no SMTP server
    (tests/startup/test_serve_failures.py); the admin commands send no mail, and one of
    them is how the operator switches the page off again, so they keep working."""
    assert "AUTHGATE_SMTP_HOST" not in os.environ
    on = _cli("config", "set", "selfServicePasswordResetEnabled", "true", *local)
    assert on.exit_code == 0, on.output
    shown = _cli("config", "get", "selfServicePasswordResetEnabled", *local)
    assert (shown.exit_code, shown.stdout) == (0, "true\n"), shown.output
    off = _cli("config", "set", "selfServicePasswordResetEnabled", "false", *local)
    assert off.exit_code == 0, off.output


def test_secret_properties_are_write_only_in_the_cli(local: list[str]) -> None:
    document = json.loads(_cli("config", "get", *local).stdout)
    assert "pairwiseCalculationKey" not in document
    shown = CliRunner().invoke(main, ["config", "get", "pairwiseCalculationSalt", *local])
    assert shown.exit_code != 0
    assert "pairwiseCalculationSalt: write-only" in shown.output
    result = _cli("config", "set", "pairwiseCalculationSalt", "a-new-salt-value", *local)
    assert result.exit_code == 0, result.output
    assert result.stdout == "pairwiseCalculationSalt set\n"
    assert "a-new-salt-value" not in _cli("config", "get", *local).stdout


@SQLITE_ONLY  # refused before anything is written
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("accessTokenLifetime", "-5", "accessTokenLifetime: Input should be greater than"),
        ("accessTokenLifetime", "five", "accessTokenLifetime: expected an integer"),
        ("requirePkce", "maybe", "requirePkce: expected true or false"),
        ("noSuchProperty", "1", "noSuchProperty: unknown configuration property"),
        (
            "tokenEndpointAuthMethodsSupported",
            "tls_client_auth",
            "tokenEndpointAuthMethodsSupported",
        ),
    ],
)
def test_config_set_refuses_invalid_values(
    local: list[str], name: str, value: str, message: str
) -> None:
    before = _cli("config", "get", *local).stdout
    result = _cli("config", "set", *local, "--", name, value)  # "--": VALUE may start with "-"
    assert result.exit_code == 1
    assert message in result.stderr
    assert _cli("config", "get", *local).stdout == before


def test_local_mode_is_provided_by_the_authgate_command(local: list[str]) -> None:
    """The admin commands do not start a runtime themselves: run outside ``authgate`` (no
    local backend provided), local mode is a usage error and nothing is opened."""
    result = CliRunner().invoke(config_group, ["get", *local])
    assert result.exit_code == 2
    assert "No local database access here: pass --url" in result.stderr


def test_clients_locally(local: list[str]) -> None:
    created = _cli(
        "clients", "create", "--name", "Billing", "--grant-type", "client_credentials",
        "--scope", "https://jans.io/oauth/jans-auth-server/config/properties.readonly", *local,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    client = json.loads(created.stdout)
    assert client["client_secret"]
    assert client["response_types"] == []
    listed = _cli("clients", "list", *local).stdout
    assert "Billing" in listed and "authgate admin (Config API)" in listed
    rows = {line.split("\t")[1]: line.split("\t") for line in listed.splitlines()}
    assert rows["Billing"] == [client["client_id"], "Billing", "client_secret_basic",
                               "client_credentials", "enabled"]  # fmt: skip
    assert "Billing" not in _cli("clients", "list", "--search", "admin", *local).stdout
    shown = json.loads(_cli("clients", "show", client["client_id"], "--json", *local).stdout)
    assert "client_secret" not in shown
    refused = _cli("clients", "create", "--redirect-uri", "http://evil.example/cb", *local)
    assert refused.exit_code == 1 and "evil.example" in refused.stderr
    assert _cli("clients", "delete", client["client_id"], *local, input="n\n").exit_code == 1
    assert _cli("clients", "delete", client["client_id"], "--yes", *local).exit_code == 0
    missing = _cli("clients", "show", client["client_id"], *local)
    assert missing.exit_code == 1 and "No client" in missing.stderr


def test_clients_from_a_file_and_replaced_from_what_show_prints(
    local: list[str], tmp_path: Path
) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    members = {
        "client_name": "From a file",
        "grant_types": ["client_credentials"],
        "response_types": [],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [dict(key.as_dict(private=False))]},
        "backchannel_logout_uri": ["https://rp.example/bc"],
    }
    source = tmp_path / "client.json"
    source.write_text(json.dumps(members))
    created = _cli("clients", "create", "--from-file", str(source), "--name", "Named", *local)
    assert created.exit_code == 0, created.output
    client = json.loads(created.stdout)
    assert client["client_name"] == "Named"  # an option overrides the file
    assert client["jwks"] == members["jwks"] and "client_secret" not in client
    assert client["backchannel_logout_uri"] == ["https://rp.example/bc"]
    # update: start from `show --json`, change a member, replace
    cid = client["client_id"]
    shown = json.loads(_cli("clients", "show", cid, "--json", *local).stdout)
    source.write_text(json.dumps(shown | {"require_par": True}))
    updated = _cli("clients", "update", cid, "--from-file", str(source), *local)
    assert updated.exit_code == 0, updated.output
    after = json.loads(updated.stdout)
    assert after["require_par"] is True and after["jwks"] == members["jwks"]
    # stdin, and errors that say what is wrong
    piped = _cli("clients", "update", cid, "--from-file", "-", *local, input="[1]")
    assert piped.exit_code == 1 and "JSON object" in piped.stderr
    typo = _cli("clients", "update", cid, "--from-file", "-", *local, input='{"colour": 1}')
    assert typo.exit_code == 1 and "colour" in typo.stderr
    assert _cli("clients", "update", cid, *local).exit_code == 2


async def _stored_events(database_url: str) -> list[SecurityEvent]:
    db = await open_database(database_url)
    try:
        return await SqlSecurityEventLog(db).list()
    finally:
        await db.close()


def test_client_creation_and_deletion_are_security_events(
    local: list[str], database_url: str
) -> None:
    created = _cli("clients", "create", "--name", "Events", "--redirect-uri", "https://a.example/cb",
                   *local)  # fmt: skip
    assert created.exit_code == 0, created.output
    client_id = json.loads(created.stdout)["client_id"]
    assert _cli("clients", "delete", client_id, "--yes", *local).exit_code == 0
    events = [e for e in _run(_stored_events(database_url)) if e.client_id == client_id]
    assert [(e.kind, e.source, e.detail) for e in events] == [
        (EventKind.CLIENT_DELETED, None, "deleted by an administrator"),
        (EventKind.CLIENT_REGISTERED, None, "created by an administrator"),
    ]


def test_users_and_keys_locally(local: list[str]) -> None:
    added = _cli("users", "add", "bob", "--password", "bob password 1", "--email", "b@x.io", *local)
    assert added.exit_code == 0, added.output
    assert "bob" in _cli("users", "list", *local).stdout
    assert (
        _cli("users", "set-password", "bob", "--password", "bob password 2", *local).exit_code == 0
    )
    assert _cli("users", "disable", "bob", *local).exit_code == 0
    assert json.loads(_cli("users", "show", "bob", "--json", *local).stdout)["enabled"] is False
    assert "enabled         false" in _cli("users", "show", "bob", *local).stdout.splitlines()
    assert _cli("users", "enable", "bob", *local).exit_code == 0
    short = _cli("users", "add", "carol", "--password", "short", *local)
    assert short.exit_code == 1 and "password" in short.stderr
    duplicate = _cli("users", "add", "bob", "--password", "bob password 3", *local)
    assert duplicate.exit_code == 1 and "already exists" in duplicate.stderr

    before = _cli("keys", "list", *local).stdout.splitlines()
    rotated = _cli("keys", "rotate", *local)
    assert rotated.exit_code == 0
    assert "RS256: connect_" in rotated.stdout and "signs from" in rotated.stdout
    after = _cli("keys", "list", *local).stdout
    assert "\tnext\t" in after and len(after.splitlines()) == 2 * len(before)  # one per alg


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real ``authgate serve`` on a fresh SQLite database, with known admin credentials."""
    data = tmp_path_factory.mktemp("server")
    port = _free_port()
    env = {
        **os.environ,
        "AUTHGATE_ADMIN_CLIENT_ID": ADMIN_ID,
        "AUTHGATE_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "AUTHGATE_ADMIN_PASSWORD": "admin password 1",
        "AUTHGATE_MANAGEMENT_ADDRESS": "off",
    }
    proc = subprocess.Popen(
        # one process: the tests read rate limits and events of one worker's counting
        [
            sys.executable,
            "-m",
            "authgate",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError("server did not start")
        yield url, data
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()


def _remote(url: str) -> list[str]:
    return ["--url", url, "--client-id", ADMIN_ID, "--client-secret", ADMIN_SECRET]


def test_remote_config_and_clients(server: tuple[str, Path]) -> None:
    url, _ = server
    first = _cli("config", "get", "requirePkce", *_remote(url))
    assert first.stdout == "false\n"
    assert first.stderr == f"server: {url} (Config API)\n"  # never a local database
    both = _cli("config", "set", "requirePkce", "yes", "accessTokenLifetime", "420", *_remote(url))
    assert both.exit_code == 0, both.output
    assert both.stdout == "requirePkce = true\naccessTokenLifetime = 420\n"
    assert _cli("config", "get", "requirePkce", *_remote(url)).stdout == "true\n"
    assert _cli("config", "get", "accessTokenLifetime", *_remote(url)).stdout == "420\n"
    refused = _cli("config", "set", "idTokenLifetime", "0", *_remote(url))
    assert refused.exit_code == 1 and "idTokenLifetime" in refused.stderr
    assert "authgate admin (Config API)" in _cli("clients", "list", *_remote(url)).stdout
    env = {"AUTHGATE_ADMIN_URL": url, "AUTHGATE_ADMIN_CLIENT_ID": ADMIN_ID,
           "AUTHGATE_ADMIN_CLIENT_SECRET": ADMIN_SECRET}  # fmt: skip
    assert _cli("config", "get", "requirePkce", env=env).stdout == "true\n"
    _cli("config", "set", "requirePkce", "false", *_remote(url))


def test_local_change_reaches_the_running_server(server: tuple[str, Path]) -> None:
    """A direct-database change is picked up by the server within config_poll_interval."""
    url, data = server
    database = f"sqlite:///{data / 'authgate.db'}"
    result = _cli("config", "set", "accessTokenLifetime", "321", "--database-url", database)
    assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        remote = _cli("config", "get", "accessTokenLifetime", *_remote(url)).stdout
        if remote == "321\n":
            break
        time.sleep(0.2)
    assert remote == "321\n"


def test_remote_errors_are_clear(server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = server
    wrong = _cli(
        "config", "get", "--url", url, "--client-id", ADMIN_ID, "--client-secret", "x" * 20
    )
    assert wrong.exit_code == 1 and "admin credentials refused" in wrong.stderr
    down = _cli("config", "get", *_remote(f"http://127.0.0.1:{_free_port()}"))
    assert down.exit_code == 1 and "server unreachable" in down.stderr
    incomplete = _cli(
        "config", "get", "--url", url, env={"AUTHGATE_ADMIN_CONFIG": str(tmp_path / "none.toml")}
    )
    assert incomplete.exit_code == 1 and "--client-id" in incomplete.stderr
    file = tmp_path / "admin.toml"
    file.write_text(f'url = "{url}"\nclient_id = "{ADMIN_ID}"\nclient_secret = "{ADMIN_SECRET}"\n')
    assert _cli("config", "get", "requirePkce", "--config-file", str(file)).exit_code == 0
    tui = _cli("tui", "--url", url, "--client-id", ADMIN_ID, "--client-secret", "x" * 20)
    assert tui.exit_code == 1 and "admin credentials refused" in tui.stderr
