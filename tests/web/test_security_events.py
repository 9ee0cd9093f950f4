"""Security events recorded over HTTP, on SQLite and PostgreSQL: a replayed code and a reused
refresh token at the token endpoint, a client registered and deleted through dynamic
registration (RFC 7591, RFC 7592); each with the request's source address (the peer here:
no trusted proxies) and no secret. Config API and CLI events: tests/admin."""

from __future__ import annotations

import httpx

from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import Flow, token_form

#: The peer address httpx's ASGI transport reports.
PEER = "127.0.0.1"
REGISTER = "/jans-auth/restv1/register"


async def _events(runtime: Runtime, kind: EventKind) -> list[SecurityEvent]:
    await runtime.services.events.flush()
    return await runtime.services.events.list(kind=kind)


async def test_a_replayed_code_is_an_event(flow: Flow, runtime: Runtime) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    tokens = await flow.tokens(issued)
    replay = await flow.token(token_form(client["client_id"], issued.code, issued.verifier))
    assert replay.json()["error"] == "invalid_grant"
    [event] = await _events(runtime, EventKind.CODE_REPLAYED)
    assert (event.source, event.client_id) == (PEER, client["client_id"])
    assert event.user_id is not None
    for secret in (issued.code, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in repr(event)


async def test_a_reused_refresh_token_is_an_event(flow: Flow, runtime: Runtime) -> None:
    await patch_config(runtime, refreshTokenReuseGracePeriod=0)
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    form = {
        "grant_type": "refresh_token",
        "client_id": client["client_id"],
        "refresh_token": tokens["refresh_token"],
    }
    assert (await flow.token(form)).status_code == 200
    assert (await flow.token(form)).json()["error"] == "invalid_grant"
    [event] = await _events(runtime, EventKind.REFRESH_TOKEN_REUSED)
    assert (event.source, event.client_id) == (PEER, client["client_id"])
    assert tokens["refresh_token"] not in repr(event)


async def test_registration_and_deletion_are_events(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    token = client["registration_access_token"]
    deleted = await http.delete(
        REGISTER,
        params={"client_id": client["client_id"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert deleted.status_code == 204
    [registered] = await _events(runtime, EventKind.CLIENT_REGISTERED)
    [removed] = await _events(runtime, EventKind.CLIENT_DELETED)
    for event in (registered, removed):
        assert (event.source, event.client_id) == (PEER, client["client_id"])
        assert token not in repr(event) and client["client_secret"] not in repr(event)
    refused = await http.post(REGISTER, json={"redirect_uris": ["not a uri"]})
    assert refused.status_code == 400
    assert len(await _events(runtime, EventKind.CLIENT_REGISTERED)) == 1
