"""Refresh token rotation: reuse detection, the grace window for retries and concurrent
refreshes, rotation for confidential clients, absolute and idle lifetimes."""

from __future__ import annotations

import asyncio

import httpx

from authgate.crypto.handles import handle_hash
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.lifecycle import (
    REVOKE,
    basic,
    confidential_tokens,
    public_tokens,
    refresh_form,
    userinfo_status,
)
from tests.support import FakeClock, Flow


async def test_two_concurrent_refreshes_in_grace_window_get_the_same_pair(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    first, second = await asyncio.gather(flow.token(form), flow.token(form))
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    a, b = first.json(), second.json()
    assert a["access_token"] == b["access_token"]
    assert a["refresh_token"] == b["refresh_token"]
    assert a["refresh_token"] != tokens["refresh_token"]
    # the shared pair is live: the access token works and the refresh token refreshes
    assert await userinfo_status(http, a["access_token"]) == 200
    nxt = await flow.token(refresh_form(client["client_id"], a["refresh_token"]))
    assert nxt.status_code == 200, nxt.text


async def test_many_concurrent_refreshes_agree(flow: Flow) -> None:
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    responses = await asyncio.gather(*(flow.token(form) for _ in range(8)))
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    assert len({(r.json()["access_token"], r.json()["refresh_token"]) for r in responses}) == 1


async def test_concurrent_refreshes_without_grace_window_revoke_the_grant(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, refreshTokenReuseGracePeriod=0)
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    responses = await asyncio.gather(flow.token(form), flow.token(form))
    assert sorted(r.status_code for r in responses) == [200, 400]
    loser = next(r for r in responses if r.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
    winner = next(r for r in responses if r.status_code == 200).json()
    # the reuse revoked the grant, including what the winner just received
    assert await userinfo_status(http, winner["access_token"]) == 401
    again = await flow.token(refresh_form(client["client_id"], winner["refresh_token"]))
    assert again.status_code == 400


async def test_retry_within_grace_window_returns_the_same_pair(
    flow: Flow, clock: FakeClock
) -> None:
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    first = (await flow.token(form)).json()
    clock.advance(9)  # refreshTokenReuseGracePeriod is 10 s
    retry = await flow.token(form)
    assert retry.status_code == 200, retry.text
    body = retry.json()
    assert (body["access_token"], body["refresh_token"]) == (
        first["access_token"],
        first["refresh_token"],
    )
    assert body["expires_in"] == first["expires_in"] - 9  # the same access token, 9 s older
    assert "scope" not in body  # only echoed when the request carried one
    assert "id_token" in body


async def test_reuse_after_grace_window_revokes_the_grant(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    rotated = (await flow.token(form)).json()
    clock.advance(10)
    reuse = await flow.token(form)
    assert reuse.status_code == 400
    assert reuse.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token was already used; the grant has been revoked",
    }
    assert await userinfo_status(http, rotated["access_token"]) == 401
    assert (
        await flow.token(refresh_form(client["client_id"], rotated["refresh_token"]))
    ).status_code == 400


async def test_grace_window_is_configurable(flow: Flow, clock: FakeClock, runtime: Runtime) -> None:
    await patch_config(runtime, refreshTokenReuseGracePeriod=60)
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    first = (await flow.token(form)).json()
    clock.advance(59)
    retry = await flow.token(form)
    assert retry.status_code == 200
    assert retry.json()["refresh_token"] == first["refresh_token"]


async def test_grace_retry_after_the_grant_was_revoked_fails(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    rotated = (await flow.token(form)).json()
    revoked = await http.post(
        REVOKE, data={"token": rotated["refresh_token"], "client_id": client["client_id"]}
    )
    assert revoked.status_code == 200
    retry = await flow.token(form)  # inside the grace window, but the pair is dead
    assert retry.status_code == 400
    assert retry.json()["error"] == "invalid_grant"


async def test_successors_are_stored_sealed(flow: Flow, runtime: Runtime) -> None:
    client, tokens = await public_tokens(flow)
    rotated = (await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))).json()
    record = await runtime.services.grants.get_token(handle_hash(tokens["refresh_token"]))
    assert record is not None and record.successor
    assert rotated["refresh_token"] not in record.successor
    assert rotated["access_token"] not in record.successor


async def test_retry_with_narrower_scope_in_grace_window(flow: Flow) -> None:
    client, tokens = await public_tokens(flow)
    form = refresh_form(client["client_id"], tokens["refresh_token"], scope="openid")
    first = (await flow.token(form)).json()
    retry = (await flow.token(form)).json()
    assert first["scope"] == retry["scope"] == "openid"
    assert retry["refresh_token"] == first["refresh_token"]


async def test_confidential_client_rotation_can_be_turned_off(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, rotateRefreshTokensForConfidentialClients=False)
    client, tokens = await confidential_tokens(flow)
    auth = basic(client["client_id"], client["client_secret"])
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    for _ in range(3):
        response = await flow.token(form, headers=auth)
        assert response.status_code == 200, response.text
        assert "refresh_token" not in response.json()
        assert await userinfo_status(http, response.json()["access_token"]) == 200
    # public clients rotate regardless
    public, public_issued = await public_tokens(flow)
    rotated = await flow.token(refresh_form(public["client_id"], public_issued["refresh_token"]))
    assert rotated.json()["refresh_token"] != public_issued["refresh_token"]


async def test_confidential_client_rotates_by_default(flow: Flow) -> None:
    client, tokens = await confidential_tokens(flow)
    response = await flow.token(
        refresh_form(client["client_id"], tokens["refresh_token"]),
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200
    assert response.json()["refresh_token"] != tokens["refresh_token"]


async def test_idle_lifetime_with_rotation(flow: Flow, clock: FakeClock, runtime: Runtime) -> None:
    await patch_config(runtime, refreshTokenIdleLifetime=100)
    client, tokens = await public_tokens(flow)
    refresh = tokens["refresh_token"]
    for _ in range(3):  # used within the idle limit, the grant lives on
        clock.advance(90)
        response = await flow.token(refresh_form(client["client_id"], refresh))
        assert response.status_code == 200, response.text
        refresh = response.json()["refresh_token"]
    clock.advance(101)
    expired = await flow.token(refresh_form(client["client_id"], refresh))
    assert expired.status_code == 400
    assert expired.json()["error_description"] == "The refresh token has expired"


async def test_idle_lifetime_without_rotation(
    flow: Flow, clock: FakeClock, runtime: Runtime
) -> None:
    await patch_config(
        runtime, refreshTokenIdleLifetime=100, rotateRefreshTokensForConfidentialClients=False
    )
    client, tokens = await confidential_tokens(flow)
    auth = basic(client["client_id"], client["client_secret"])
    form = refresh_form(client["client_id"], tokens["refresh_token"])
    for _ in range(3):
        clock.advance(90)
        assert (await flow.token(form, headers=auth)).status_code == 200
    clock.advance(101)
    expired = await flow.token(form, headers=auth)
    assert expired.status_code == 400
    assert expired.json()["error"] == "invalid_grant"


async def test_absolute_lifetime_caps_rotation(
    flow: Flow, clock: FakeClock, runtime: Runtime
) -> None:
    await patch_config(runtime, refreshTokenLifetime=1000, refreshTokenIdleLifetime=800)
    client, tokens = await public_tokens(flow)
    clock.advance(700)
    rotated = await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))
    assert rotated.status_code == 200
    clock.advance(301)  # idle limit not reached, but the grant's 1000 s are over
    expired = await flow.token(refresh_form(client["client_id"], rotated.json()["refresh_token"]))
    assert expired.status_code == 400
    assert expired.json()["error_description"] == "The refresh token has expired"
