"""ParStore: a pushed request is consumed once, by its own client, before it expires."""

from __future__ import annotations

import asyncio

import pytest

from authgate.core.types import PushedRequest
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, REDIRECT

PARAMS = {
    "response_type": "code",
    "client_id": "app-1",
    "redirect_uri": REDIRECT,
    "scope": "openid email",
    "state": "st",
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "code_challenge_method": "S256",
}


def pushed(request_hash: str = "rq-1", client_id: str = "app-1") -> PushedRequest:
    return PushedRequest(request_hash, client_id, dict(PARAMS), NOW + 60)


async def test_a_request_is_consumed_once(ports: Ports) -> None:
    await ports.pushed.add(pushed("rq-1"))
    assert await ports.pushed.consume("rq-1", "app-1", NOW) == pushed("rq-1")
    assert await ports.pushed.consume("rq-1", "app-1", NOW) is None
    assert await ports.pushed.consume("rq-1", "app-1", NOW + 1) is None


async def test_an_unknown_request_is_none(ports: Ports) -> None:
    await ports.pushed.add(pushed("rq-1"))
    assert await ports.pushed.consume("rq-2", "app-1", NOW) is None
    assert await ports.pushed.consume("rq-1", "app-1", NOW) == pushed("rq-1")


async def test_another_clients_request_is_none_and_stays_usable(ports: Ports) -> None:
    await ports.pushed.add(pushed("rq-1", "app-1"))
    assert await ports.pushed.consume("rq-1", "app-2", NOW) is None
    assert await ports.pushed.consume("rq-1", "app-1", NOW) == pushed("rq-1", "app-1")


@pytest.mark.parametrize("late", [60, 61, 3600], ids=["at-expiry", "after", "long-after"])
async def test_an_expired_request_is_none(ports: Ports, late: float) -> None:
    await ports.pushed.add(pushed("rq-1"))
    assert await ports.pushed.consume("rq-1", "app-1", NOW + late) is None


async def test_a_request_is_good_until_just_before_it_expires(ports: Ports) -> None:
    await ports.pushed.add(pushed("rq-1"))
    assert await ports.pushed.consume("rq-1", "app-1", NOW + 59.5) == pushed("rq-1")


async def test_a_taken_request_hash_is_refused(ports: Ports) -> None:
    await ports.pushed.add(pushed("rq-1", "app-1"))
    with pytest.raises(IntegrityViolation):
        await ports.pushed.add(pushed("rq-1", "app-2"))
    assert await ports.pushed.consume("rq-1", "app-2", NOW) is None
    assert await ports.pushed.consume("rq-1", "app-1", NOW) == pushed("rq-1", "app-1")


async def test_of_concurrent_consumers_exactly_one_gets_it(ports: Ports) -> None:
    await ports.pushed.add(pushed("rq-1"))
    results = await asyncio.gather(*(ports.pushed.consume("rq-1", "app-1", NOW) for _ in range(8)))
    assert [r for r in results if r is not None] == [pushed("rq-1")]


async def test_a_peer_cannot_consume_it_again(ports: Ports) -> None:
    await ports.pushed.add(pushed("rq-1"))
    peer = ports.peer()
    assert await peer.pushed.consume("rq-1", "app-1", NOW) == pushed("rq-1")
    assert await ports.pushed.consume("rq-1", "app-1", NOW) is None
