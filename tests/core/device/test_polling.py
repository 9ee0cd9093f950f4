"""The polling state machine (RFC 8628 §3.5): the pure verdict, then the same states through
the token endpoint on memory services."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core.device.polling import Verdict, too_fast, verdict
from authgate.core.security_events import EventKind
from authgate.core.types import DeviceAuthorization
from authgate.crypto.handles import handle_hash
from authgate.errors import (
    AuthorizationPending,
    DeviceAccessDenied,
    ExpiredToken,
    InvalidGrant,
    SlowDown,
    UnauthorizedClient,
)
from tests.core.device.support import answer, device_client, poll, request_device
from tests.memory import add_client, advance, double, make_services
from tests.memory.doubles import RecordingSecurityEvents

REQUEST = DeviceAuthorization(
    device_code_hash="d" * 64,
    user_code_hash="u" * 64,
    client_id="tv",
    scope=("openid",),
    issued_at=1000.0,
    expires_at=2800.0,
    interval=5,
)


@pytest.mark.parametrize(
    ("status", "client_id", "now", "expected"),
    [
        ("pending", "tv", 1001.0, Verdict.PENDING),
        ("pending", "other", 1001.0, Verdict.UNKNOWN),
        ("pending", "tv", 2800.0, Verdict.EXPIRED),
        ("approved", "tv", 1001.0, Verdict.APPROVED),
        ("approved", "tv", 2800.0, Verdict.EXPIRED),
        ("denied", "tv", 1001.0, Verdict.DENIED),
        ("denied", "tv", 2800.0, Verdict.EXPIRED),
        ("issued", "tv", 1001.0, Verdict.ISSUED),
        ("issued", "tv", 9999.0, Verdict.ISSUED),
    ],
)
def test_verdicts(status: str, client_id: str, now: float, expected: Verdict) -> None:
    request = dataclasses.replace(REQUEST, status=status)  # type: ignore[arg-type]
    assert verdict(request, client_id, now) is expected


def test_an_unknown_device_code_is_unknown() -> None:
    assert verdict(None, "tv", 1001.0) is Verdict.UNKNOWN


def test_pace() -> None:
    assert not too_fast(None, 5, 1000.0)
    assert too_fast(1000.0, 5, 1004.9)
    assert not too_fast(1000.0, 5, 1005.0)


async def test_pending_then_slow_down_then_pending_at_the_longer_interval() -> None:
    svc = make_services()
    client = await device_client(svc)
    device = await request_device(svc, client)
    code = device["device_code"]
    with pytest.raises(AuthorizationPending):
        await poll(svc, client, code)
    advance(svc, 2)
    with pytest.raises(SlowDown) as slow:
        await poll(svc, client, code)
    assert "10 seconds" in slow.value.description
    advance(svc, 6)  # 6 s after the slow poll: the interval is now 10 s
    with pytest.raises(SlowDown) as slower:
        await poll(svc, client, code)
    assert "15 seconds" in slower.value.description  # every slow_down adds 5 s
    advance(svc, 15)
    with pytest.raises(AuthorizationPending):
        await poll(svc, client, code)


async def test_approved_gives_tokens_once() -> None:
    svc = make_services()
    client = await device_client(svc)
    device = await request_device(svc, client, scope="openid offline_access")
    answered = await answer(svc, device["user_code"])
    body = await poll(svc, client, device["device_code"])
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid offline_access"
    assert {"access_token", "refresh_token", "id_token"} <= set(body)
    record = await svc.grants.get_token(handle_hash(body["access_token"]))
    assert record is not None and record.user_id == answered.user.user_id
    assert record.client_id == client.client_id and record.sid is None
    claims = svc.keys.verify(body["id_token"])
    assert claims["aud"] == client.client_id
    assert claims["auth_time"] == answered.session.auth_time
    with pytest.raises(InvalidGrant) as again:
        await poll(svc, client, device["device_code"])
    assert again.value.description == "The device code has already been used"


async def test_denied_is_access_denied_with_status_400_and_an_event() -> None:
    svc = make_services()
    client = await device_client(svc)
    device = await request_device(svc, client)
    answered = await answer(svc, device["user_code"], approved=False)
    with pytest.raises(DeviceAccessDenied) as denied:
        await poll(svc, client, device["device_code"])
    assert denied.value.error == "access_denied" and denied.value.status_code == 400
    events = double(svc.events, RecordingSecurityEvents).events
    (event,) = [e for e in events if e.kind == EventKind.DEVICE_AUTHORIZATION_DENIED]
    assert event.client_id == client.client_id and event.user_id == answered.user.user_id


async def test_expired_device_code() -> None:
    svc = make_services()
    client = await device_client(svc)
    device = await request_device(svc, client)
    advance(svc, device["expires_in"])
    with pytest.raises(ExpiredToken):
        await poll(svc, client, device["device_code"])


async def test_unknown_device_code_and_another_clients_code() -> None:
    svc = make_services()
    client = await device_client(svc)
    other = await device_client(svc)
    device = await request_device(svc, client)
    with pytest.raises(InvalidGrant):
        await poll(svc, client, "not-a-device-code")
    with pytest.raises(InvalidGrant):
        await poll(svc, other, device["device_code"])
    with pytest.raises(AuthorizationPending):  # the other client's poll changed nothing
        await poll(svc, client, device["device_code"])


async def test_a_client_without_the_grant_is_refused() -> None:
    svc = make_services()
    client = await add_client(svc)
    with pytest.raises(UnauthorizedClient):
        await request_device(svc, client)
