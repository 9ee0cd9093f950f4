"""Slow, silent and oversized clients against a real ``authgate serve`` on 127.0.0.1: what only
the server's connection protocol can enforce (authgate.web.http_protocol).

One server with one-second timeouts and a cap of 40 connections checks each bound on its own;
another, with two workers, serves a whole flow while 3,600 hostile or idle connections are
open. Every socket is closed and every server stopped at the end; nothing waits longer than
its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import secrets
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.e2e.harness import LOOPBACK, AuthgateServer
from tests.support import Browser, Flow, authorize_params, new_verifier, s256, token_form

JWKS = "/jans-auth/restv1/jwks"
GET_JWKS = f"GET {JWKS} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
CAP = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthgateServer]:
    """One worker, one-second timeouts, at most 40 connections."""
    base = tmp_path_factory.mktemp("slow-clients")
    options = ["--first-byte-timeout", "1", "--header-timeout", "1", "--body-timeout", "1"]
    options += ["--keep-alive-timeout", "1", "--max-connections", str(CAP)]
    server = AuthgateServer(base / "data", secrets.token_urlsafe(12), args=tuple(options))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def connections(server: AuthgateServer, count: int = 1) -> Iterator[list[socket.socket]]:
    """``count`` open connections to ``server``, all closed on exit."""
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection((LOOPBACK, server.port), timeout=5)
            opened.append(sock)
        yield opened
    finally:
        for sock in opened:
            sock.close()


def read_until_closed(sock: socket.socket, deadline: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it did."""
    received = b""
    while True:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        except TimeoutError:
            raise AssertionError(f"open at the deadline; got {received[:200]!r}") from None
        if not chunk:
            return received, time.monotonic()
        received += chunk


def read_response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body) from a kept-alive connection."""
    sock.settimeout(5)
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, body = received.split(b"\r\n\r\n", 1)
    length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
    while len(body) < length:
        body += sock.recv(65536)
    assert len(body) == length
    return head + b"\r\n\r\n" + body


def json_body(response: bytes) -> dict[str, str]:
    body: dict[str, str] = orjson.loads(response.split(b"\r\n\r\n", 1)[1])
    return body


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


# --- timeouts -----------------------------------------------------------------------------


def test_silent_connection_is_closed_after_the_first_byte_timeout(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        start = time.monotonic()
        received, closed = read_until_closed(sock, start + 5)
    assert received == b""
    assert 0.8 <= closed - start < 3


def test_blank_lines_do_not_hold_a_connection_open(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        start = time.monotonic()
        for _ in range(4):  # 1.2 s of line breaks, which start no request
            with contextlib.suppress(OSError):
                sock.sendall(b"\r\n")
            time.sleep(0.3)
        received, closed = read_until_closed(sock, start + 5)
    assert received == b""
    assert closed - start < 3


def test_slow_request_head_is_408(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        start = time.monotonic()
        sock.sendall(f"GET {JWKS} HTTP/1.1\r\nHost: x\r\nX-Slow: ".encode())
        for _ in range(3):  # a byte every 0.4 s: never a complete head
            with contextlib.suppress(OSError):
                sock.sendall(b"a")
            time.sleep(0.4)
        received, closed = read_until_closed(sock, start + 5)
    assert status_of(received) == 408
    assert json_body(received) == {
        "error": "invalid_request",
        "error_description": "The request's headers did not arrive in time",
    }
    assert closed - start < 3


def test_slow_request_body_is_408(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        start = time.monotonic()
        sock.sendall(
            b"POST /jans-auth/restv1/token HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
            b"grant_type="
        )
        received, closed = read_until_closed(sock, start + 5)
    assert status_of(received) == 408
    assert json_body(received)["error_description"] == "The request's body did not arrive in time"
    assert 0.8 <= closed - start < 3


def test_idle_keep_alive_connection_is_closed(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        sock.sendall(GET_JWKS)
        start = time.monotonic()
        received, closed = read_until_closed(sock, start + 5)
    assert status_of(received) == 200
    assert 0.8 <= closed - start < 3


def test_requests_on_a_kept_connection_each_get_their_time(server: AuthgateServer) -> None:
    """Two requests 0.6 s apart on one connection: neither timeout counts from the start."""
    with connections(server) as (sock,):
        for _ in range(2):
            sock.sendall(f"GET {JWKS} HTTP/1.1\r\nHost: x\r\n".encode())
            time.sleep(0.6)
            sock.sendall(b"\r\n")
            assert status_of(read_response(sock)) == 200
            time.sleep(0.6)


# --- limits while the head arrives ---------------------------------------------------------


def test_long_request_target_is_414_before_the_head_ends(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        sock.sendall(f"GET {JWKS}?q={'a' * 9000}".encode())  # no version, no headers yet
        received, _ = read_until_closed(sock, time.monotonic() + 5)
    assert status_of(received) == 414
    assert json_body(received) == {
        "error": "invalid_request",
        "error_description": "The request target exceeds 8192 bytes",
    }


def test_long_authorization_request_is_a_414_page(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        sock.sendall(f"GET /jans-auth/restv1/authorize?state={'s' * 9000} HTTP/1.1\r\n".encode())
        received, _ = read_until_closed(sock, time.monotonic() + 5)
    assert status_of(received) == 414
    assert b"content-type: text/html" in received
    assert b"invalid_request" in received


def test_too_many_header_fields_are_431(server: AuthgateServer) -> None:
    fields = b"".join(b"X-H%d: 1\r\n" % i for i in range(101))
    with connections(server) as (sock,):
        sock.sendall(f"GET {JWKS} HTTP/1.1\r\n".encode() + fields + b"\r\n")
        received, _ = read_until_closed(sock, time.monotonic() + 5)
    assert status_of(received) == 431
    assert json_body(received)["error_description"] == (
        "The request has more than 100 header fields"
    )


def test_huge_header_field_is_431(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        sock.sendall(f"GET {JWKS} HTTP/1.1\r\nX-Big: ".encode() + b"v" * 17_000 + b"\r\n\r\n")
        received, _ = read_until_closed(sock, time.monotonic() + 5)
    assert status_of(received) == 431
    assert json_body(received)["error_description"] == (
        "The request's header fields exceed 16384 bytes"
    )


def test_unfinished_head_over_the_bound_is_431_at_once(server: AuthgateServer) -> None:
    """A field that never ends is refused once the head's bytes pass the bound, not buffered
    until the head timeout."""
    with connections(server) as (sock,):
        start = time.monotonic()
        sock.sendall(f"GET {JWKS} HTTP/1.1\r\nX-Big: ".encode() + b"v" * 200_000)
        received, closed = read_until_closed(sock, start + 5)
    assert status_of(received) == 431
    assert closed - start < 0.8


def test_malformed_request_is_400(server: AuthgateServer) -> None:
    with connections(server) as (sock,):
        sock.sendall(b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n")
        received, _ = read_until_closed(sock, time.monotonic() + 5)
    assert status_of(received) == 400


# --- the connection cap -------------------------------------------------------------------


def test_connections_over_the_cap_are_503_until_some_close(server: AuthgateServer) -> None:
    with connections(server, CAP) as held:
        time.sleep(0.3)  # the server accepts them
        with connections(server) as (extra,):
            extra.sendall(GET_JWKS)
            received, _ = read_until_closed(extra, time.monotonic() + 5)
        assert status_of(received) == 503
        assert b"\r\nretry-after: 1\r\n" in received
        assert json_body(received)["error"] == "temporarily_unavailable"
        assert len(held) == CAP
    deadline = time.monotonic() + 5
    while True:  # once the server has seen them close, connections are served again
        with connections(server) as (sock,):
            sock.sendall(GET_JWKS)
            sock.settimeout(5)
            if sock.recv(65536).startswith(b"HTTP/1.1 200 "):
                return
        assert time.monotonic() < deadline, "still refused after the held connections closed"
        time.sleep(0.1)


# --- a flow under a connection flood ------------------------------------------------------

SILENT = 1100
SLOW = 500
IDLE = 2000
FLOOD_FIRST_BYTE = 8.0


@pytest.fixture
def descriptors() -> Iterator[None]:
    """Enough file descriptors in this process for the flood; restored afterwards."""
    needed = SILENT + SLOW + IDLE + 500
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the hard file limit ({hard}) is below the {needed} this test needs")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class SlowHeaders(threading.Thread):
    """Sends one more header byte every second on each of its connections."""

    def __init__(self, socks: list[socket.socket]) -> None:
        super().__init__(name="slow-headers", daemon=True)
        self.socks = list(socks)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            for sock in list(self.socks):
                try:
                    sock.send(b"a")
                except OSError:  # answered 408 and closed by the server
                    self.socks.remove(sock)


def closed_by_server(socks: list[socket.socket], deadline: float) -> tuple[int, list[bytes]]:
    """How many of ``socks`` the server closes before ``deadline``, and what it sent them."""
    selector = selectors.DefaultSelector()
    received: dict[socket.socket, bytes] = {}
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        received[sock] = b""
    closed = 0
    try:
        while closed < len(socks) and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(deadline - time.monotonic(), 0)):
                ready = key.fileobj
                assert isinstance(ready, socket.socket)
                try:
                    chunk = ready.recv(65536)
                except (ConnectionResetError, BlockingIOError):
                    chunk = b""
                if chunk:
                    received[ready] += chunk
                else:
                    selector.unregister(ready)
                    closed += 1
    finally:
        selector.close()
    return closed, list(received.values())


def still_open(socks: list[socket.socket]) -> int:
    """How many of ``socks`` have nothing to read (the server has neither answered nor closed)."""
    selector = selectors.DefaultSelector()
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
    try:
        return len(socks) - len(selector.select(timeout=0))
    finally:
        selector.close()


async def full_flow(server: AuthgateServer) -> float:
    """Register, authorize with login and consent, redeem the code; the seconds it took."""
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=server.issuer, timeout=10.0) as http:
        flow = Flow(http, Browser(http))
        client = await flow.register()
        verifier = new_verifier(64)
        params = authorize_params(client["client_id"], s256(verifier), "S256")
        result = await flow.browser.authorize(
            params, username="admin", password=server.admin_password
        )
        response = await flow.token(
            token_form(client["client_id"], result.params["code"], verifier)
        )
        assert response.status_code == 200, response.text
        assert response.json()["token_type"] == "Bearer"
    return time.monotonic() - start


def test_flow_stays_fast_during_a_connection_flood(tmp_path: Path, descriptors: None) -> None:
    options = ["--first-byte-timeout", str(FLOOD_FIRST_BYTE)]
    options += ["--header-timeout", str(FLOOD_FIRST_BYTE), "--keep-alive-timeout", "60"]
    server = AuthgateServer(
        tmp_path / "data", secrets.token_urlsafe(12), args=tuple(options), workers=2
    )
    server.start()
    opened: list[socket.socket] = []
    slow_thread: SlowHeaders | None = None
    try:
        baseline = asyncio.run(full_flow(server))

        def open_many(count: int) -> list[socket.socket]:
            socks = [
                socket.create_connection((LOOPBACK, server.port), timeout=10) for _ in range(count)
            ]
            opened.extend(socks)
            return socks

        flood_start = time.monotonic()
        silent = open_many(SILENT)
        slow = open_many(SLOW)
        for sock in slow:
            sock.sendall(f"GET {JWKS} HTTP/1.1\r\nHost: x\r\nX-Slow: ".encode())
        slow_thread = SlowHeaders(slow)
        slow_thread.start()
        idle = open_many(IDLE)
        for sock in idle:
            sock.sendall(b"GET /not-found HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in idle:
            assert status_of(read_response(sock)) == 404
        assert time.monotonic() - flood_start < FLOOD_FIRST_BYTE - 2, "setting up took too long"

        loaded = asyncio.run(full_flow(server))
        print(f"flow: {baseline:.2f} s alone, {loaded:.2f} s under the flood")  # shown with -s
        assert loaded < 5.0, (
            f"the flow took {loaded:.2f} s under the flood ({baseline:.2f} s alone)"
        )
        # the flood was there all along: nothing answered or closed yet
        assert still_open(silent) == SILENT
        assert still_open(idle) == IDLE
        assert time.monotonic() - flood_start < FLOOD_FIRST_BYTE

        # silent connections closed after the first-byte timeout, slow heads answered 408
        deadline = flood_start + FLOOD_FIRST_BYTE + 5
        closed, _ = closed_by_server(silent, deadline)
        assert closed == SILENT
        assert time.monotonic() - flood_start >= FLOOD_FIRST_BYTE - 1
        closed, answers = closed_by_server(slow, deadline + 2)
        assert closed == SLOW
        assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)
        assert still_open(idle) == IDLE  # idle keep-alive connections stay for 60 s
    finally:
        if slow_thread is not None:
            slow_thread.done.set()
            slow_thread.join(timeout=5)
        for sock in opened:
            sock.close()
        server.stop()
