"""Security events the core records (core/security_events.py) on memory services: a replayed
code, a reused refresh token, a client registered or deleted; each from the source address
its entry point was given, and none holding a secret."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core.ports import Services
from authgate.core.registration import endpoint as registration
from authgate.core.registration import management
from authgate.core.security_events import EventKind
from authgate.core.tokens.endpoint import token
from authgate.core.types import SecurityEvent
from authgate.errors import InvalidGrant, InvalidRedirectUri
from tests.core.flow_support import code_form, issue_code, refreshing_client
from tests.memory import add_client, advance, double, make_services
from tests.memory.doubles import RecordingSecurityEvents
from tests.support import flow_registration_body

SOURCE = "203.0.113.7"


def _events(svc: Services) -> list[SecurityEvent]:
    return double(svc.events, RecordingSecurityEvents).events


def _no_secret(event: SecurityEvent, *secrets: str) -> None:
    text = repr(dataclasses.astuple(event))
    for secret in secrets:
        assert secret not in text


async def test_a_replayed_code_is_recorded() -> None:
    svc = make_services()
    client = await add_client(svc)
    issued = await issue_code(svc, client)
    body = await token(code_form(issued), None, svc, source=SOURCE)
    assert _events(svc) == []  # a first redemption is no event
    with pytest.raises(InvalidGrant):
        await token(code_form(issued), None, svc, source=SOURCE)
    [event] = _events(svc)
    assert event.kind == EventKind.CODE_REPLAYED
    assert (event.source, event.client_id, event.user_id) == (
        SOURCE,
        client.client_id,
        issued.user.user_id,
    )
    assert event.at == svc.clock.now()
    assert event.detail.startswith("authorization code presented again")
    _no_secret(event, issued.code, body["access_token"], issued.verifier or "")


async def test_a_reused_refresh_token_is_recorded_but_not_a_retry_in_the_grace_window() -> None:
    svc = make_services()
    client = await refreshing_client(svc)
    issued = await issue_code(svc, client)
    first = await token(code_form(issued), None, svc)
    form = {
        "grant_type": "refresh_token",
        "client_id": client.client_id,
        "refresh_token": first["refresh_token"],
    }
    await token(form, None, svc, source=SOURCE)
    await token(form, None, svc, source=SOURCE)  # a retry within the grace window
    assert _events(svc) == []
    advance(svc, svc.config.current.refreshTokenReuseGracePeriod + 1)
    with pytest.raises(InvalidGrant):
        await token(form, None, svc, source=SOURCE)
    [event] = _events(svc)
    assert event.kind == EventKind.REFRESH_TOKEN_REUSED
    assert (event.source, event.client_id, event.user_id) == (
        SOURCE,
        client.client_id,
        issued.user.user_id,
    )
    _no_secret(event, first["refresh_token"], first["access_token"])


async def test_registration_and_deletion_are_recorded() -> None:
    svc = make_services()
    body = flow_registration_body() | {"token_endpoint_auth_method": "client_secret_basic"}
    registered = await registration.register(body, svc, source=SOURCE)
    await management.delete(registered.client, svc, source=SOURCE)
    created, deleted = _events(svc)
    assert (created.kind, created.source, created.client_id) == (
        EventKind.CLIENT_REGISTERED,
        SOURCE,
        registered.client.client_id,
    )
    assert created.detail == "dynamic registration (RFC 7591)"
    assert (deleted.kind, deleted.source, deleted.client_id) == (
        EventKind.CLIENT_DELETED,
        SOURCE,
        registered.client.client_id,
    )
    assert deleted.detail == "deleted by the client (RFC 7592)"
    assert registered.client_secret is not None
    for event in (created, deleted):
        _no_secret(event, registered.client_secret, registered.registration_access_token)


async def test_a_refused_registration_records_nothing() -> None:
    svc = make_services()
    with pytest.raises(InvalidRedirectUri):
        await registration.register({"redirect_uris": ["not a uri"]}, svc, source=SOURCE)
    assert _events(svc) == []
