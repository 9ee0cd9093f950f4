"""Expired rows are purged; live rows and recently consumed codes stay."""

from __future__ import annotations

import httpx
from sqlalchemy import Table, func, select

from authgate.core.mfa import enrolment
from authgate.runtime import Runtime
from authgate.storage.janitor import PENDING_FACTOR_LIFETIME, purge_expired
from authgate.storage.models import (
    AUTHORIZATION_CODES,
    CLIENT_ORIGINS,
    DEVICE_AUTHORIZATIONS,
    INTERACTIONS,
    TOKENS,
)
from tests.support import USERNAME, FakeClock, Flow
from tests.web.device_support import register_device_client, request_device


async def _count(runtime: Runtime, table: Table) -> int:
    row = await runtime.db.fetch_one(select(func.count().label("n")).select_from(table), {})
    assert row is not None
    return int(row["n"])


async def test_purge(flow: Flow, runtime: Runtime, clock: FakeClock) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    await flow.code(client["client_id"])  # a live, unredeemed code
    assert await _count(runtime, TOKENS) == 2
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["tokens"] == 0 and counts["authorization_codes"] == 0
    # after the code lifetime plus the replay window, codes go; the refresh token (4 h) stays
    clock.advance(60 + 3600 + 1)
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["authorization_codes"] == 2
    assert counts["tokens"] == 1  # the access token
    assert await _count(runtime, AUTHORIZATION_CODES) == 0
    assert await _count(runtime, INTERACTIONS) == 0
    refreshed = await flow.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client["client_id"],
        }
    )
    assert refreshed.status_code == 200


async def test_an_expired_client_takes_its_origins_along(
    flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    """The purge deletes expired clients; their rows in client_origins go with them (the
    foreign key cascades, on both databases), so their origins stop counting for CORS."""
    short = await flow.register(lifetime=60, redirect_uris=["https://short.example/cb"])
    await flow.register()
    assert await _count(runtime, CLIENT_ORIGINS) == 2
    clock.advance(61)
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["clients"] == 1
    assert await _count(runtime, CLIENT_ORIGINS) == 1
    assert await runtime.services.clients.origin_registered("https://short.example") is False
    assert await runtime.services.clients.get(short["client_id"], fresh=True) is None


async def test_expired_device_authorizations_are_purged(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    client = await register_device_client(http)
    await request_device(http, client["client_id"])
    clock.advance(900)
    await request_device(http, client["client_id"])
    assert await _count(runtime, DEVICE_AUTHORIZATIONS) == 2
    clock.advance(901)  # the first one's 1800 s are over, the second's are not
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["device_authorizations"] == 1
    assert await _count(runtime, DEVICE_AUTHORIZATIONS) == 1


async def test_unconfirmed_enrolments_go_after_a_day(runtime: Runtime, clock: FakeClock) -> None:
    svc = runtime.services
    user = await svc.users.get_by_username(USERNAME)
    assert user is not None
    confirmed = await enrolment.start_totp(user, svc)
    assert await svc.factors.confirm(confirmed.factor_id, 1, clock.now())
    clock.advance(60)
    pending = await enrolment.start_totp(user, svc)
    assert pending.factor_id != confirmed.factor_id
    clock.advance(PENDING_FACTOR_LIFETIME)
    assert (await purge_expired(runtime.db, clock.now()))["pending_factors"] == 0
    clock.advance(61)
    assert (await purge_expired(runtime.db, clock.now()))["pending_factors"] == 1
    assert [f.factor_id for f in await svc.factors.list(user.user_id)] == [confirmed.factor_id]
