"""UserStore and ScopeStore."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core.types import Scope
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import user


async def test_a_user_reads_back_by_id_and_by_username(ports: Ports) -> None:
    alice = user(
        "u-1",
        "alice",
        email="alice@example.com",
        email_verified=True,
        name="Alice Example",
        given_name="Alice",
        family_name="Example",
        enabled=False,
    )
    await ports.users.add(alice)
    assert await ports.users.get("u-1") == alice
    assert await ports.users.get_by_username("alice") == alice
    assert await ports.users.get("u-2") is None
    assert await ports.users.get_by_username("bob") is None


async def test_usernames_match_exactly(ports: Ports) -> None:
    await ports.users.add(user("u-1", "alice"))
    assert await ports.users.get_by_username("Alice") is None
    assert await ports.users.get_by_username("alice ") is None
    # and so differently cased names are different users
    await ports.users.add(user("u-2", "Alice"))
    found = await ports.users.get_by_username("Alice")
    assert found is not None and found.user_id == "u-2"


async def test_a_taken_user_id_or_username_is_refused(ports: Ports) -> None:
    first = user("u-1", "alice")
    await ports.users.add(first)
    with pytest.raises(IntegrityViolation):
        await ports.users.add(user("u-1", "bob"))
    with pytest.raises(IntegrityViolation):
        await ports.users.add(user("u-2", "alice"))
    assert await ports.users.get_by_username("bob") is None
    assert await ports.users.get("u-2") is None
    assert await ports.users.get_by_username("alice") == first


async def test_set_password_changes_a_known_user_only(ports: Ports) -> None:
    await ports.users.add(user("u-1", "alice"))
    assert await ports.users.set_password("u-1", "$argon2id$new") is True
    assert await ports.users.get("u-1") == dataclasses.replace(
        user("u-1", "alice"), password_hash="$argon2id$new"
    )
    assert await ports.users.set_password("u-2", "$argon2id$new") is False
    assert await ports.users.get("u-2") is None


async def test_list_pages_by_username(ports: Ports) -> None:
    for user_id, name in [("u-1", "carol"), ("u-2", "alice"), ("u-3", "dave"), ("u-4", "bob")]:
        await ports.users.add(user(user_id, name))
    names = [u.username for u in await ports.users.list()]
    assert names == ["alice", "bob", "carol", "dave"]
    assert [u.username for u in await ports.users.list(limit=2)] == ["alice", "bob"]
    assert [u.username for u in await ports.users.list(limit=2, offset=1)] == ["bob", "carol"]
    assert [u.username for u in await ports.users.list(limit=10, offset=3)] == ["dave"]
    assert await ports.users.list(offset=4) == []


async def test_scopes_read_back_in_scope_id_order(ports: Ports) -> None:
    assert await ports.scopes.all() == []
    email = Scope("email", "Your email address", ("email", "email_verified"), True)
    admin = Scope("admin", "", (), False)
    await ports.scopes.add(email)
    await ports.scopes.add(admin)
    assert await ports.scopes.all() == [admin, email]


async def test_a_taken_scope_id_is_refused(ports: Ports) -> None:
    first = Scope("email", "Your email address", ("email",))
    await ports.scopes.add(first)
    with pytest.raises(IntegrityViolation):
        await ports.scopes.add(Scope("email", "Other", ("name",)))
    assert await ports.scopes.all() == [first]
