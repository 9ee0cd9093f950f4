"""Brute-force protection across server processes: two real ``authgate serve`` processes on one
database (PostgreSQL, and one SQLite file) share their counters. Failed logins made to one make
the other refuse; the Config API of either lists and clears them (``authgate lockouts --url``);
client secret guesses made to one are refused by the other once its background sync has run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from authgate.cli import main
from authgate.storage.failures import SYNC_INTERVAL
from tests.e2e.harness import CHEAP_PASSWORD_HASHES, free_port
from tests.support import authorize_params, flow_registration_body, hidden_form, s256

ADMIN_ID = "lockout-test-admin"
ADMIN_SECRET = "lockout-test-admin-secret-0123456789"
ADMIN_PASSWORD = "admin password 1"
#: A wait no step of the test outlasts, so what is throttled stays throttled.
PROTECTION = '{"delayTime": 120, "maximumDelayTime": 600}'


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    return env | {
        "AUTHGATE_ADMIN_CLIENT_ID": ADMIN_ID,
        "AUTHGATE_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "AUTHGATE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "AUTHGATE_CONFIG_POLL_INTERVAL": "0.2",
        **CHEAP_PASSWORD_HASHES,
    }


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=_env(), catch_exceptions=False)


def _start(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "authgate", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--database-url", database_url, "--workers", "1"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=_env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"authgate exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/.well-known/openid-configuration").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.terminate()
    raise AssertionError("authgate did not start")


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two server processes on the test's database, with long waits configured."""
    local = ["--database-url", database_url]
    configured = _cli("config", "set", "authenticationProtectionConfiguration", PROTECTION, *local)
    assert configured.exit_code == 0, configured.output
    started = []
    try:
        for name in ("a", "b"):
            started.append(_start(database_url, tmp_path / f"server-{name}.log"))
        yield started[0][1], started[1][1]
    finally:
        for process, _url in started:
            process.terminate()
            process.wait(timeout=15)


def _login(url: str, client_id: str, password: str) -> httpx.Response:
    """One login on a fresh login page of the server at ``url``; never a 5xx."""
    with httpx.Client(base_url=url, timeout=10) as browser:
        params = authorize_params(client_id, s256("v" * 64), "S256")
        redirect = browser.get("/jans-auth/restv1/authorize", params=params)
        assert redirect.status_code == 302, redirect.text
        page = browser.get(redirect.headers["location"])
        _action, fields = hidden_form(page.text)
        fields |= {"username": "admin", "password": password}
        response = browser.post("/jans-auth/login.htm", data=fields)
        assert response.status_code < 500, response.text
        return response


def _remote(url: str) -> list[str]:
    return ["--url", url, "--client-id", ADMIN_ID, "--client-secret", ADMIN_SECRET]


def _token(url: str, secret: str) -> httpx.Response:
    response = httpx.post(
        f"{url}/jans-auth/restv1/token",
        data={"grant_type": "client_credentials"},
        auth=(ADMIN_ID, secret),
        timeout=10,
    )
    assert response.status_code < 500, response.text
    return response


def test_counters_are_shared_by_server_processes(
    servers: tuple[str, str], database_url: str
) -> None:
    a, b = servers
    client_id = httpx.post(f"{a}/jans-auth/restv1/register", json=flow_registration_body()).json()[
        "client_id"
    ]

    # six wrong passwords at A: B refuses the right one, before any password check
    for _ in range(6):
        assert _login(a, client_id, "wrong").status_code == 401
    refused = _login(b, client_id, ADMIN_PASSWORD)
    assert refused.status_code == 401
    wait = int(refused.headers["retry-after"])
    assert 110 <= wait <= 120  # real time passes between the steps
    assert f"Try again in {wait} seconds." in refused.text

    # either Config API lists it; clearing it through A lets the owner in at B at once
    listed = _cli("lockouts", "list", *_remote(b)).stdout.splitlines()
    throttled = [line.split("\t") for line in listed if "\tthrottled\t" in line]
    assert [(r[3], r[4], r[5]) for r in throttled] == [("login", "admin", "127.0.0.1")]
    cleared = _cli("lockouts", "clear", "--username", "admin", *_remote(a))
    assert cleared.stdout == "cleared 2 counters\n"
    assert _login(b, client_id, ADMIN_PASSWORD).status_code == 303

    # client secret guesses at A: B refuses the right secret once it has synced
    for _ in range(6):
        assert _token(a, "wrong").status_code == 401
    time.sleep(2 * SYNC_INTERVAL + 0.5)
    at_b = _token(b, ADMIN_SECRET)
    assert at_b.status_code == 401, at_b.text
    assert at_b.json()["error"] == "invalid_client"
    assert 110 <= int(at_b.headers["retry-after"]) <= 120  # real time has passed
    assert _token(a, ADMIN_SECRET).status_code == 401

    # cleared in the database (local CLI), both answer again
    local = ["--database-url", database_url]
    assert _cli("lockouts", "clear", "--client", ADMIN_ID, *local).exit_code == 0
    assert _token(b, ADMIN_SECRET).status_code == 200
    assert _token(a, ADMIN_SECRET).status_code == 200
