"""FactorStore: pending and confirmed factors, single use of a TOTP step and of a recovery
code under concurrency, replacement of recovery codes, removal."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from authgate.core.types import SecondFactor
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, user


def factor(factor_id: str = "f-1", user_id: str = "u-1", kind: str = "totp") -> SecondFactor:
    return SecondFactor(
        factor_id=factor_id,
        user_id=user_id,
        kind=kind,
        secret=f"sealed-{factor_id}",
        created_at=NOW,
        label="Authenticator app",
    )


async def test_a_pending_factor_is_replaced_and_confirmed_once(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.factors.start(factor("f-1"))
    await ports.factors.start(factor("f-2"))  # replaces the pending f-1
    assert [f.factor_id for f in await ports.factors.list("u-1")] == ["f-2"]
    assert (await ports.factors.list("u-1"))[0] == factor("f-2")
    results = await asyncio.gather(
        ports.factors.confirm("f-2", 100, NOW), ports.peer().factors.confirm("f-2", 100, NOW)
    )
    assert sorted(results) == [False, True]
    assert not await ports.factors.confirm("no-such", 100, NOW)
    [confirmed] = await ports.factors.list("u-1")
    assert confirmed == dataclasses.replace(
        factor("f-2"), confirmed_at=NOW, last_step=100, last_used_at=NOW
    )
    # a new pending one does not touch the confirmed one
    await ports.factors.start(factor("f-3"))
    assert [f.factor_id for f in await ports.factors.list("u-1")] == ["f-2", "f-3"]
    assert await ports.factors.list("u-2") == []


async def test_a_factor_needs_an_existing_user(ports: Ports) -> None:
    with pytest.raises(IntegrityViolation):
        await ports.factors.start(factor("f-1", user_id="nobody"))
    assert await ports.factors.list("nobody") == []


async def test_a_step_is_accepted_once_and_only_after_the_last(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.factors.start(factor("f-1"))
    assert not await ports.factors.accept_step("f-1", 100, NOW)  # pending
    assert await ports.factors.confirm("f-1", 100, NOW)
    assert not await ports.factors.accept_step("f-1", 100, NOW)  # the confirming step
    results = await asyncio.gather(
        *(ports.peer().factors.accept_step("f-1", 101, NOW + 1) for _ in range(5))
    )
    assert results.count(True) == 1
    assert not await ports.factors.accept_step("f-1", 100, NOW + 2)  # older
    assert await ports.factors.accept_step("f-1", 103, NOW + 3)
    [stored] = await ports.factors.list("u-1")
    assert (stored.last_step, stored.last_used_at) == (103, NOW + 3)
    assert not await ports.factors.accept_step("no-such", 200, NOW)


async def test_recovery_codes_are_single_use_and_replaced_together(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.users.add(user("u-2"))
    await ports.factors.replace_recovery_codes("u-1", ["h1", "h2", "h3"], NOW)
    assert await ports.factors.recovery_codes_left("u-1") == 3
    results = await asyncio.gather(
        *(ports.peer().factors.use_recovery_code("u-1", "h2", NOW) for _ in range(4))
    )
    assert results.count(True) == 1
    assert await ports.factors.recovery_codes_left("u-1") == 2
    assert not await ports.factors.use_recovery_code("u-2", "h1", NOW)  # another user's
    assert not await ports.factors.use_recovery_code("u-1", "nope", NOW)
    await ports.factors.replace_recovery_codes("u-1", ["h4", "h5"], NOW)
    assert not await ports.factors.use_recovery_code("u-1", "h1", NOW)  # replaced
    assert await ports.factors.use_recovery_code("u-1", "h4", NOW)
    assert await ports.factors.recovery_codes_left("u-1") == 1
    with pytest.raises(IntegrityViolation):
        await ports.factors.replace_recovery_codes("u-1", ["h6", "h6"], NOW)
    assert await ports.factors.recovery_codes_left("u-1") == 1  # nothing written
    with pytest.raises(IntegrityViolation):
        await ports.factors.replace_recovery_codes("nobody", ["h7"], NOW)
    assert await ports.factors.clear_recovery_codes("u-1") == 2
    assert await ports.factors.recovery_codes_left("u-1") == 0
    await ports.factors.replace_recovery_codes("u-1", [], NOW)
    assert await ports.factors.clear_recovery_codes("u-1") == 0


async def test_remove_by_kind_or_all(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.users.add(user("u-2"))
    await ports.factors.start(factor("f-1", kind="totp"))
    await ports.factors.start(factor("f-2", kind="webauthn"))
    await ports.factors.start(factor("f-3", user_id="u-2"))
    assert await ports.factors.remove("u-1", "totp") == 1
    assert [f.factor_id for f in await ports.factors.list("u-1")] == ["f-2"]
    assert await ports.factors.remove("u-1") == 1
    assert await ports.factors.remove("u-1") == 0
    assert [f.factor_id for f in await ports.factors.list("u-2")] == ["f-3"]


async def test_one_factor_is_renamed_and_removed_by_its_owner_only(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.users.add(user("u-2"))
    await ports.factors.start(factor("f-1"))
    assert not await ports.factors.rename("u-1", "f-1", "Phone")  # pending: not yet
    assert await ports.factors.confirm("f-1", 100, NOW)
    await ports.factors.start(factor("f-2"))
    assert await ports.factors.confirm("f-2", 100, NOW)
    assert await ports.factors.rename("u-1", "f-1", "Phone")
    assert not await ports.factors.rename("u-2", "f-1", "Stolen")  # another user's
    assert not await ports.factors.rename("u-1", "no-such", "x")
    labels = {f.factor_id: f.label for f in await ports.factors.list("u-1")}
    assert labels == {"f-1": "Phone", "f-2": "Authenticator app"}
    assert not await ports.factors.remove_one("u-2", "f-1")
    results = await asyncio.gather(
        ports.factors.remove_one("u-1", "f-1"), ports.peer().factors.remove_one("u-1", "f-1")
    )
    assert sorted(results) == [False, True]
    assert [f.factor_id for f in await ports.factors.list("u-1")] == ["f-2"]
