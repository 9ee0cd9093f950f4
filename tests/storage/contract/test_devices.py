"""DeviceAuthorizationStore: each transition of a device authorization request happens once
(an answer, an issuance), polls keep or lengthen the interval, and a failed call stores
nothing; on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from authgate.core.types import DeviceAuthorization
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, interaction, token

WHO: dict[str, Any] = {
    "user_id": "u-1",
    "auth_time": int(NOW) - 30,
    "acr": "simple_password_auth",
    "amr": ("pwd",),
}


def device(device_code_hash: str = "dc-1", user_code_hash: str = "uc-1") -> DeviceAuthorization:
    return DeviceAuthorization(
        device_code_hash=device_code_hash,
        user_code_hash=user_code_hash,
        client_id="app-1",
        scope=("openid", "offline_access"),
        issued_at=NOW,
        expires_at=NOW + 1800,
        interval=5,
    )


async def test_added_reads_back_by_either_code(ports: Ports) -> None:
    assert await ports.devices.add(device())
    assert await ports.devices.get("dc-1") == device()
    assert await ports.devices.find("uc-1") == device()
    assert await ports.devices.get("uc-1") is None
    assert await ports.devices.find("dc-1") is None
    assert await ports.peer().devices.get("dc-1") == device()


async def test_a_taken_user_code_or_device_code_is_refused_and_nothing_stored(
    ports: Ports,
) -> None:
    assert await ports.devices.add(device("dc-1", "uc-1"))
    assert not await ports.devices.add(device("dc-2", "uc-1"))
    assert not await ports.devices.add(device("dc-1", "uc-2"))
    assert await ports.devices.get("dc-2") is None
    assert await ports.devices.find("uc-2") is None


async def test_polls_keep_to_the_interval_or_lengthen_it(ports: Ports) -> None:
    await ports.devices.add(device())
    assert await ports.devices.poll("dc-1", NOW, increase=5)
    assert not await ports.devices.poll("dc-1", NOW + 4.5, increase=5)
    stored = await ports.devices.get("dc-1")
    assert stored is not None and stored.interval == 10 and stored.last_polled_at == NOW + 4.5
    assert not await ports.devices.poll("dc-1", NOW + 14, increase=5)
    assert await ports.devices.poll("dc-1", NOW + 29, increase=5)  # 15 s after the last
    stored = await ports.devices.get("dc-1")
    assert stored is not None and stored.interval == 15 and stored.last_polled_at == NOW + 29


async def test_of_concurrent_polls_at_most_one_keeps_to_the_interval(ports: Ports) -> None:
    await ports.devices.add(device())
    await ports.devices.poll("dc-1", NOW, increase=5)
    results = await asyncio.gather(
        *(ports.devices.poll("dc-1", NOW + 5, increase=5) for _ in range(6))
    )
    assert results.count(True) == 1


async def test_an_answer_lands_once(ports: Ports) -> None:
    await ports.devices.add(device())
    assert await ports.devices.decide("uc-1", NOW + 10, approved=True, **WHO)
    assert not await ports.devices.decide("uc-1", NOW + 11, approved=False, **WHO)
    stored = await ports.devices.get("dc-1")
    assert stored == dataclasses.replace(device(), status="approved", decided_at=NOW + 10, **WHO)


async def test_of_concurrent_answers_exactly_one_lands(ports: Ports) -> None:
    await ports.devices.add(device())
    results = await asyncio.gather(
        *(ports.devices.decide("uc-1", NOW, approved=i % 2 == 0, **WHO) for i in range(6))
    )
    assert results.count(True) == 1


async def test_a_denial_is_kept(ports: Ports) -> None:
    await ports.devices.add(device())
    assert await ports.devices.decide("uc-1", NOW, approved=False, **WHO)
    stored = await ports.devices.get("dc-1")
    assert stored is not None and stored.status == "denied" and stored.user_id == "u-1"
    assert not await ports.devices.redeem("dc-1", NOW, [token("at-1")])
    assert await ports.grants.get_token("at-1") is None


async def test_an_expired_or_unknown_request_takes_no_answer(ports: Ports) -> None:
    await ports.devices.add(device())
    assert not await ports.devices.decide("uc-1", NOW + 1800, approved=True, **WHO)
    assert not await ports.devices.decide("uc-9", NOW, approved=True, **WHO)
    assert (await ports.devices.get("dc-1")) == device()


async def test_an_approved_request_is_redeemed_once_with_its_tokens(ports: Ports) -> None:
    await ports.devices.add(device())
    assert not await ports.devices.redeem("dc-1", NOW, [token("at-0")])  # still pending
    await ports.devices.decide("uc-1", NOW, approved=True, **WHO)
    assert await ports.devices.redeem("dc-1", NOW + 1, [token("at-1", sid=None)])
    assert not await ports.devices.redeem("dc-1", NOW + 2, [token("at-2", sid=None)])
    stored = await ports.devices.get("dc-1")
    assert stored is not None and stored.status == "issued"
    assert (await ports.grants.get_token("at-1")) is not None
    assert await ports.grants.get_token("at-0") is None
    assert await ports.grants.get_token("at-2") is None


async def test_of_concurrent_redemptions_exactly_one_gets_tokens(ports: Ports) -> None:
    await ports.devices.add(device())
    await ports.devices.decide("uc-1", NOW, approved=True, **WHO)
    results = await asyncio.gather(
        *(ports.devices.redeem("dc-1", NOW, [token(f"at-{i}", sid=None)]) for i in range(6))
    )
    assert results.count(True) == 1
    stored = [await ports.grants.get_token(f"at-{i}") for i in range(6)]
    assert sum(t is not None for t in stored) == 1


async def test_a_redemption_whose_token_clashes_stores_nothing(ports: Ports) -> None:
    await ports.devices.add(device())
    await ports.devices.decide("uc-1", NOW, approved=True, **WHO)
    await ports.grants.add_tokens([token("at-1", sid=None)])
    with pytest.raises(IntegrityViolation):
        await ports.devices.redeem("dc-1", NOW, [token("at-1", sid=None)])
    stored = await ports.devices.get("dc-1")
    assert stored is not None and stored.status == "approved"


async def test_an_interaction_keeps_the_user_code_hash_it_approves(ports: Ports) -> None:
    plain = interaction("ix-1")
    for_device = interaction(
        "ix-2", request=dataclasses.replace(plain.request, user_code_hash="uc-1")
    )
    await ports.interactions.add(plain)
    await ports.interactions.add(for_device)
    assert await ports.interactions.get("ix-1") == plain
    assert await ports.interactions.get("ix-2") == for_device
