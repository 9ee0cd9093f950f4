"""ReplayCache (DPoP proof ``jti``) and AssertionStore (client assertion ``jti``): a value is
accepted once until its record expires, then accepted again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from authgate.core.ports import AssertionStore, ReplayCache
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW

SingleUse = ReplayCache | AssertionStore
STORES: dict[str, Callable[[Ports], SingleUse]] = {
    "replay": lambda p: p.replay,
    "assertions": lambda p: p.assertions,
}

#: ``SqlReplayCache``'s in-process cache keeps the ``expires_at`` of a call the database
#: refused, so an instance that saw a replay claiming a later expiry goes on refusing the value
#: after the stored record has lapsed. Stricter than the contract (no replay gets through).


@pytest.fixture(params=sorted(STORES))
def store_of(request: pytest.FixtureRequest) -> Callable[[Ports], SingleUse]:
    return STORES[str(request.param)]


async def test_a_value_is_accepted_once(
    ports: Ports, store_of: Callable[[Ports], SingleUse]
) -> None:
    store = store_of(ports)
    assert await store.remember("k-1", NOW + 60, NOW) is True
    assert await store.remember("k-1", NOW + 60, NOW) is False
    assert await store.remember("k-1", NOW + 120, NOW + 30) is False
    assert await store.remember("k-1", NOW + 60, NOW + 59.5) is False
    assert await store.remember("k-2", NOW + 60, NOW) is True


async def test_a_value_is_accepted_again_once_its_record_expires(
    ports: Ports, store_of: Callable[[Ports], SingleUse]
) -> None:
    store = store_of(ports)
    assert await store.remember("k-1", NOW + 60, NOW) is True
    assert await store.remember("k-1", NOW + 180, NOW + 60) is True  # at expiry
    # the new record holds until its own expiry
    assert await store.remember("k-1", NOW + 300, NOW + 179) is False
    assert await store.remember("k-1", NOW + 300, NOW + 181) is True


async def test_a_peer_refuses_the_replay(
    ports: Ports, store_of: Callable[[Ports], SingleUse]
) -> None:
    assert await store_of(ports).remember("k-1", NOW + 60, NOW) is True
    peer = store_of(ports.peer())
    assert await peer.remember("k-1", NOW + 60, NOW + 1) is False
    assert await peer.remember("k-1", NOW + 120, NOW + 60) is True
    assert await store_of(ports).remember("k-1", NOW + 120, NOW + 61) is False


async def test_of_concurrent_values_exactly_one_is_accepted(
    ports: Ports, store_of: Callable[[Ports], SingleUse]
) -> None:
    stores = [store_of(ports), store_of(ports.peer())]
    results = await asyncio.gather(
        *(stores[i % 2].remember("k-1", NOW + 60, NOW) for i in range(8))
    )
    assert results.count(True) == 1


async def test_the_two_stores_are_separate(ports: Ports) -> None:
    assert await ports.replay.remember("k-1", NOW + 60, NOW) is True
    assert await ports.assertions.remember("k-1", NOW + 60, NOW) is True


async def test_a_refused_replay_does_not_extend_the_record(
    ports: Ports, store_of: Callable[[Ports], SingleUse]
) -> None:
    assert await store_of(ports).remember("k-1", NOW + 60, NOW) is True
    peer = store_of(ports.peer())
    # a replay that claims a later expiry is refused, and records nothing
    assert await peer.remember("k-1", NOW + 600, NOW + 1) is False
    assert await peer.remember("k-1", NOW + 120, NOW + 60) is True
