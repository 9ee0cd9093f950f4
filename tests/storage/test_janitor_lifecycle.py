"""The janitor and the token lifecycle: sealed successors are wiped after the grace window,
used refresh tokens stay until their grant expires, jti records and session participation
go when they can no longer matter."""

from __future__ import annotations

from sqlalchemy import Table, func, select

from authgate.crypto.handles import handle_hash
from authgate.runtime import Runtime
from authgate.storage.janitor import purge_expired
from authgate.storage.models import CLIENT_ASSERTIONS, SESSION_CLIENTS
from tests.conftest import patch_config
from tests.lifecycle import public_tokens, refresh_form
from tests.support import FakeClock, Flow


async def _count(runtime: Runtime, table: Table) -> int:
    row = await runtime.db.fetch_one(select(func.count().label("n")).select_from(table), {})
    assert row is not None
    return int(row["n"])


async def test_successors_are_wiped_after_the_grace_window(
    flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    assert (await flow.token(form)).status_code == 200
    old = handle_hash(tokens["refresh_token"])
    await purge_expired(runtime.db, clock.now())
    record = await runtime.services.grants.get_token(old)
    assert record is not None and record.successor is not None
    clock.advance(301)  # the longest grace window the configuration allows is 300 s
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["refresh_successors"] == 1
    record = await runtime.services.grants.get_token(old)
    assert record is not None and record.successor is None
    # the used token is still known, so presenting it is still detected as reuse
    reuse = await flow.token(form)
    assert reuse.status_code == 400
    assert "already used" in reuse.json()["error_description"]


async def test_used_refresh_tokens_stay_until_the_grant_expires(
    flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    await patch_config(runtime, refreshTokenIdleLifetime=100)
    client, tokens = await public_tokens(flow)
    rotated = (await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))).json()
    clock.advance(200)  # both refresh tokens are past their idle expiry
    await purge_expired(runtime.db, clock.now())
    assert await runtime.services.grants.get_token(handle_hash(tokens["refresh_token"]))
    assert await runtime.services.grants.get_token(handle_hash(rotated["refresh_token"]))
    clock.advance(14400)
    await purge_expired(runtime.db, clock.now())
    assert not await runtime.services.grants.get_token(handle_hash(tokens["refresh_token"]))


async def test_assertion_records_expire(runtime: Runtime, clock: FakeClock) -> None:
    store = runtime.services.assertions
    now = clock.now()
    assert await store.remember("a" * 64, now + 60, now)
    assert not await store.remember("a" * 64, now + 60, now)  # a replay
    clock.advance(61)
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["client_assertions"] == 1
    assert await _count(runtime, CLIENT_ASSERTIONS) == 0
    # an expired record does not block the key even before it is purged
    now = clock.now()
    assert await store.remember("b" * 64, now + 10, now)
    assert await store.remember("b" * 64, now + 30, now + 11)


async def test_session_participation_outlives_codes_not_sessions(
    flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])
    await flow.code(client["client_id"])  # the same session and client: one record
    assert await _count(runtime, SESSION_CLIENTS) == 1
    clock.advance(2 * 3600)  # codes and their replay window are gone, the session is not
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["authorization_codes"] == 2
    assert await _count(runtime, SESSION_CLIENTS) == 1
    clock.advance(86400)
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["sessions"] == 1
    assert counts["session_clients"] == 1
