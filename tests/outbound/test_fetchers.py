"""The three fetchers use the one outbound client and its policy: sector identifier
documents, clients' JWK Sets, back-channel logout. Real servers on 127.0.0.1, allowed
explicitly where a test fetches from one."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from authgate.core.types import LogoutNotice
from authgate.errors import InvalidClientMetadata, OutboundError
from authgate.outbound import HttpSectorIdentifierFetcher, OutboundClient, OutboundPolicy
from authgate.outbound.backchannel import BackchannelLogout
from authgate.outbound.jwks import HttpJwksSource
from authgate.settings import Settings
from authgate.storage.connect import open_database
from authgate.storage.logout_deliveries import SqlLogoutDeliveryStore
from tests.memory import StaticConfig
from tests.memory.doubles import RecordingSecurityEvents
from tests.receiver import Receiver, Reply
from tests.sector_site import Answer, SectorSite

LOOPBACK = OutboundPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


@pytest.fixture
async def allowed() -> AsyncIterator[OutboundClient]:
    client = OutboundClient(LOOPBACK)
    yield client
    await client.aclose()


@pytest.fixture
async def default() -> AsyncIterator[OutboundClient]:
    client = OutboundClient(OutboundPolicy.from_settings(Settings()))
    yield client
    await client.aclose()


async def test_sector_document_is_fetched(allowed: OutboundClient) -> None:
    fetcher = HttpSectorIdentifierFetcher(allowed, allow_http_loopback=True)
    with SectorSite() as site:
        uri = site.publish("/s.json", ["https://a.example/cb"])
        assert await fetcher.fetch(uri) == ["https://a.example/cb"]


async def test_slow_sector_document_times_out(allowed: OutboundClient) -> None:
    fetcher = HttpSectorIdentifierFetcher(allowed, allow_http_loopback=True, timeout=0.3)
    with SectorSite() as site:
        site.answers["/slow.json"] = Answer(b"[]", delay=1.0)
        with pytest.raises(InvalidClientMetadata, match="timed out"):
            await fetcher.fetch(site.url("/slow.json"))


@pytest.mark.parametrize(
    "uri",
    ["https://127.0.0.1:9/s.json", "https://192.168.1.1/s.json", "https://10.0.0.1/s.json"],
)
async def test_default_policy_refuses_sector_documents_before_connecting(
    default: OutboundClient, uri: str
) -> None:
    fetcher = HttpSectorIdentifierFetcher(default)
    with pytest.raises(InvalidClientMetadata, match="does not resolve to a public address"):
        await fetcher.fetch(uri)


async def test_the_loopback_test_setting_does_not_open_private_networks() -> None:
    settings = Settings(sector_identifier_allow_http_loopback=True)
    client = OutboundClient(OutboundPolicy.from_settings(settings))
    try:
        fetcher = HttpSectorIdentifierFetcher(client, allow_http_loopback=True)
        for uri in ("http://10.0.0.1/s.json", "https://172.16.0.1/s.json"):
            with pytest.raises(InvalidClientMetadata, match="public address"):
                await fetcher.fetch(uri)
    finally:
        await client.aclose()


async def test_jwks_follow_the_policy(allowed: OutboundClient, default: OutboundClient) -> None:
    keys = {"keys": [{"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}]}
    async with Receiver(default=Reply.json(keys)) as rx:
        assert await HttpJwksSource(allowed).get(rx.url("/jwks")) == keys
        with pytest.raises(OutboundError, match="public address"):
            await HttpJwksSource(default).get(rx.url("/jwks"))
        assert len(rx.requests) == 1


async def test_jwks_size_limit(allowed: OutboundClient) -> None:
    big = {"keys": [{"kty": "oct", "pad": "p" * 70_000}]}
    async with Receiver(default=Reply.json(big)) as rx:
        with pytest.raises(OutboundError, match="too large"):
            await HttpJwksSource(allowed).get(rx.url("/jwks"))


@pytest.fixture
async def deliveries(sqlite_file: Path) -> AsyncIterator[SqlLogoutDeliveryStore]:
    db = await open_database(f"sqlite+aiosqlite:///{sqlite_file}")
    yield SqlLogoutDeliveryStore(db)
    await db.close()


async def test_backchannel_logout_to_a_refused_destination_is_not_retried(
    default: OutboundClient,
    deliveries: SqlLogoutDeliveryStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = RecordingSecurityEvents()
    async with Receiver() as rx:
        logout = BackchannelLogout(default, StaticConfig(), deliveries, events, backoff=0.01)
        with caplog.at_level(logging.INFO, logger="authgate.outbound.backchannel"):
            await logout.submit([LogoutNotice("client-1", rx.url("/bcl"), "a.b.c")])
            await logout.drain(timeout=5)
        assert rx.requests == []
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["back-channel logout to client-1 given up: refused: the host 127.0.0.1 "
                        "does not resolve to a public address"]  # fmt: skip
    assert "a.b.c" not in caplog.text
    assert events.kinds() == ["backchannel_logout_failed"]


async def test_backchannel_logout_reaches_an_allowed_receiver(
    allowed: OutboundClient, deliveries: SqlLogoutDeliveryStore
) -> None:
    async with Receiver() as rx:
        logout = BackchannelLogout(
            allowed, StaticConfig(), deliveries, RecordingSecurityEvents(), backoff=0.01
        )
        await logout.submit([LogoutNotice("client-1", rx.url("/bcl"), "a.b.c")])
        await logout.drain(timeout=5)
        [request] = rx.requests
        assert request.body == b"logout_token=a.b.c"
