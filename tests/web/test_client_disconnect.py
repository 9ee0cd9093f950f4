"""A client that closes the connection in the middle of its request body, against a real
``authgate serve`` process: one INFO line in the server log, no "unhandled error", no
traceback, and the server keeps serving."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import LOOPBACK, AuthgateServer
from tests.lifecycle import REGISTER, TOKEN

ABORTED = "closed the connection"


@pytest.fixture
def server(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[AuthgateServer]:
    database_url = None
    if backend == "postgres":
        database_url = str(request.getfixturevalue("database_url"))
    process = AuthgateServer(
        data_dir=tmp_path / "data",
        admin_password=secrets.token_urlsafe(12),
        database_url=database_url,
    )
    try:
        process.start()
        yield process
    finally:
        process.stop()


def _send_partial(port: int, path: str, content_type: str, partial: bytes) -> None:
    """Headers announcing 1000 body bytes, fewer bytes, then close."""
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {LOOPBACK}:{port}\r\n"
        f"Content-Type: {content_type}\r\n"
        "Content-Length: 1000\r\n"
        "\r\n"
    ).encode()
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        sock.sendall(head + partial)
        time.sleep(0.2)  # let the server start reading the body


def _log_lines(server: AuthgateServer, needle: str, count: int, timeout: float = 10) -> list[str]:
    """The log's lines containing ``needle``, once there are ``count`` of them (or timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [x for x in server.log_path.read_text(errors="replace").splitlines() if needle in x]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_aborted_request_bodies_are_one_info_line(server: AuthgateServer) -> None:
    _send_partial(
        server.port, TOKEN, "application/x-www-form-urlencoded", b"grant_type=client_cred"
    )
    _send_partial(server.port, REGISTER, "application/json", b'{"redirect_uris": ["ht')

    _log_lines(server, ABORTED, 2)
    with httpx.Client(base_url=server.issuer, timeout=10) as client:
        assert client.get("/.well-known/openid-configuration").status_code == 200
    time.sleep(0.3)  # anything else the aborts would log has arrived by now
    log = server.log_path.read_text(errors="replace")

    assert "unhandled error" not in log, server.log_tail()
    assert "Traceback" not in log, server.log_tail()
    assert "Exception in ASGI application" not in log, server.log_tail()
    assert "ClientDisconnect" not in log, server.log_tail()
    lines = [x for x in log.splitlines() if ABORTED in x]
    assert len(lines) == 2, server.log_tail()
    assert [TOKEN in lines[0], REGISTER in lines[1]] == [True, True]
    assert all(" INFO " in line for line in lines)
