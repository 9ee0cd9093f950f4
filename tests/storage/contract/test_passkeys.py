"""PasskeyStore: a passkey is stored once and found by its credential id; a use is recorded
only on the counter it was verified against; only its owner renames or removes it."""

from __future__ import annotations

import asyncio
import dataclasses

from authgate.core.passkeys.credential import PasskeyCredential
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, user


def passkey(
    credential_id: str = "Y3JlZC0x", user_id: str = "u-1", **fields: object
) -> PasskeyCredential:
    values: dict[str, object] = {
        "credential_id": credential_id,
        "user_id": user_id,
        "public_key": "pQECAyYgASFYIK",
        "sign_count": 0,
        "user_handle": "aGFuZGxl",
        "name": "Laptop",
        "created_at": NOW,
        "transports": ("internal", "hybrid"),
        "backup_eligible": True,
        "backup_state": False,
        "aaguid": "00000000-0000-0000-0000-000000000000",
    }
    values.update(fields)
    return PasskeyCredential(**values)  # type: ignore[arg-type]


async def test_a_passkey_is_found_as_stored(ports: Ports) -> None:
    await ports.users.add(user())
    stored = passkey(credential_id="A" * 1364)  # the longest id WebAuthn allows, base64url
    assert await ports.passkeys.add(stored)
    assert await ports.passkeys.get(stored.credential_id) == stored
    assert await ports.passkeys.get("bm90aGluZw") is None


async def test_a_credential_id_is_registered_once(ports: Ports) -> None:
    await ports.users.add(user())
    await ports.users.add(user("u-2"))
    assert await ports.passkeys.add(passkey())
    assert not await ports.passkeys.add(passkey(user_id="u-2", name="Phone"))
    assert await ports.passkeys.get("Y3JlZC0x") == passkey()


async def test_a_passkey_of_no_user_is_not_stored(ports: Ports) -> None:
    assert not await ports.passkeys.add(passkey(user_id="nobody"))
    assert await ports.passkeys.get("Y3JlZC0x") is None


async def test_a_users_passkeys_are_listed_oldest_first(ports: Ports) -> None:
    await ports.users.add(user())
    await ports.users.add(user("u-2"))
    await ports.passkeys.add(passkey("bmV3", created_at=NOW + 5, name="New"))
    await ports.passkeys.add(passkey("b2xk", created_at=NOW, name="Old", transports=()))
    await ports.passkeys.add(passkey("b3RoZXI", user_id="u-2"))
    listed = await ports.passkeys.for_user("u-1")
    assert [p.name for p in listed] == ["Old", "New"]
    assert listed[0].transports == ()
    assert await ports.passkeys.for_user("u-3") == []


async def test_a_use_moves_the_counter_only_from_the_value_it_was_verified_against(
    ports: Ports,
) -> None:
    await ports.users.add(user())
    await ports.passkeys.add(passkey(sign_count=4))
    use = {"expected_count": 4, "sign_count": 9, "backup_state": True, "now": NOW + 60}
    assert await ports.passkeys.record_use("Y3JlZC0x", **use)  # type: ignore[arg-type]
    assert not await ports.passkeys.record_use("Y3JlZC0x", **use)  # type: ignore[arg-type]
    found = await ports.passkeys.get("Y3JlZC0x")
    assert found == dataclasses.replace(
        passkey(sign_count=4), sign_count=9, backup_state=True, last_used_at=NOW + 60
    )
    assert not await ports.passkeys.record_use(
        "bm9uZQ", expected_count=0, sign_count=1, backup_state=False, now=NOW
    )


async def test_of_two_uses_racing_with_one_counter_one_is_recorded(ports: Ports) -> None:
    await ports.users.add(user())
    await ports.passkeys.add(passkey(sign_count=1))
    peer = ports.peer()
    results = await asyncio.gather(
        ports.passkeys.record_use(
            "Y3JlZC0x", expected_count=1, sign_count=2, backup_state=False, now=NOW
        ),
        peer.passkeys.record_use(
            "Y3JlZC0x", expected_count=1, sign_count=3, backup_state=False, now=NOW
        ),
    )
    assert sorted(results) == [False, True]


async def test_only_the_owner_renames_or_removes_a_passkey(ports: Ports) -> None:
    await ports.users.add(user())
    await ports.users.add(user("u-2"))
    await ports.passkeys.add(passkey())
    assert not await ports.passkeys.rename("u-2", "Y3JlZC0x", "Mine now")
    assert not await ports.passkeys.remove("u-2", "Y3JlZC0x")
    assert await ports.passkeys.rename("u-1", "Y3JlZC0x", "Work laptop")
    found = await ports.passkeys.get("Y3JlZC0x")
    assert found is not None and found.name == "Work laptop"
    assert await ports.passkeys.remove("u-1", "Y3JlZC0x")
    assert not await ports.passkeys.remove("u-1", "Y3JlZC0x")
    assert await ports.passkeys.get("Y3JlZC0x") is None
    assert not await ports.passkeys.record_use(
        "Y3JlZC0x", expected_count=0, sign_count=1, backup_state=False, now=NOW
    )
