"""With default settings the server sends nothing to loopback or private addresses a client
names: its jwks_uri is not fetched (the client cannot authenticate with private_key_jwt)
and its back-channel logout URI gets no notice. (sector_identifier_uri:
test_sector_identifier_policy.py; the policy itself: tests/outbound/.)"""

from __future__ import annotations

import httpx

from authgate.runtime import Runtime
from tests.receiver import Receiver, Reply
from tests.support import FakeClock, Flow
from tests.web.test_private_key_jwt import _code_form, _register, assertion, auth, ec_key, jwks


async def test_a_loopback_jwks_uri_is_not_fetched(flow: Flow, clock: FakeClock) -> None:
    key = ec_key()
    async with Receiver(default=Reply.json(jwks(key))) as rx:
        client = await _register(flow, jwks_uri=rx.url("/jwks.json"))
        value = assertion(key, client["client_id"], clock.now())
        response = await flow.token(await _code_form(flow, client["client_id"]) | auth(value))
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert "jwks_uri could not be read" in response.json()["error_description"]
        assert rx.requests == []


async def test_no_back_channel_logout_to_loopback(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    async with Receiver() as rx:
        client = await flow.register(backchannel_logout_uri=rx.url("/bcl"))
        tokens = await flow.tokens(await flow.code(client["client_id"]))
        logout = await http.get(
            "/jans-auth/restv1/end_session", params={"id_token_hint": tokens["id_token"]}
        )
        assert logout.status_code == 200
        await runtime.backchannel.drain(timeout=10)
        assert rx.requests == []
