"""The refresh_token grant through the token endpoint's core on memory services: rotation,
reuse detection with its grace window, scope narrowing, expiry and the non-rotating mode."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.ports import Services
from authgate.core.tokens.endpoint import token
from authgate.core.types import TokenRecord
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidGrant, InvalidRequest, InvalidScope
from tests.core.flow_support import SECRET, basic, code_tokens, issue_code, refreshing_client
from tests.memory import StaticConfig, Tables, add_user, advance, make_services
from tests.memory.stores import MemoryUserStore

REUSED = "The refresh token was already used; the grant has been revoked"


def _services(**config: Any) -> Services:
    return make_services(config=StaticConfig(AppConfiguration(**config)))


async def _grant(svc: Services, *, secret: str | None = None) -> tuple[str, dict[str, Any]]:
    """A code flow's tokens: the client_id and the token response."""
    client = await refreshing_client(svc, secret=secret)
    issued = await issue_code(svc, client, method=None if secret else "S256")
    return client.client_id, await code_tokens(svc, issued, secret)


async def _refresh(
    svc: Services, client_id: str, value: str, secret: str | None = None, **extra: str
) -> dict[str, Any]:
    form = {"grant_type": "refresh_token", "refresh_token": value} | extra
    if secret is None:
        form["client_id"] = client_id
        return await token(form, None, svc)
    return await token(form, basic(client_id, secret), svc)


async def _record(svc: Services, value: str) -> TokenRecord:
    record = await svc.grants.get_token(handle_hash(value))
    assert record is not None
    return record


async def test_rotation_issues_a_new_refresh_token_and_uses_up_the_old_one() -> None:
    svc = make_services()
    client_id, first = await _grant(svc)
    original = await _record(svc, first["refresh_token"])
    advance(svc, 100)
    second = await _refresh(svc, client_id, first["refresh_token"])

    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token"}
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    used = await _record(svc, first["refresh_token"])
    assert (used.used_at, used.revoked_at) == (svc.clock.now(), None)
    assert used.successor is not None  # sealed successors for the grace window
    successor = await _record(svc, second["refresh_token"])
    assert successor.grant_id == original.grant_id
    # rotation keeps the grant's absolute expiry
    assert successor.grant_expires_at == successor.expires_at == original.grant_expires_at
    claims = svc.keys.verify(second["id_token"])
    assert (claims["grant"], claims["aud"], claims["sid"]) == (
        "refresh_token",
        client_id,
        original.sid,
    )
    assert "nonce" not in claims
    third = await _refresh(svc, client_id, second["refresh_token"])
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


@pytest.mark.parametrize("elapsed", [0, 9])
async def test_reuse_within_the_grace_period_gets_the_same_pair(elapsed: int) -> None:
    svc = make_services()
    assert svc.config.current.refreshTokenReuseGracePeriod == 10
    client_id, first = await _grant(svc)
    second = await _refresh(svc, client_id, first["refresh_token"])
    advance(svc, elapsed)
    retry = await _refresh(svc, client_id, first["refresh_token"])
    assert (retry["access_token"], retry["refresh_token"]) == (
        second["access_token"],
        second["refresh_token"],
    )
    assert retry["expires_in"] == 300 - elapsed
    assert (await _record(svc, second["refresh_token"])).revoked_at is None


@pytest.mark.parametrize(("grace", "elapsed"), [(10, 10), (10, 3600), (0, 0)])
async def test_reuse_after_the_grace_period_revokes_the_whole_grant(
    grace: int, elapsed: int
) -> None:
    svc = _services(refreshTokenReuseGracePeriod=grace)
    client_id, first = await _grant(svc)
    second = await _refresh(svc, client_id, first["refresh_token"])
    advance(svc, elapsed)
    with pytest.raises(InvalidGrant) as caught:
        await _refresh(svc, client_id, first["refresh_token"])
    assert caught.value.description == REUSED
    now = svc.clock.now()
    for value in (first["access_token"], second["access_token"], second["refresh_token"]):
        assert (await _record(svc, value)).revoked_at == now
    with pytest.raises(InvalidGrant, match="The refresh token has been revoked"):
        await _refresh(svc, client_id, second["refresh_token"])


async def test_reuse_by_the_attacker_after_the_victim_refreshed_again_revokes() -> None:
    svc = make_services()
    client_id, first = await _grant(svc)
    second = await _refresh(svc, client_id, first["refresh_token"])
    advance(svc, 20)
    third = await _refresh(svc, client_id, second["refresh_token"])
    with pytest.raises(InvalidGrant, match="already used"):
        await _refresh(svc, client_id, first["refresh_token"])
    assert (await _record(svc, third["refresh_token"])).revoked_at == svc.clock.now()


async def test_scope_may_narrow_and_later_widen_back_to_the_grant() -> None:
    svc = make_services()
    client_id, first = await _grant(svc)
    narrow = await _refresh(svc, client_id, first["refresh_token"], scope="profile")
    assert narrow["scope"] == "profile"
    assert "id_token" not in narrow  # no openid in the narrowed scope
    assert (await _record(svc, narrow["access_token"])).scope == ("profile",)
    # the new refresh token keeps the grant's scope
    assert (await _record(svc, narrow["refresh_token"])).scope == ("openid", "profile", "email")
    wide = await _refresh(svc, client_id, narrow["refresh_token"], scope="email openid profile")
    assert wide["scope"] == "email openid profile"
    assert "id_token" in wide


@pytest.mark.parametrize("scope", ["openid offline_access", "openid admin"])
async def test_scope_beyond_the_grant_is_refused_without_using_the_token(scope: str) -> None:
    svc = make_services()
    client_id, first = await _grant(svc)
    with pytest.raises(InvalidScope) as caught:
        await _refresh(svc, client_id, first["refresh_token"], scope=scope)
    assert caught.value.description == "The requested scope exceeds the scope originally granted"
    assert (await _record(svc, first["refresh_token"])).used_at is None
    assert "refresh_token" in await _refresh(svc, client_id, first["refresh_token"])


async def test_confidential_client_rotates_by_default() -> None:
    svc = make_services()
    client_id, first = await _grant(svc, secret=SECRET)
    second = await _refresh(svc, client_id, first["refresh_token"], SECRET)
    assert second["refresh_token"] != first["refresh_token"]


async def test_confidential_client_keeps_its_refresh_token_when_rotation_is_off() -> None:
    svc = _services(rotateRefreshTokensForConfidentialClients=False, refreshTokenIdleLifetime=600)
    client_id, first = await _grant(svc, secret=SECRET)
    advance(svc, 500)
    second = await _refresh(svc, client_id, first["refresh_token"], SECRET)
    assert "refresh_token" not in second
    kept = await _record(svc, first["refresh_token"])
    assert (kept.used_at, kept.expires_at) == (None, svc.clock.now() + 600)  # idle expiry moved
    advance(svc, 500)
    third = await _refresh(svc, client_id, first["refresh_token"], SECRET)
    assert third["access_token"] != second["access_token"]


@pytest.mark.parametrize(
    ("config", "elapsed"),
    [({}, 14400), ({"refreshTokenIdleLifetime": 100}, 100)],
)
async def test_refresh_token_expires(config: dict[str, Any], elapsed: int) -> None:
    svc = _services(**config)
    client_id, first = await _grant(svc)
    advance(svc, elapsed - 1)
    second = await _refresh(svc, client_id, first["refresh_token"])
    advance(svc, elapsed)
    with pytest.raises(InvalidGrant) as caught:
        await _refresh(svc, client_id, second["refresh_token"])
    assert caught.value.description == "The refresh token has expired"


async def test_rotation_never_extends_the_grant_past_its_lifetime() -> None:
    svc = _services(refreshTokenIdleLifetime=10_000)
    client_id, first = await _grant(svc)
    end = (await _record(svc, first["refresh_token"])).grant_expires_at
    advance(svc, 9_000)
    second = await _refresh(svc, client_id, first["refresh_token"])
    assert (await _record(svc, second["refresh_token"])).expires_at == end


@pytest.mark.parametrize("which", ["access_token", "other_client", "unknown"])
async def test_tokens_that_are_not_this_clients_refresh_token_are_refused(which: str) -> None:
    svc = make_services()
    client_id, first = await _grant(svc)
    other_id, other = await _grant(svc)
    value = {
        "access_token": first["access_token"],
        "other_client": other["refresh_token"],
        "unknown": "nothing-like-a-token",
    }[which]
    with pytest.raises(InvalidGrant) as caught:
        await _refresh(svc, client_id, value)
    assert caught.value.description == (
        "The refresh token is invalid or was issued to another client"
    )
    assert (await _record(svc, other["refresh_token"])).used_at is None
    assert other_id != client_id


async def test_missing_refresh_token_parameter() -> None:
    svc = make_services()
    client = await refreshing_client(svc)
    form = {"grant_type": "refresh_token", "client_id": client.client_id}
    with pytest.raises(InvalidRequest, match="missing the refresh_token parameter"):
        await token(form, None, svc)


async def test_disabled_user_cannot_refresh() -> None:
    tables = Tables()
    svc = make_services(users=MemoryUserStore(tables))
    user = await add_user(svc)
    client = await refreshing_client(svc)
    first = await code_tokens(svc, await issue_code(svc, client, user))
    tables.users[user.user_id] = dataclasses.replace(user, enabled=False)
    with pytest.raises(InvalidGrant) as caught:
        await _refresh(svc, client.client_id, first["refresh_token"])
    assert caught.value.description == "The user of this grant no longer exists or is disabled"
