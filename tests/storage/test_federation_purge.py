"""The janitor deletes pending upstream sign-ins once they expired; live ones stay."""

from __future__ import annotations

from authgate.core.federation.model import PendingSignIn
from authgate.runtime import Runtime
from authgate.storage.janitor import purge_expired
from tests.support import FakeClock


async def test_expired_pending_sign_ins_are_purged(runtime: Runtime, clock: FakeClock) -> None:
    fed = runtime.services.federation
    assert fed is not None
    now = clock.now()
    for key, lifetime in (("short", 60), ("long", 600)):
        await fed.store.add_pending(PendingSignIn(key, "corp", "ix", "bh", now + lifetime))
    assert (await purge_expired(runtime.db, now + 60))["federation_pending"] == 0
    assert (await purge_expired(runtime.db, now + 61))["federation_pending"] == 1
    assert await fed.store.take_pending("short", now) is None
    assert await fed.store.take_pending("long", now) is not None
