"""A rate limit holds across server processes: two real ``authgate serve`` processes on one
database (one SQLite file, or one PostgreSQL database) share their counts, and a refused
window is reported once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from authgate.cli import main
from tests.e2e.harness import CHEAP_PASSWORD_HASHES, LOOPBACK, free_port
from tests.support import flow_registration_body

#: Longer than the servers' sync interval (AUTHGATE_RATE_LIMIT_SYNC_INTERVAL, 0.2 s) plus a
#: write and a read.
SETTLE = 0.8
REGISTER = "/jans-auth/restv1/register"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


class Server:
    """``python -m authgate serve`` on ``database_url``, stopped by its pid."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
        env |= {
            "AUTHGATE_ADMIN_PASSWORD": "admin password 1",
            "AUTHGATE_LOG_LEVEL": "warning",
            "AUTHGATE_MANAGEMENT_ADDRESS": "off",
            **CHEAP_PASSWORD_HASHES,
        }
        command = [sys.executable, "-m", "authgate", "serve", "--host", LOOPBACK]
        command += ["--port", str(self.port), "--database-url", database_url, "--workers", "1"]
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"authgate exited:\n{self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/.well-known/openid-configuration").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"authgate did not start:\n{self.log.read_text(errors='replace')}")

    def register(self) -> httpx.Response:
        return httpx.post(self.url + REGISTER, json=flow_registration_body(), timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    local = ["--database-url", database_url]
    # A day-long window: the test cannot straddle two windows unless it runs at midnight UTC.
    _cli("config", "set", "rateLimitRegistrationPeriodInSeconds", "86400", *local)
    _cli("config", "set", "rateLimitRegistrationRequestCount", "3", *local)
    started = [Server(database_url, tmp_path / f"server-{i}.log") for i in (1, 2)]
    try:
        for server in started:
            server.wait()
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def test_a_limit_holds_across_two_server_processes(
    servers: tuple[Server, Server], database_url: str
) -> None:
    a, b = servers
    assert [a.register().status_code for _ in range(2)] == [201, 201]
    time.sleep(SETTLE)
    assert b.register().status_code == 201  # the third of three, counted on b
    time.sleep(SETTLE)
    refused = a.register()  # a learned of b's registration
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "temporarily_unavailable"
    assert 1 <= int(refused.headers["retry-after"]) <= 86400
    assert b.register().status_code == 429
    time.sleep(SETTLE)
    # both processes refused; the window is reported once
    events = json.loads(
        _cli("events", "list", "--kind", "rate_limited", "--json", "--database-url", database_url)
    )
    assert [(e["source"], e["detail"]) for e in events] == [
        ("127.0.0.1", "too many registration requests")
    ]
    clients = _cli("clients", "list", "--database-url", database_url).splitlines()
    assert sum("PKCE Test Client" in line for line in clients) == 3
