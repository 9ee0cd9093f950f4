"""The outbound policy (outbound/policy.py): which addresses are public, what the allowance
opens, and resolution checked as a whole. No request is sent: only literals and ``localhost``
are resolved (no DNS traffic)."""

from __future__ import annotations

import ipaddress

import pytest

from authgate.outbound.policy import OutboundPolicy, OutboundRefused, is_public
from authgate.settings import Settings


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fc00::1",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 - an address under test, nothing binds to it
        "::",
        "224.0.1.1",  # multicast
        "ff0e::1",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    assert not OutboundPolicy().allows("example.org", ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "2002:808:808::"]
)
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_the_allowance_opens_networks_and_host_names() -> None:
    policy = OutboundPolicy(
        allowed_networks=(ipaddress.ip_network("10.1.0.0/16"),),
        allowed_hosts=frozenset({"keys.internal"}),
    )
    assert policy.allows("anything.example", ipaddress.ip_address("10.1.2.3"))
    assert not policy.allows("anything.example", ipaddress.ip_address("10.2.0.1"))
    assert policy.allows("KEYS.internal.", ipaddress.ip_address("192.168.7.7"))
    assert not policy.allows("other.internal", ipaddress.ip_address("192.168.7.7"))


async def test_resolution_is_checked_before_anything_is_sent() -> None:
    policy = OutboundPolicy()
    for host in ("127.0.0.1", "10.0.0.1", "::1", "localhost", "169.254.169.254"):
        with pytest.raises(OutboundRefused, match="does not resolve to a public address"):
            await policy.resolve(host, 443)
    assert await policy.resolve("8.8.8.8", 443) == [ipaddress.ip_address("8.8.8.8")]


async def test_a_host_with_one_refused_address_is_refused_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def answers(*_args: object, **_kwargs: object) -> list[tuple[object, ...]]:
        return [(2, 1, 6, "", ("8.8.8.8", 443)), (2, 1, 6, "", ("10.0.0.1", 443))]

    import asyncio

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", answers)
    with pytest.raises(OutboundRefused):
        await OutboundPolicy().resolve("mixed.example", 443)


def test_settings_feed_the_policy() -> None:
    settings = Settings(outbound_allow="10.0.0.0/8, 192.168.1.5 ,Keys.Internal")
    policy = OutboundPolicy.from_settings(settings)
    assert policy.allowed_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.168.1.5/32"),
    )
    assert policy.allowed_hosts == {"keys.internal"}
    assert OutboundPolicy.from_settings(Settings()) == OutboundPolicy()
    loopback = OutboundPolicy.from_settings(Settings(sector_identifier_allow_http_loopback=True))
    assert loopback.allows("x", ipaddress.ip_address("127.0.0.1"))
    assert loopback.allows("x", ipaddress.ip_address("::1"))
    assert not loopback.allows("x", ipaddress.ip_address("10.0.0.1"))


@pytest.mark.parametrize("value", ["a b", "http://x.example", "10.0.0.0/33", "-bad.example"])
def test_settings_refuse_what_is_no_address_network_or_host_name(value: str) -> None:
    with pytest.raises(ValueError, match="AUTHGATE_OUTBOUND_ALLOW"):
        Settings(outbound_allow=value)
