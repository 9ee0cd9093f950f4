"""InitialAccessTokenStore: a use is counted only while the token is live, atomically, on
every instance; revocation sticks; listings show every token, newest first."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from authgate.core.types import InitialAccessToken
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW


def token(
    token_id: str = "iat-1", *, max_uses: int = 1, expires_in: float = 3600, **fields: object
) -> InitialAccessToken:
    return InitialAccessToken(
        token_id=token_id,
        token_hash=f"hash-of-{token_id}",
        created_at=NOW,
        expires_at=NOW + expires_in,
        max_uses=max_uses,
        **fields,  # type: ignore[arg-type]
    )


async def test_a_token_is_found_by_its_hash_as_stored(ports: Ports) -> None:
    stored = token(description="CI pipeline", created_by="cli:ops")
    await ports.initial_tokens.add(stored)
    assert await ports.initial_tokens.find("hash-of-iat-1") == stored
    assert await ports.initial_tokens.find("hash-of-iat-2") is None


async def test_uses_are_counted_up_to_max_uses(ports: Ports) -> None:
    await ports.initial_tokens.add(token(max_uses=2))
    assert await ports.initial_tokens.use("hash-of-iat-1", NOW)
    assert await ports.initial_tokens.use("hash-of-iat-1", NOW + 1)
    assert not await ports.initial_tokens.use("hash-of-iat-1", NOW + 2)
    found = await ports.initial_tokens.find("hash-of-iat-1")
    assert found is not None and found.uses == 2 and not found.usable(NOW + 2)


async def test_an_unknown_token_is_not_used(ports: Ports) -> None:
    await ports.initial_tokens.add(token())
    assert not await ports.initial_tokens.use("hash-of-nothing", NOW)
    found = await ports.initial_tokens.find("hash-of-iat-1")
    assert found is not None and found.uses == 0


@pytest.mark.parametrize("late", [3600, 3601], ids=["at-expiry", "after"])
async def test_an_expired_token_is_not_used(ports: Ports, late: float) -> None:
    await ports.initial_tokens.add(token(max_uses=5))
    assert not await ports.initial_tokens.use("hash-of-iat-1", NOW + late)
    assert await ports.initial_tokens.use("hash-of-iat-1", NOW + 3599.5)


async def test_a_revoked_token_is_not_used_and_revokes_once(ports: Ports) -> None:
    await ports.initial_tokens.add(token(max_uses=5))
    assert await ports.initial_tokens.revoke("iat-1", NOW + 1)
    assert not await ports.initial_tokens.revoke("iat-1", NOW + 2)
    assert not await ports.initial_tokens.revoke("iat-unknown", NOW + 2)
    assert not await ports.initial_tokens.use("hash-of-iat-1", NOW + 3)
    found = await ports.initial_tokens.find("hash-of-iat-1")
    assert found == dataclasses.replace(token(max_uses=5), revoked_at=NOW + 1)


async def test_of_concurrent_uses_of_a_last_use_exactly_one_lands(ports: Ports) -> None:
    await ports.initial_tokens.add(token(max_uses=3))
    results = await asyncio.gather(
        *(ports.initial_tokens.use("hash-of-iat-1", NOW) for _ in range(10))
    )
    assert sorted(results) == [False] * 7 + [True] * 3
    found = await ports.initial_tokens.find("hash-of-iat-1")
    assert found is not None and found.uses == 3


async def test_a_peer_sees_the_uses(ports: Ports) -> None:
    await ports.initial_tokens.add(token(max_uses=1))
    peer = ports.peer()
    assert await peer.initial_tokens.use("hash-of-iat-1", NOW)
    assert not await ports.initial_tokens.use("hash-of-iat-1", NOW)


async def test_listing_is_newest_first_and_paged(ports: Ports) -> None:
    for i in range(3):
        await ports.initial_tokens.add(dataclasses.replace(token(f"iat-{i}"), created_at=NOW + i))
    await ports.initial_tokens.revoke("iat-0", NOW + 5)
    listed = await ports.initial_tokens.list()
    assert [t.token_id for t in listed] == ["iat-2", "iat-1", "iat-0"]
    assert listed[-1].revoked_at == NOW + 5
    assert [t.token_id for t in await ports.initial_tokens.list(1, 1)] == ["iat-1"]


async def test_a_taken_id_or_hash_is_refused(ports: Ports) -> None:
    await ports.initial_tokens.add(token("iat-1"))
    with pytest.raises(IntegrityViolation):
        await ports.initial_tokens.add(dataclasses.replace(token("iat-1"), token_hash="other"))
    with pytest.raises(IntegrityViolation):
        await ports.initial_tokens.add(
            dataclasses.replace(token("iat-2"), token_hash="hash-of-iat-1")
        )
    assert [t.token_id for t in await ports.initial_tokens.list()] == ["iat-1"]
