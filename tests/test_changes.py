"""Instances agree at once: a change made through one runtime reaches another runtime on the
same database (another instance on PostgreSQL, another worker on a SQLite file) through the
change feed, long before the caches' 2 s lifetime or the configuration poll would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import cast

import pytest

from authgate.admin.context import Actor
from authgate.admin.schemas import ClientIn, ScopeIn, UserIn, UserUpdate
from authgate.assembly import admin_service
from authgate.changes import ChangeApplier
from authgate.core.ports import ClientStore, ScopeStore
from authgate.core.types import Client, LoginSession
from authgate.crypto.keys import StoredKey
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.storage.configuration import SqlKeyStore
from authgate.storage.connect import open_database
from tests.support import fast_hasher

ACTOR = Actor("test")
#: Far below the caches' 2 s and the poll's 2 s, far above what a loaded machine needs.
WITHIN = 1.0


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = WITHIN) -> float:
    """Seconds until ``check`` holds (fails after ``timeout``)."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, "the change did not arrive in time"
        await asyncio.sleep(0.005)
    return time.monotonic() - started


@pytest.fixture
async def pair(
    settings: Settings, signing_keys: list[StoredKey]
) -> AsyncIterator[tuple[Runtime, Runtime]]:
    """Two serving runtimes on one database."""
    db = await open_database(settings.database)
    for key in signing_keys:
        await SqlKeyStore(db).add(key)
    await db.close()
    quick = settings.model_copy(update={"change_poll_interval": 0.02})
    a = await Runtime.start(quick, migrate=False, passwords=fast_hasher())
    b = await Runtime.start(quick, migrate=False, passwords=fast_hasher())
    yield a, b
    await a.stop()
    await b.stop()


async def _client(runtime: Runtime) -> Client:
    body = ClientIn(client_name="c", grant_types=["client_credentials"], scope=["openid"])
    return (await admin_service(runtime).clients.create(body, ACTOR)).client


async def test_a_disabled_client_is_refused_on_the_other_instance_at_once(
    pair: tuple[Runtime, Runtime],
) -> None:
    a, b = pair
    client = await _client(a)
    cached = await b.services.clients.get(client.client_id)  # b caches it for 2 s
    assert cached is not None and not cached.disabled
    body = ClientIn(
        client_name="c", grant_types=["client_credentials"], scope=["openid"], disabled=True
    )
    await admin_service(a).clients.update(client.client_id, body, ACTOR)

    async def disabled() -> bool:
        found = await b.services.clients.get(client.client_id)
        return found is not None and found.disabled

    await eventually(disabled)


async def test_a_client_deleted_through_registration_management_is_gone_everywhere(
    pair: tuple[Runtime, Runtime],
) -> None:
    a, b = pair
    client = await _client(a)
    assert await b.services.clients.get(client.client_id) is not None
    assert await a.services.clients.delete(client.client_id)  # as RFC 7592 DELETE does

    async def gone() -> bool:
        return await b.services.clients.get(client.client_id) is None

    await eventually(gone)


async def test_scopes_configuration_and_keys_reach_the_other_instance(
    pair: tuple[Runtime, Runtime],
) -> None:
    a, b = pair
    admin = admin_service(a)
    assert "calendar" not in {s.scope_id for s in await b.services.scopes.all()}
    await admin.scopes.create(ScopeIn(scope_id="calendar", description="Calendar"), ACTOR)

    async def scope_known() -> bool:
        return "calendar" in {s.scope_id for s in await b.services.scopes.all()}

    await eventually(scope_known)

    await admin.config.set_properties({"accessTokenLifetime": 1234}, ACTOR)

    async def config_loaded() -> bool:
        return b.live_config.current.accessTokenLifetime == 1234

    await eventually(config_loaded)

    rotation = await admin.keys.rotate(ACTOR)
    new = {k.kid for k in rotation.keys}

    async def keys_loaded() -> bool:
        return new <= b.keyring.kids

    await eventually(keys_loaded)


async def test_users_and_sessions_are_never_cached(pair: tuple[Runtime, Runtime]) -> None:
    """Disabling a user or ending a session needs no notice: the other instance reads both
    from the database on every request, so it sees the change at its commit."""
    a, b = pair
    admin = admin_service(a)
    user = await admin.users.create(UserIn(username="bob", password="a password 1"), ACTOR)
    now = int(time.time())
    session = LoginSession("session-hash", "sid-1", user.user_id, now, now + 3600)
    await a.services.sessions.add(session)
    assert await b.services.sessions.state("session-hash", "any-client") is not None
    await admin.sessions.revoke("sid-1", ACTOR)
    assert await b.services.sessions.state("session-hash", "any-client") is None
    fetched = await b.services.users.get(user.user_id)
    assert fetched is not None and fetched.enabled
    await admin.users.update(user.user_id, UserUpdate(enabled=False), ACTOR)
    fetched = await b.services.users.get(user.user_id)
    assert fetched is not None and not fetched.enabled


async def test_a_read_under_way_during_a_drop_caches_nothing(
    pair: tuple[Runtime, Runtime],
) -> None:
    """The row read before a change notice must not outlive it in the cache."""
    a, _b = pair
    client = await _client(a)
    store = a.services.clients
    original = store._db.fetch_one  # type: ignore[attr-defined]
    release = asyncio.Event()

    async def slow_fetch(*args: object, **kwargs: object) -> object:
        row = await original(*args, **kwargs)
        await release.wait()
        return row

    store._db.fetch_one = slow_fetch  # type: ignore[attr-defined]
    try:
        reading = asyncio.create_task(store.get(client.client_id, fresh=True))
        await asyncio.sleep(0.01)
        store.forget(client.client_id)  # a notice arrives while the read waits
        release.set()
        assert await reading is not None
    finally:
        store._db.fetch_one = original  # type: ignore[attr-defined]
    assert client.client_id not in store._cache  # type: ignore[attr-defined]


class Forgets:
    """Records ``forget`` calls (the one method of a store the applier uses)."""

    def __init__(self) -> None:
        self.calls: list[str | None] = []

    def forget(self, key: str | None = None) -> None:
        self.calls.append(key)


async def test_the_applier_drops_what_a_notice_names() -> None:
    clients, scopes = Forgets(), Forgets()
    reloads = 0

    async def reload() -> None:
        nonlocal reloads
        reloads += 1
        await asyncio.sleep(0.01)

    applier = ChangeApplier(cast(ClientStore, clients), cast(ScopeStore, scopes), reload)
    applier.apply(["client:abc", "scopes", "unknown-topic"])
    assert clients.calls == ["abc"] and len(scopes.calls) == 1 and reloads == 0
    applier.apply(["config"])
    applier.apply(["keys"])  # before that reload started: it covers this one too
    await asyncio.sleep(0.005)
    assert reloads == 1
    applier.apply(["keys"])  # while it runs: one more after it, not two
    applier.apply(["config"])
    await asyncio.sleep(0.1)
    assert reloads == 2
    applier.apply(None)  # notices may be lost: drop everything, reload
    await asyncio.sleep(0.05)
    assert clients.calls[-1] is None and len(scopes.calls) == 2 and reloads == 3
    await applier.close()


async def test_scheduled_key_rotation_is_announced(runtime: Runtime) -> None:
    """The upkeep's rotation (the fixture's keys are old: one is due) reaches a listening
    process without waiting for its poll."""
    other = await Runtime.start(
        runtime.settings,
        migrate=False,
        passwords=fast_hasher(),
        clock=runtime.services.clock,
        poll=False,
    )
    try:
        await other.listen()
        before = set(other.keyring.kids)
        await runtime.upkeep()
        assert len(runtime.keyring.kids) == 2 * len(before)

        async def loaded() -> bool:
            return other.keyring.kids == runtime.keyring.kids

        await eventually(loaded)
    finally:
        await other.stop()
