"""Initial access tokens hold across server processes: two real ``authgate serve`` processes on
one database (one SQLite file, or one PostgreSQL database) spend a token's uses together, so a
one-use token registers one client however the requests are spread, and a revocation made
through the CLI stops the token on both at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from authgate.cli import main
from tests.e2e.harness import AuthgateServer
from tests.support import flow_registration_body

REGISTER = "/jans-auth/restv1/register"
RACERS = 6


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[AuthgateServer, AuthgateServer]]:
    local = ["--database-url", database_url]
    _cli("config", "set", "dynamicRegistrationPolicy", "initial_access_token", *local)
    # the races send more registrations from 127.0.0.1 than the default rate limit allows
    _cli("config", "set", "rateLimitRegistrationRequestCount", "0", *local)
    started = []
    try:
        for i in (1, 2):
            server = AuthgateServer(tmp_path / f"data-{i}", "admin password 1", database_url)
            (tmp_path / f"data-{i}").mkdir()
            started.append(server)
            server.start()
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def _race(servers: tuple[AuthgateServer, AuthgateServer], token: str) -> list[int]:
    """Send RACERS registrations with ``token`` at once, alternating between the servers."""
    barrier = threading.Barrier(RACERS)

    def register(i: int) -> int:
        url = servers[i % 2].issuer + REGISTER
        headers = {"Authorization": f"Bearer {token}"}
        barrier.wait()
        return httpx.post(
            url, json=flow_registration_body(), headers=headers, timeout=30
        ).status_code

    with ThreadPoolExecutor(RACERS) as pool:
        return sorted(pool.map(register, range(RACERS)))


def test_a_token_is_spent_across_two_server_processes(
    servers: tuple[AuthgateServer, AuthgateServer], database_url: str
) -> None:
    local = ["--database-url", database_url]
    for _ in range(3):
        token = _cli("clients", "initial-tokens", "create", "--max-uses", "1", *local).strip()
        assert _race(servers, token) == [201] + [401] * (RACERS - 1)
    shared = _cli("clients", "initial-tokens", "create", "--max-uses", "3", *local).strip()
    assert _race(servers, shared) == [201] * 3 + [401] * (RACERS - 3)

    spare = _cli("clients", "initial-tokens", "create", "--max-uses", "5", *local).strip()
    headers = {"Authorization": f"Bearer {spare}"}
    for server in servers:
        response = httpx.post(
            server.issuer + REGISTER, json=flow_registration_body(), headers=headers
        )
        assert response.status_code == 201, response.text
    rows = [
        line.split("\t") for line in _cli("clients", "initial-tokens", "list", *local).splitlines()
    ]
    [spare_id] = [row[0] for row in rows if row[2] == "2/5"]
    _cli("clients", "initial-tokens", "revoke", spare_id, *local)
    for server in servers:  # no instance keeps a copy: refused at once
        response = httpx.post(
            server.issuer + REGISTER, json=flow_registration_body(), headers=headers
        )
        assert response.status_code == 401, response.text
    clients = _cli("clients", "list", *local).splitlines()
    assert sum("PKCE Test Client" in line for line in clients) == 3 + 3 + 2
