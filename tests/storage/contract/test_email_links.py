"""EmailLinkStore (mailed self-service links) and the UserStore reads self-service adds: each
link is used once, also when two callers race, and carries its change with it."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from authgate.core.types import EmailLink, User
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, token, user


def link(link_hash: str = "l-1", purpose: str = "verify", **fields: object) -> EmailLink:
    values: dict[str, object] = {
        "user_id": "u-1",
        "email": "new@example.com",
        "created_at": NOW,
        "expires_at": NOW + 600,
    }
    values.update(fields)
    return EmailLink(link_hash, purpose, **values)  # type: ignore[arg-type]


async def test_a_link_reads_back_and_its_hash_is_unique(ports: Ports) -> None:
    await ports.links.add(link())
    assert await ports.links.get("l-1") == link()
    assert await ports.links.get("l-2") is None
    with pytest.raises(IntegrityViolation):
        await ports.links.add(link(user_id="u-2"))


async def test_verifying_sets_the_address_once(ports: Ports) -> None:
    await ports.users.add(user("u-1", "alice", email="old@example.com"))
    await ports.links.add(link())
    used = await ports.links.verify_email("l-1", NOW + 1)
    assert used == link(used_at=NOW + 1)
    alice = await ports.users.get("u-1")
    assert alice is not None and (alice.email, alice.email_verified) == ("new@example.com", True)
    assert await ports.links.verify_email("l-1", NOW + 2) is None
    assert (await ports.links.get("l-1")) == link(used_at=NOW + 1)


async def test_expired_unknown_and_other_purpose_links_change_nothing(ports: Ports) -> None:
    await ports.users.add(user("u-1", "alice", email="old@example.com"))
    await ports.links.add(link())
    await ports.links.add(link("l-r", "reset"))
    assert await ports.links.verify_email("l-1", NOW + 600) is None  # expired
    assert await ports.links.verify_email("nope", NOW) is None
    assert await ports.links.verify_email("l-r", NOW) is None  # a reset link
    assert await ports.links.reset_password("l-1", "$argon2id$x", NOW) is None
    alice = await ports.users.get("u-1")
    assert alice == user("u-1", "alice", email="old@example.com")
    assert (await ports.links.get("l-1")) == link()


async def test_a_reset_sets_the_password_revokes_tokens_and_other_resets(ports: Ports) -> None:
    await ports.users.add(user("u-1", "alice"))
    await ports.users.add(user("u-2", "bob"))
    await ports.grants.add_tokens([token("t-1", user_id="u-1"), token("t-2", user_id="u-2")])
    await ports.links.add(link("l-1", "reset"))
    await ports.links.add(link("l-2", "reset"))
    used = await ports.links.reset_password("l-1", "$argon2id$new", NOW + 5)
    assert used is not None and used.used_at == NOW + 5
    alice = await ports.users.get("u-1")
    assert alice is not None and alice.password_hash == "$argon2id$new"
    mine = await ports.grants.get_token("t-1")
    theirs = await ports.grants.get_token("t-2")
    assert mine is not None and mine.revoked_at == NOW + 5
    assert theirs is not None and theirs.revoked_at is None
    assert await ports.links.reset_password("l-2", "$argon2id$other", NOW + 6) is None
    again = await ports.users.get("u-1")
    assert again is not None and again.password_hash == "$argon2id$new"


async def test_of_concurrent_uses_exactly_one_applies(ports: Ports) -> None:
    await ports.users.add(user("u-1", "alice"))
    await ports.links.add(link("l-1", "reset"))
    peers = [ports.peer() for _ in range(6)]
    results = await asyncio.gather(
        *(p.links.reset_password("l-1", f"$argon2id${i}", NOW + 1) for i, p in enumerate(peers))
    )
    winners = [i for i, r in enumerate(results) if r is not None]
    assert len(winners) == 1
    alice = await ports.users.get("u-1")
    assert alice is not None and alice.password_hash == f"$argon2id${winners[0]}"


async def test_links_are_counted_per_address_without_case(ports: Ports) -> None:
    await ports.links.add(link("l-1", created_at=NOW - 100))
    await ports.links.add(link("l-2", email="NEW@example.com", created_at=NOW))
    await ports.links.add(link("l-3", email="other@example.com", created_at=NOW))
    assert await ports.links.sent_since("new@EXAMPLE.com", NOW - 100) == 2
    assert await ports.links.sent_since("new@example.com", NOW - 50) == 1
    assert await ports.links.sent_since("nobody@example.com", 0) == 0


def aged(user_id: str, username: str, created_at: int, **fields: object) -> User:
    return dataclasses.replace(user(user_id, username, **fields), created_at=created_at)


async def test_users_by_email_prefer_verified_then_oldest(ports: Ports) -> None:
    await ports.users.add(aged("u-1", "a", 1, email="x@example.com"))
    await ports.users.add(aged("u-2", "b", 2, email="X@Example.com", email_verified=True))
    await ports.users.add(aged("u-3", "c", 0, email="x@example.com"))
    found = await ports.users.get_by_email("x@EXAMPLE.com")
    assert found is not None and found.user_id == "u-2"
    await ports.users.add(aged("u-4", "d", 5, email="y@example.com"))
    await ports.users.add(aged("u-5", "e", 3, email="y@example.com"))
    found = await ports.users.get_by_email("y@example.com")
    assert found is not None and found.user_id == "u-5"
    assert await ports.users.get_by_email("z@example.com") is None


async def test_set_name(ports: Ports) -> None:
    await ports.users.add(user("u-1", "alice"))
    assert await ports.users.set_name("u-1", "Alice B") is True
    assert await ports.users.get("u-1") == dataclasses.replace(user("u-1", "alice"), name="Alice B")
    assert await ports.users.set_name("u-9", "x") is False


async def test_add_if_free_refuses_a_taken_username(ports: Ports) -> None:
    assert await ports.users.add_if_free(user("u-1", "alice")) is True
    assert await ports.users.add_if_free(user("u-2", "alice")) is False
    assert await ports.users.get("u-2") is None


async def test_self_registered_reads_back(ports: Ports) -> None:
    bob = dataclasses.replace(user("u-1", "bob"), self_registered=True)
    await ports.users.add(bob)
    assert await ports.users.get("u-1") == bob
    await ports.users.add(user("u-2", "carol"))
    carol = await ports.users.get("u-2")
    assert carol is not None and carol.self_registered is False
