"""Scheduled signing key rotation in a running server: publish before sign, tokens signed
before a rotation verify after it, retirement, several instances, first start."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.crypto.keys import generate_key
from authgate.crypto.rotation import RETENTION_MARGIN, publish_delay
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.storage.connect import upgrade_sync
from tests.conftest import patch_config
from tests.support import FakeClock, Flow, fast_hasher

JWKS = "/jans-auth/restv1/jwks"


async def _jwks(http: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await http.get(JWKS)).json()
    return body


async def _id_token(flow: Flow) -> str:
    client = await flow.register()
    token: str = (await flow.tokens(await flow.code(client["client_id"])))["id_token"]
    return token


def _header(token: str) -> dict[str, Any]:
    raw = token.split(".")[0]
    value: dict[str, Any] = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    return value


async def test_tokens_signed_before_a_rotation_verify_after_it(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    old_kid = runtime.keyring.signing_kid
    before = await _id_token(flow)
    assert _header(before)["kid"] == old_kid

    await runtime.upkeep()  # the fixture's keys are far older than 48 h: a rotation is due
    published = {k["kid"] for k in (await _jwks(http))["keys"]}
    assert len(published) == 6  # three new keys, published ...
    assert runtime.keyring.signing_kid == old_kid  # ... but not signing yet
    assert _header(await _id_token(flow))["kid"] == old_kid

    clock.advance(publish_delay(runtime.settings.config_poll_interval))
    new_kid = runtime.keyring.signing_kid
    assert new_kid != old_kid and new_kid in published
    after = await _id_token(flow)
    assert _header(after)["kid"] == new_kid

    keys = KeySet.import_key_set(await _jwks(http))  # type: ignore[arg-type]
    for token in (before, after):
        jwt.decode(token, keys)  # both verify against the published JWKS

    # the old key stays until every token it signed has expired, then leaves
    config = runtime.services.config.current
    clock.advance(config.idTokenLifetime + RETENTION_MARGIN - 1)
    assert old_kid in {k["kid"] for k in (await _jwks(http))["keys"]}
    jwt.decode(before, KeySet.import_key_set(await _jwks(http)))  # type: ignore[arg-type]
    clock.advance(1)
    assert old_kid not in {k["kid"] for k in (await _jwks(http))["keys"]}
    await runtime.upkeep()
    assert old_kid not in {k.kid for k in await runtime.key_store.all()}


async def test_no_rotation_when_disabled(runtime: Runtime) -> None:
    await patch_config(runtime, keyRegenerationEnabled=False)
    await runtime.upkeep()
    assert len(await runtime.key_store.all()) == 3


async def test_retention_covers_long_lived_jwt_access_tokens(flow: Flow, runtime: Runtime) -> None:
    assert await runtime.key_upkeep.retention() == 3600  # idTokenLifetime
    await flow.register(access_token_as_jwt=True, access_token_lifetime=86400)
    await flow.register(access_token_lifetime=999_999)  # opaque: not signed, not counted
    assert await runtime.key_upkeep.retention() == 86400


async def test_a_key_is_superseded_once(runtime: Runtime, clock: FakeClock) -> None:
    """Two generators racing: the compare-and-set lets exactly one successor in."""
    old = next(k for k in await runtime.key_store.all() if k.alg == "ES256")
    now = int(clock.now())
    first = generate_key("ES256", now, activates_at=now + 72)
    second = generate_key("ES256", now, activates_at=now + 72)
    assert await runtime.key_store.rotate(first, [old.kid], now + 5000)
    assert not await runtime.key_store.rotate(second, [old.kid], now + 5000)
    kids = {k.kid for k in await runtime.key_store.all()}
    assert first.kid in kids and second.kid not in kids


@pytest.fixture
async def second(runtime: Runtime) -> AsyncIterator[Runtime]:
    other = await Runtime.start(
        runtime.settings,
        migrate=False,
        passwords=fast_hasher(),
        clock=runtime.services.clock,
        poll=False,
    )
    yield other
    await other.stop()


async def test_one_instance_generates_and_the_other_loads(
    runtime: Runtime, second: Runtime, clock: FakeClock
) -> None:
    await runtime.upkeep()
    assert len(await runtime.key_store.all()) == 6
    await second.upkeep()  # the lease is held by the first instance: nothing happens
    assert len(await second.key_store.all()) == 6
    await second.refresh()  # the poll loads the new keys long before they sign
    assert second.keyring.kids == runtime.keyring.kids
    clock.advance(publish_delay(runtime.settings.config_poll_interval))
    assert second.keyring.signing_kid == runtime.keyring.signing_kid


async def test_first_start_creates_a_key_per_algorithm(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    upgrade_sync(url)
    settings = Settings(database_url=url, admin_password="admin-password-1")
    runtime = await Runtime.start(settings, migrate=False, passwords=fast_hasher(), poll=False)
    try:
        keys = await runtime.key_store.all()
        assert sorted(k.alg for k in keys) == ["ES256", "PS256", "RS256"]
        assert runtime.keyring.algorithms == frozenset({"ES256", "PS256", "RS256"})
        assert all(k.kid.endswith("_sig_" + k.alg.lower()) for k in keys)
    finally:
        await runtime.stop()
