"""Back-channel logout deliveries survive a restart: they are stored when the logout submits
them, retried from the store, taken by one process at a time, given up (and recorded) after
``backchannelLogoutDeliveryAttempts``, and resumed by the next process to start."""

from __future__ import annotations

import asyncio
import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest

from authgate.core.security_events import EventKind
from authgate.core.types import LogoutDelivery, LogoutNotice
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.storage.logout_deliveries import SqlLogoutDeliveryStore
from tests.conftest import patch_config
from tests.lifecycle import END_SESSION
from tests.receiver import Receiver, Reply
from tests.support import Flow, fast_hasher, loopback_settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The receivers run on 127.0.0.1, which the outbound policy refuses unless allowed."""
    return loopback_settings(database_url)


async def _logout(http: httpx.AsyncClient, id_token: str) -> None:
    response = await http.get(f"{END_SESSION}?{urlencode({'id_token_hint': id_token})}")
    assert response.status_code == 200


async def _signed_in(flow: Flow, receiver: Receiver) -> str:
    """Register a client with a back-channel logout URI at ``receiver``; its ID Token."""
    client = await flow.register(backchannel_logout_uri=receiver.url("/bcl"))
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    return str(tokens["id_token"])


def _store(runtime: Runtime) -> SqlLogoutDeliveryStore:
    return SqlLogoutDeliveryStore(runtime.db)


async def _failures(runtime: Runtime) -> list[tuple[str | None, str]]:
    events = await runtime.services.events.list(kind=EventKind.BACKCHANNEL_LOGOUT_FAILED)
    return [(e.client_id, e.detail) for e in events]


async def test_a_delivery_is_stored_until_it_is_done(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    async with Receiver(default=Reply(200, delay=0.3)) as rx:
        id_token = await _signed_in(flow, rx)
        await _logout(http, id_token)
        assert await _store(runtime).count() == 1  # stored before the logout answered
        await rx.wait_for(1)
        await runtime.backchannel.drain()
    assert await _store(runtime).count() == 0
    assert await _failures(runtime) == []


async def test_giving_up_is_recorded(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    await patch_config(runtime, backchannelLogoutDeliveryAttempts=2)
    runtime.backchannel.backoff = 0.01
    async with Receiver(default=Reply(503)) as rx:
        id_token = await _signed_in(flow, rx)
        await _logout(http, id_token)
        await rx.wait_for(2)
        await runtime.backchannel.drain()
    assert len(rx.requests) == 2
    assert await _store(runtime).count() == 0
    [(client_id, detail)] = await _failures(runtime)
    assert client_id is not None
    assert detail == "back-channel logout no success in 2 attempt(s)"


async def test_a_refusal_is_recorded(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    async with Receiver(default=Reply(400)) as rx:
        await _logout(http, await _signed_in(flow, rx))
        await rx.wait_for(1)
        await runtime.backchannel.drain()
    assert [d for _c, d in await _failures(runtime)] == [
        "back-channel logout refused with HTTP 400"
    ]


async def test_a_retry_is_resumed_after_a_restart(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    """The first attempt fails; the process stops before the retry. The next process on the
    database delivers the same token."""
    runtime.backchannel.backoff = 0.5
    async with Receiver(script=[Reply(503)]) as rx:
        await _logout(http, await _signed_in(flow, rx))
        await rx.wait_for(1)
        await asyncio.sleep(0.1)  # the failure is recorded, the retry waits
        await runtime.backchannel.close(timeout=0)  # the process stops
        assert await _store(runtime).count() == 1
        later = await Runtime.start(
            runtime.settings, migrate=False, passwords=fast_hasher(), poll=False
        )
        try:
            later.backchannel.scan_interval = 0.05
            await later.listen()
            await rx.wait_for(2)
            await asyncio.sleep(0.1)
            await later.backchannel.drain()
            assert await _store(later).count() == 0
        finally:
            await later.stop()
    first, second = rx.requests
    assert first.body == second.body


async def test_each_delivery_is_attempted_by_one_process(runtime: Runtime) -> None:
    """Deliveries left by a process that died are taken over by two processes at once:
    every token arrives exactly once."""
    now = time.time()
    async with Receiver() as rx:
        orphans = [
            LogoutDelivery(uuid.uuid4().hex, LogoutNotice("c", rx.url(f"/{i}"), f"t{i}"), 0, now)
            for i in range(20)
        ]
        await _store(runtime).add(orphans, "a process that died", now - 1)
        other = await Runtime.start(
            runtime.settings, migrate=False, passwords=fast_hasher(), poll=False
        )
        try:
            await asyncio.gather(runtime.backchannel.scan(), other.backchannel.scan())
            await rx.wait_for(20)
            await runtime.backchannel.drain()
            await other.backchannel.drain()
        finally:
            await other.stop()
    assert sorted(r.path for r in rx.requests) == sorted(f"/{i}" for i in range(20))
    assert await _store(runtime).count() == 0


async def test_a_lease_in_force_is_respected_and_an_expired_token_given_up(
    runtime: Runtime,
) -> None:
    now = time.time()
    store = _store(runtime)
    async with Receiver() as rx:
        held = LogoutDelivery("held", LogoutNotice("c1", rx.url("/held"), "t1"), 0, now)
        stale = LogoutDelivery("stale", LogoutNotice("c2", rx.url("/stale"), "t2"), 1, now - 600)
        await store.add([held], "a live process", now + 30)
        await store.add([stale], "a process that died", now - 1)
        assert await runtime.backchannel.scan() == 1  # only the stale one is due
        await runtime.backchannel.drain()
    assert rx.requests == []
    assert await store.count() == 1
    assert await _failures(runtime) == [
        ("c2", "back-channel logout the logout token expired undelivered")
    ]


async def test_claims_are_compare_and_set(runtime: Runtime) -> None:
    store = _store(runtime)
    now = time.time()
    delivery = LogoutDelivery("d", LogoutNotice("c", "http://127.0.0.1:9/x", "t"), 0, now)
    await store.add([delivery], "first", now - 1)
    assert await store.claim("d", "second", now, now + 10)
    assert not await store.claim("d", "third", now, now + 10)  # leased to "second"
    assert not await store.retry("d", "first", 1, now)  # "first" no longer holds it
    assert await store.retry("d", "second", 1, now - 1)
    assert [d.attempts for d in await store.due(now, 10)] == [1]
    assert not await store.finish("d", "first")
    assert await store.claim("d", "third", now, now + 10)
    assert await store.finish("d", "third")
    assert await store.count() == 0
