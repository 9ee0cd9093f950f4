"""The outbound client (outbound/client.py) against real HTTP servers on 127.0.0.1, which
each test allows explicitly: limits, no redirects, and destinations refused before any
connection is made."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator

import pytest

from authgate.outbound.client import (
    OutboundClient,
    OutboundFailed,
    OutboundTimeout,
    OutboundTooLarge,
)
from authgate.outbound.policy import OutboundPolicy, OutboundRefused
from tests.receiver import Receiver, Reply
from tests.sector_site import Answer, SectorSite

LOOPBACK = OutboundPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


@pytest.fixture
async def client() -> AsyncIterator[OutboundClient]:
    outbound = OutboundClient(LOOPBACK)
    yield outbound
    await outbound.aclose()


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections and answers nothing."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Listener:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


async def test_get_and_post_reach_an_allowed_server(client: OutboundClient) -> None:
    async with Receiver(default=Reply.json({"keys": []})) as rx:
        got = await client.get(rx.url("/jwks?x=1"))
        posted = await client.post_form(rx.url("/logout"), {"logout_token": "a b&c"})
    assert (got.status, got.body) == (200, b'{"keys":[]}')
    assert posted.status == 200
    first, second = rx.requests
    assert (first.method, first.path) == ("GET", "/jwks?x=1")
    assert first.headers["accept"] == "application/json"
    assert first.headers["user-agent"] == "authgate"
    assert first.headers["host"] == f"127.0.0.1:{rx.port}"
    assert (second.method, second.body) == ("POST", b"logout_token=a+b%26c")
    assert second.headers["content-type"] == "application/x-www-form-urlencoded"


async def test_redirects_are_answers_not_followed(client: OutboundClient) -> None:
    with SectorSite() as site:
        site.answers["/moved"] = Answer(b"", status=302, location=site.url("/target"))
        site.answers["/target"] = Answer(b"[]")
        response = await client.get(site.url("/moved"))
        await asyncio.sleep(0.05)
        assert response.status == 302
        assert site.hits == ["/moved"]


async def test_the_body_is_not_read_past_the_limit(client: OutboundClient) -> None:
    async with Receiver(default=Reply(body=b"x" * 5000)) as rx:
        with pytest.raises(OutboundTooLarge, match="larger than 1000 bytes"):
            await client.get(rx.url("/big"), max_bytes=1000)
        assert (await client.get(rx.url("/big"), max_bytes=5000)).body == b"x" * 5000


async def test_the_whole_exchange_is_bounded_in_time(client: OutboundClient) -> None:
    async with Receiver(default=Reply(delay=2.0)) as rx:
        started = asyncio.get_running_loop().time()
        with pytest.raises(OutboundTimeout, match="timed out"):
            await client.get(rx.url("/slow"), timeout=0.3)
        assert asyncio.get_running_loop().time() - started < 1.5


async def test_a_closed_port_is_a_connect_error(client: OutboundClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(OutboundFailed, match="ConnectError"):
        await client.get(f"http://127.0.0.1:{port}/")


async def test_loopback_is_refused_without_a_connection_unless_allowed() -> None:
    refusing = OutboundClient(OutboundPolicy())
    try:
        async with Listener() as listener:
            for host in ("127.0.0.1", "localhost"):
                with pytest.raises(OutboundRefused, match="public address"):
                    await refusing.get(f"http://{host}:{listener.port}/")
            assert listener.connections == 0
    finally:
        await refusing.aclose()


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "https://192.168.1.1/x",
        "http://169.254.169.254/latest/meta-data",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "http://0.0.0.0:80/",
    ],
)
async def test_private_destinations_are_refused_before_connecting(
    client: OutboundClient, url: str
) -> None:
    # the allowance names 127.0.0.1 only; nothing else is reached (no route is even tried:
    # the refusal is immediate)
    started = asyncio.get_running_loop().time()
    with pytest.raises(OutboundRefused):
        await client.get(url, timeout=5.0)
    assert asyncio.get_running_loop().time() - started < 0.5


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/x", "http://user:pw@127.0.0.1/x", "file:///etc/passwd", "http://"]
)
async def test_only_plain_http_urls_are_fetched(client: OutboundClient, url: str) -> None:
    with pytest.raises(OutboundRefused):
        await client.get(url)


async def test_the_connection_goes_to_the_address_that_was_checked(
    client: OutboundClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is resolved once per connection, and that checked answer is
    where the connection goes; a later answer (here a private address) is never used."""
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])
    asked: list[str] = []

    async def rebinding(host: str, port: int, **_kwargs: object) -> list[tuple[object, ...]]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", rebinding)
    async with Receiver() as rx:
        response = await client.get(f"http://rebind.example:{rx.port}/doc")
    assert response.status == 200
    assert asked == ["rebind.example"]
    [request] = rx.requests
    assert request.headers["host"] == f"rebind.example:{rx.port}"
