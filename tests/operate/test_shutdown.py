"""SIGTERM drains: a request in flight finishes (its write committed), new connections are
refused at once, and the process exits 0 within ``AUTHGATE_SHUTDOWN_TIMEOUT``: one server
process (``--workers 1``) and the supervisor of forked workers alike.

The slow request is a registration whose ``sector_identifier_uri`` document takes seconds to
arrive from a local site (the server fetches it while the request waits).
"""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import httpx
import pytest

from authgate.storage.clients import SqlClientStore
from authgate.storage.connect import open_database
from tests.operate.server import Server, no_rate_limits
from tests.sector_site import Answer, SectorSite

REGISTER = "/jans-auth/restv1/register"
REDIRECT = "https://rp.example/cb"
LOOPBACK_SECTORS = {"AUTHGATE_SECTOR_IDENTIFIER_ALLOW_HTTP_LOOPBACK": "true"}


def _register(url: str, sector_uri: str) -> httpx.Response:
    body = {
        "client_name": "slow",
        "redirect_uris": [REDIRECT],
        "sector_identifier_uri": sector_uri,
        "token_endpoint_auth_method": "none",
    }
    return httpx.post(url + REGISTER, json=body, timeout=30)


def _refused(url: str) -> bool:
    """Whether a new connection goes unserved: refused, or (accepted by the kernel's backlog
    while the listening socket closes) reset before any answer."""
    try:
        httpx.get(url + "/.well-known/openid-configuration", timeout=2)
    except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
        return True
    return False


async def _client_exists(database_url: str, client_id: str) -> bool:
    db = await open_database(database_url)
    try:
        return await SqlClientStore(db).get(client_id) is not None
    finally:
        await db.close()


@pytest.fixture
def sector() -> SectorSite:
    return SectorSite()


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "forked-workers"])
async def test_sigterm_lets_the_request_in_flight_finish(
    database_url: str, tmp_path: Path, sector: SectorSite, workers: int
) -> None:
    """With one process, and with the supervisor of forked workers (which must close its
    copy of the listening socket, or new connections would queue for no one)."""
    env = {**LOOPBACK_SECTORS, "AUTHGATE_SHUTDOWN_TIMEOUT": "10"}
    server = Server(database_url, tmp_path / "server.log", workers=workers, env=env).start()
    with sector, concurrent.futures.ThreadPoolExecutor(1) as pool:
        sector.answers["/s.json"] = Answer(f'["{REDIRECT}"]'.encode(), delay=2.0)
        try:
            with httpx.Client(base_url=server.url) as http:
                no_rate_limits(http)
            pending = pool.submit(_register, server.url, sector.url("/s.json"))
            deadline = time.monotonic() + 10
            while not sector.hits:  # the registration is now waiting for the document
                assert time.monotonic() < deadline
                time.sleep(0.01)
            signalled = time.monotonic()
            server.terminate()
            while not _refused(server.url):  # new connections are refused meanwhile
                assert time.monotonic() - signalled < 1.0, "still accepting connections"
                time.sleep(0.02)
            assert not pending.done()
            response = pending.result(timeout=15)
            assert server.process is not None
            status = server.process.wait(timeout=15)
            stopped = time.monotonic() - signalled
        finally:
            server.stop()
    assert response.status_code == 201, response.text
    assert status == 0, server.log_tail()
    assert stopped < 10
    assert await _client_exists(database_url, response.json()["client_id"])


async def test_the_drain_is_bounded_by_the_timeout(
    sqlite_template: Path, tmp_path: Path, sector: SectorSite
) -> None:
    """A request slower than the timeout is cut off; the process still exits, and in time."""
    target = tmp_path / "authgate.db"
    target.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite+aiosqlite:///{target}"
    env = {**LOOPBACK_SECTORS, "AUTHGATE_SHUTDOWN_TIMEOUT": "1"}
    server = Server(url, tmp_path / "server.log", env=env).start()
    with sector, concurrent.futures.ThreadPoolExecutor(1) as pool:
        sector.answers["/s.json"] = Answer(f'["{REDIRECT}"]'.encode(), delay=4.5)
        try:
            with httpx.Client(base_url=server.url) as http:
                no_rate_limits(http)
            pending = pool.submit(_register, server.url, sector.url("/s.json"))
            deadline = time.monotonic() + 10
            while not sector.hits:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            signalled = time.monotonic()
            server.terminate()
            assert server.process is not None
            status = server.process.wait(timeout=15)
            stopped = time.monotonic() - signalled
            with pytest.raises(httpx.HTTPError):
                pending.result(timeout=15).raise_for_status()
        finally:
            server.stop()
    assert status == 0, server.log_tail()
    assert stopped < 4.0  # the 1 s timeout, then the runtime's own stop
