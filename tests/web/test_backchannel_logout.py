"""Back-channel logout (OIDC Back-Channel Logout 1.0) delivered over real HTTP to a receiver
on 127.0.0.1: the Logout Token, who is notified, retries and the bounded timeout."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.web.app import create_app
from tests.conftest import patch_config
from tests.lifecycle import END_SESSION
from tests.receiver import Receiver, Reply
from tests.support import ISSUER, SQLITE_ONLY, Browser, Flow, loopback_settings

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The receivers run on 127.0.0.1, which the outbound policy refuses unless allowed."""
    return loopback_settings(database_url)


def _verified(runtime: Runtime, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = KeySet.import_key_set(runtime.keyring.jwks())  # type: ignore[arg-type]
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    return dict(decoded.header), dict(decoded.claims)


def _logout_token(body: bytes) -> str:
    values = parse_qs(body.decode())
    assert list(values) == ["logout_token"]
    return values["logout_token"][0]


async def _logout(http: httpx.AsyncClient, id_token: str) -> httpx.Response:
    return await http.get(f"{END_SESSION}?{urlencode({'id_token_hint': id_token})}")


async def test_logout_token_is_delivered(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    async with Receiver() as rx:
        client = await flow.register(backchannel_logout_uri=rx.url("/bcl?tenant=7"))
        tokens = await flow.tokens(await flow.code(client["client_id"]))
        _, id_claims = _verified(runtime, tokens["id_token"])
        assert (await _logout(http, tokens["id_token"])).status_code == 200
        [request] = await rx.wait_for(1)
        await runtime.backchannel.drain()
    assert request.method == "POST"
    assert request.path == "/bcl?tenant=7"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    header, claims = _verified(runtime, _logout_token(request.body))
    assert header["typ"] == "logout+jwt"
    assert header["kid"] == runtime.keyring.signing_kid
    assert claims["iss"] == ISSUER
    assert claims["aud"] == client["client_id"]
    assert claims["sub"] == id_claims["sub"]
    assert claims["sid"] == id_claims["sid"]
    assert claims["events"] == {EVENT: {}}
    assert claims["exp"] - claims["iat"] == 120
    assert claims["jti"]
    assert "nonce" not in claims
    assert len(rx.requests) == 1


async def test_only_clients_of_the_session_are_notified(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    async with Receiver() as rx:
        first = await flow.register(backchannel_logout_uri=rx.url("/first"))
        second = await flow.register(
            backchannel_logout_uri=rx.url("/second"), subject_type="public"
        )
        bystander = await flow.register(backchannel_logout_uri=rx.url("/bystander"))
        quiet = await flow.register()  # no back-channel logout URI
        tokens = await flow.tokens(await flow.code(first["client_id"]))
        await flow.tokens(await flow.code(second["client_id"]))
        await flow.tokens(await flow.code(quiet["client_id"]))
        # the bystander signs the same user in from another browser: another session
        transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
        other = httpx.AsyncClient(transport=transport, base_url=ISSUER)
        async with other:
            other_flow = Flow(other, Browser(other))
            await other_flow.tokens(await other_flow.code(bystander["client_id"]))
        assert (await _logout(http, tokens["id_token"])).status_code == 200
        await rx.wait_for(2)
        await runtime.backchannel.drain()
    by_path = {r.path: _verified(runtime, _logout_token(r.body))[1] for r in rx.requests}
    assert set(by_path) == {"/first", "/second"}
    assert by_path["/first"]["aud"] == first["client_id"]
    assert by_path["/second"]["aud"] == second["client_id"]
    assert by_path["/first"]["sid"] == by_path["/second"]["sid"]
    assert by_path["/first"]["sub"] != by_path["/second"]["sub"]  # pairwise vs public


# Delivery (retries, refusals, timeouts, unreachable receivers) happens after the logout has
# been stored, between the server and the receiver: these run on SQLite only.


@SQLITE_ONLY
async def test_failed_deliveries_are_retried(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    runtime.backchannel.backoff = 0.01
    async with Receiver(script=[Reply(503), Reply(429)]) as rx:
        client = await flow.register(backchannel_logout_uri=rx.url("/bcl"))
        tokens = await flow.tokens(await flow.code(client["client_id"]))
        await _logout(http, tokens["id_token"])
        await rx.wait_for(3)
        await runtime.backchannel.drain()
    assert len(rx.requests) == 3
    assert len({r.body for r in rx.requests}) == 1  # the same token each time


@SQLITE_ONLY
async def test_a_refusal_is_not_retried(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    runtime.backchannel.backoff = 0.01
    async with Receiver(default=Reply(400, b'{"error":"invalid_request"}')) as rx:
        client = await flow.register(backchannel_logout_uri=rx.url("/bcl"))
        tokens = await flow.tokens(await flow.code(client["client_id"]))
        await _logout(http, tokens["id_token"])
        await rx.wait_for(1)
        await runtime.backchannel.drain()
    assert len(rx.requests) == 1


@SQLITE_ONLY
async def test_slow_receivers_are_cut_off_and_never_delay_the_logout(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    # Real time: the cut-off is asyncio.timeout around a real HTTP exchange, and the delivery
    # timeout is configured in whole seconds, so this test takes two of them.
    await patch_config(
        runtime, backchannelLogoutDeliveryTimeout=1, backchannelLogoutDeliveryAttempts=2
    )
    runtime.backchannel.backoff = 0.01
    async with Receiver(default=Reply(200, delay=5)) as rx:
        client = await flow.register(backchannel_logout_uri=rx.url("/bcl"))
        tokens = await flow.tokens(await flow.code(client["client_id"]))
        started = time.monotonic()
        response = await _logout(http, tokens["id_token"])
        assert response.status_code == 200
        assert time.monotonic() - started < 1  # the user does not wait for the client
        await runtime.backchannel.drain(timeout=4)
        elapsed = time.monotonic() - started
        assert len(rx.requests) == 2  # two attempts, each cut off after 1 s
        assert elapsed < 4


@SQLITE_ONLY
async def test_unreachable_receiver(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    runtime.backchannel.backoff = 0.01
    rx = Receiver()
    async with rx:
        url = rx.url("/bcl")
    # nothing listens on that port any more
    client = await flow.register(backchannel_logout_uri=url)
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    response = await _logout(http, tokens["id_token"])
    assert response.status_code == 200
    await runtime.backchannel.drain(timeout=5)
