"""The janitor deletes initial access tokens once they expired, used up and revoked ones
included; live tokens stay."""

from __future__ import annotations

from authgate.core.types import InitialAccessToken
from authgate.runtime import Runtime
from authgate.storage.janitor import purge_expired
from tests.support import FakeClock


async def test_expired_tokens_are_purged(runtime: Runtime, clock: FakeClock) -> None:
    store = runtime.services.initial_tokens
    now = clock.now()
    for token_id, lifetime in (("short", 60), ("long", 3600)):
        await store.add(InitialAccessToken(token_id, f"h-{token_id}", now, now + lifetime, 1))
    assert await store.use("h-short", now)
    assert await store.revoke("long", now)
    assert (await purge_expired(runtime.db, now + 60))["initial_access_tokens"] == 0
    clock.advance(61)
    assert (await purge_expired(runtime.db, clock.now()))["initial_access_tokens"] == 1
    assert [t.token_id for t in await store.list()] == ["long"]
