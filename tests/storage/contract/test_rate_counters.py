"""RateCounterStore: counts per (family, source, window start) add up across every adder, and
each counted window is claimed (reported) exactly once."""

from __future__ import annotations

import asyncio

from authgate.core.ports import RateWindow
from tests.storage.contract.conftest import Ports

START = 1_700_000_040
W = RateWindow("token", "192.0.2.1", START, START + 60)


async def test_an_uncounted_window_counts_zero(ports: Ports) -> None:
    assert await ports.rate_counters.count(W) == 0
    assert await ports.rate_counters.add({}) == {}


async def test_hits_add_up_and_the_totals_come_back(ports: Ports) -> None:
    other = W._replace(source="2001:db8:1:2::/64")
    store = ports.rate_counters
    assert await store.add({W: 3, other: 1}) == {W: 3, other: 1}
    assert await store.add({W: 2}) == {W: 5}
    assert await store.count(W) == 5
    assert await store.count(other) == 1


async def test_a_peer_sees_and_adds_to_the_same_count(ports: Ports) -> None:
    assert await ports.rate_counters.add({W: 4}) == {W: 4}
    peer = ports.peer().rate_counters
    assert await peer.count(W) == 4
    assert await peer.add({W: 1}) == {W: 5}
    assert await ports.rate_counters.count(W) == 5


async def test_family_source_and_window_start_each_separate_counts(ports: Ports) -> None:
    store = ports.rate_counters
    windows = [
        W,
        W._replace(family="registration"),
        W._replace(source="192.0.2.2"),
        W._replace(start=START + 60, end=START + 120),
    ]
    assert await store.add(dict.fromkeys(windows, 1)) == dict.fromkeys(windows, 1)
    assert await store.add({W: 1}) == {W: 2}
    assert [await store.count(w) for w in windows] == [2, 1, 1, 1]


async def test_concurrent_adders_lose_no_hit(ports: Ports) -> None:
    stores = [ports.rate_counters, ports.peer().rate_counters]
    await asyncio.gather(*(stores[i % 2].add({W: 1}) for i in range(10)))
    assert await ports.rate_counters.count(W) == 10


async def test_a_long_source_is_cut_to_the_column(ports: Ports) -> None:
    long = W._replace(source="x" * 100)
    assert await ports.rate_counters.add({long: 2}) == {long: 2}
    assert await ports.rate_counters.count(W._replace(source="x" * 64)) == 2


async def test_a_window_is_claimed_once(ports: Ports) -> None:
    store = ports.rate_counters
    assert await store.claim(W) is False  # never counted: nothing to report
    await store.add({W: 1})
    peer = ports.peer().rate_counters
    results = await asyncio.gather(store.claim(W), peer.claim(W), store.claim(W))
    assert sorted(results) == [False, False, True]
    assert await peer.claim(W) is False
    # counting on does not make it claimable again; another window is separate
    await store.add({W: 1})
    assert await store.claim(W) is False
    other = W._replace(family="par")
    await store.add({other: 1})
    assert await peer.claim(other) is True
