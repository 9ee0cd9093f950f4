"""The verification page's decisions on memory services: user codes under brute-force
protection, the sign-in through the normal login interaction, one answer per code."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core.authorize import interaction as flow
from authgate.core.authorize.request import NeedDeviceApproval, NeedLogin
from authgate.core.device import verification
from authgate.core.device.verification import DeviceCodeUnusable
from authgate.core.protection import user_codes
from authgate.core.security_events import EventKind
from authgate.core.types import FailureKey
from authgate.errors import InteractionError, UnauthorizedClient, UserCodeRejected
from tests.core.device.support import SOURCE, device_client, request_device
from tests.memory import add_session, add_user, advance, double, make_services
from tests.memory.doubles import RecordingSecurityEvents
from tests.support import PASSWORD


async def test_sign_in_through_the_login_interaction_then_approve() -> None:
    svc = make_services()
    client = await device_client(svc)
    device = await request_device(svc, client)
    user = await add_user(svc, "alice")
    found = await verification.find(device["user_code"].lower(), svc, source=SOURCE)
    started = await verification.start(found, None, None, svc)
    assert isinstance(started.next, NeedLogin)
    ix, session, _cookie = await flow.login(started.interaction, "alice", PASSWORD, svc)
    assert isinstance(await flow.advance(ix, session, svc), NeedDeviceApproval)
    with pytest.raises(InteractionError):  # never an authorization response
        await flow.consent(ix, session, True, svc)
    pending = await verification.pending(ix, svc)
    assert pending.client_id == client.client_id
    await verification.answer(ix, session, True, svc)
    stored = await svc.devices.find(pending.user_code_hash)
    assert stored is not None and stored.status == "approved"
    assert stored.user_id == user.user_id and stored.amr == ("pwd",)


async def test_one_answer_per_code() -> None:
    svc = make_services()
    client = await device_client(svc)
    device = await request_device(svc, client)
    user = await add_user(svc)
    session, _ = await add_session(svc, user)
    found = await verification.find(device["user_code"], svc, source=SOURCE)
    first = await verification.start(found, session, None, svc)
    second = await verification.start(found, session, None, svc)  # another tab
    await verification.answer(first.interaction, session, True, svc)
    with pytest.raises(InteractionError):  # the same form again
        await verification.answer(first.interaction, session, False, svc)
    with pytest.raises(DeviceCodeUnusable):  # the other tab
        await verification.answer(second.interaction, session, False, svc)
    with pytest.raises(DeviceCodeUnusable):  # typing the code again
        await verification.find(device["user_code"], svc, source=SOURCE)


async def test_an_expired_code_cannot_be_approved() -> None:
    svc = make_services()
    client = await device_client(svc)
    device = await request_device(svc, client)
    advance(svc, device["expires_in"])
    with pytest.raises(DeviceCodeUnusable):
        await verification.find(device["user_code"], svc, source=SOURCE)


async def test_wrong_codes_are_counted_per_source_and_slowed_down() -> None:
    svc = make_services()
    settings = svc.config.current.authenticationProtectionConfiguration
    free = settings.maximumAllowedAttemptsWithoutDelay
    client = await device_client(svc)
    device = await request_device(svc, client)
    for n in range(free):
        with pytest.raises(UserCodeRejected) as wrong:
            await verification.find("BBBB-BBBB" if n % 2 else "nonsense", svc, source=SOURCE)
        assert wrong.value.retry_after is None
    with pytest.raises(UserCodeRejected) as slowed:
        await verification.find("BBBB-BBBB", svc, source=SOURCE)
    assert slowed.value.retry_after == settings.delayTime
    # even the right code waits now, from this source; another source is not affected
    with pytest.raises(UserCodeRejected) as waiting:
        await verification.find(device["user_code"], svc, source=SOURCE)
    assert waiting.value.retry_after
    assert await verification.find(device["user_code"], svc, source="203.0.113.9")
    counts = await svc.failures.read([FailureKey("user_code", "-", SOURCE)], 0, fresh=True)
    assert counts[0].failures == free + 1  # the refused attempt was not counted
    events = double(svc.events, RecordingSecurityEvents).events
    throttled = [e for e in events if e.kind == EventKind.USER_CODE_THROTTLED]
    assert len(throttled) == 1 and throttled[0].source == SOURCE
    assert device["user_code"] not in throttled[0].detail
    # the wait passes; a right code then does not clear the counter
    advance(svc, settings.delayTime)
    assert await verification.find(device["user_code"], svc, source=SOURCE)
    counts = await svc.failures.read([FailureKey("user_code", "-", SOURCE)], 0, fresh=True)
    assert counts[0].failures == free + 1


def test_a_guess_is_counted_on_one_counter_of_its_source() -> None:
    attempt = user_codes.attempt_of(SOURCE)
    assert attempt.counters() == (FailureKey("user_code", "-", SOURCE),)


async def test_a_code_of_a_client_disabled_since_is_refused() -> None:
    svc = make_services()
    client = await device_client(svc)
    device = await request_device(svc, client)
    await svc.clients.replace(dataclasses.replace(client, disabled=True))
    with pytest.raises(UnauthorizedClient):
        await verification.find(device["user_code"], svc, source=SOURCE)
