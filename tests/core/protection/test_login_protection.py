"""Brute-force protection of the login page's password check, on memory services."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core.authorize import interaction
from authgate.core.authorize import request as authorize
from authgate.core.ports import Services
from authgate.core.protection import device
from authgate.core.security_events import EventKind
from authgate.core.types import Interaction
from authgate.errors import InteractionError, InteractionExhausted, LoginFailed
from tests.core.protection.support import CountingFailures, CountingHasher
from tests.memory import (
    StaticConfig,
    add_client,
    add_user,
    advance,
    double,
    make_services,
)
from tests.memory.doubles import RecordingSecurityEvents
from tests.memory.stores import MemoryFailureStore, Tables
from tests.support import PASSWORD, USERNAME, authorize_params, s256

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"


def services(**protection: Any) -> tuple[Services, CountingHasher, CountingFailures]:
    hasher = CountingHasher()
    failures = CountingFailures(MemoryFailureStore(Tables()))
    config = StaticConfig()
    if protection:
        current = config.current.authenticationProtectionConfiguration
        config.update(authenticationProtectionConfiguration=current.model_dump() | protection)
    return make_services(passwords=hasher, failures=failures, config=config), hasher, failures


async def page(svc: Services) -> Interaction:
    """A fresh login page (interaction) for the flow document's client."""
    client = await svc.clients.get("app") or await add_client(svc, client_id="app")
    request, _ = await authorize.validate(
        authorize_params(client.client_id, s256("v" * 64), "S256"), svc
    )
    started, _browser = await interaction.begin(request, None, None, svc)
    return started


async def attempt(
    svc: Services,
    password: str,
    *,
    username: str = USERNAME,
    source: str = ATTACKER,
    devices: str | None = None,
    ix: Interaction | None = None,
) -> LoginFailed | None:
    """Try to log in; the LoginFailed it raised, or None on success."""
    try:
        await interaction.login(
            ix or await page(svc), username, password, svc, source=source, devices=devices
        )
    except LoginFailed as exc:
        return exc
    return None


async def test_the_wait_starts_at_the_sixth_failure_doubles_and_is_capped() -> None:
    svc, _hasher, _failures = services()
    await add_user(svc)
    for _ in range(5):
        failed = await attempt(svc, "wrong")
        assert failed is not None and failed.retry_after is None
    waits = []
    for _ in range(10):
        failed = await attempt(svc, "wrong")
        assert failed is not None and failed.retry_after is not None
        waits.append(failed.retry_after)
        refused = await attempt(svc, PASSWORD)  # even the right password must wait
        assert refused is not None and refused.retry_after == failed.retry_after
        advance(svc, failed.retry_after)
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert await attempt(svc, PASSWORD) is None  # after the wait, the owner gets in
    assert await attempt(svc, "wrong") is not None  # and the count starts again
    assert (await attempt(svc, "wrong") or LoginFailed()).retry_after is None


async def test_refused_attempts_cost_no_password_hash() -> None:
    svc, hasher, _failures = services()
    await add_user(svc)
    for _ in range(6):
        await attempt(svc, "wrong")
    assert hasher.verified == 6
    for password in ("wrong", PASSWORD, "other"):
        refused = await attempt(svc, password)
        assert refused is not None and refused.retry_after == 2
    assert hasher.verified == 6


async def test_an_unknown_username_is_throttled_exactly_like_a_known_one() -> None:
    svc, _hasher, _failures = services()
    await add_user(svc)
    for username in (USERNAME, "nobody"):
        answers = []
        for _ in range(8):
            failed = await attempt(svc, "wrong", username=username)
            assert failed is not None
            answers.append((str(failed), failed.retry_after))
        assert answers[5:] == [
            ("Invalid username or password. Try again in 2 seconds.", 2),
            ("Invalid username or password. Try again in 2 seconds.", 2),
            ("Invalid username or password. Try again in 2 seconds.", 2),
        ]
        assert answers[0] == ("Invalid username or password.", None)


async def test_other_sources_and_accounts_are_not_slowed_by_one_pair() -> None:
    svc, _hasher, _failures = services()
    await add_user(svc)
    await add_user(svc, username="bob", password="bob-password")
    for _ in range(7):
        await attempt(svc, "wrong")
    assert await attempt(svc, PASSWORD, source=OWNER) is None
    assert await attempt(svc, "bob-password", username="bob") is None


async def test_a_source_spraying_many_accounts_waits_on_every_account() -> None:
    svc, hasher, _failures = services(maximumAllowedFailuresPerSource=4)
    await add_user(svc)
    for i in range(5):
        await attempt(svc, "wrong", username=f"user-{i}")
    refused = await attempt(svc, PASSWORD)
    assert refused is not None and refused.retry_after == 2
    assert hasher.verified == 5
    assert await attempt(svc, PASSWORD, source=OWNER) is None


async def test_lockout_refuses_the_right_password_from_anywhere_without_saying_so() -> None:
    svc, hasher, _failures = services(lockoutEnabled=True, lockoutThreshold=3)
    await add_user(svc)
    for i in range(3):  # three sources, one failure each: no per-source wait
        failed = await attempt(svc, "wrong", source=f"203.0.113.{i}")
        assert failed is not None and failed.retry_after is None
    checked = hasher.verified
    refused = await attempt(svc, PASSWORD, source=OWNER)
    assert refused is not None
    assert str(refused) == "Invalid username or password." and refused.retry_after is None
    assert hasher.verified == checked  # no hash for a locked account
    advance(svc, 900)
    assert await attempt(svc, PASSWORD, source=OWNER) is None
    events = double(svc.events, RecordingSecurityEvents)
    assert events.kinds().count(EventKind.LOCKOUT) == 1


async def test_the_owners_device_cookie_gets_in_while_the_account_is_attacked() -> None:
    svc, _hasher, _failures = services(lockoutEnabled=True, lockoutThreshold=3)
    user = await add_user(svc)
    assert await attempt(svc, PASSWORD, source=OWNER) is None
    cookie = device.remember(None, user.user_id, svc)
    for i in range(12):  # locks the account, and throttles the owner's own address
        await attempt(svc, "wrong", source=OWNER if i < 7 else f"203.0.113.{i}")
    assert await attempt(svc, PASSWORD, source=OWNER) is not None
    assert await attempt(svc, PASSWORD, source=OWNER, devices=cookie) is None
    # from a new address too: the device, not the address, is what is trusted
    assert await attempt(svc, PASSWORD, source="192.0.2.1", devices=cookie) is None


async def test_a_stolen_device_cookie_meets_the_waits_on_its_own_counter() -> None:
    svc, hasher, _failures = services()
    user = await add_user(svc)
    cookie = device.remember(None, user.user_id, svc)
    for _ in range(6):
        await attempt(svc, "wrong", devices=cookie)
    refused = await attempt(svc, PASSWORD, devices=cookie)
    assert refused is not None and refused.retry_after == 2
    assert hasher.verified == 6
    # the address's own counter was not touched: without the cookie it is not waiting
    assert await attempt(svc, PASSWORD) is None


async def test_a_login_page_accepts_a_bounded_number_of_checks() -> None:
    svc, hasher, _failures = services(maximumAttemptsPerInteraction=3)
    await add_user(svc)
    ix = await page(svc)
    for _ in range(3):
        assert await attempt(svc, "wrong", ix=ix) is not None
    with pytest.raises(InteractionExhausted):
        await attempt(svc, PASSWORD, ix=ix)
    assert hasher.verified == 3
    assert await svc.interactions.get(ix.interaction_id) is None  # it must be restarted
    with pytest.raises(InteractionError):
        await interaction.load(ix.interaction_id, "any", svc)
    assert await attempt(svc, PASSWORD) is None  # a new page works


async def test_a_success_writes_only_when_there_were_failures_to_clear() -> None:
    svc, _hasher, failures = services()
    await add_user(svc)
    assert await attempt(svc, PASSWORD) is None
    assert failures.writes == []
    await attempt(svc, "wrong")
    assert failures.writes == ["add"]
    assert await attempt(svc, PASSWORD) is None
    assert failures.writes == ["add", "clear"]
    assert await attempt(svc, PASSWORD) is None
    assert failures.writes == ["add", "clear"]


async def test_turned_off_it_counts_nothing() -> None:
    svc, hasher, failures = services(bruteForceProtectionEnabled=False)
    await add_user(svc)
    for _ in range(20):
        failed = await attempt(svc, "wrong")
        assert failed is not None and failed.retry_after is None
    assert await attempt(svc, PASSWORD) is None
    assert failures.calls == []
    assert hasher.verified == 21


async def test_events_name_the_source_and_never_the_password() -> None:
    svc, _hasher, _failures = services()
    user = await add_user(svc)
    for _ in range(6):
        await attempt(svc, "hunter2-secret")
    await attempt(svc, "hunter2-secret")  # refused: no event of its own
    advance(svc, 2)
    assert await attempt(svc, PASSWORD) is None
    events = double(svc.events, RecordingSecurityEvents).events
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.LOGIN_FAILED) == 6
    assert kinds.count(EventKind.LOGIN_THROTTLED) == 1
    assert kinds[-1] == EventKind.LOGIN_SUCCEEDED
    assert all(e.source == ATTACKER and e.user_id == user.user_id for e in events)
    assert not any("hunter2" in repr(e) or PASSWORD in repr(e) for e in events)
