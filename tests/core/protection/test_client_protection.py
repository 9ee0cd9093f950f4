"""Brute-force protection of client credentials (secrets, private_key_jwt) and of
registration access tokens, on memory services."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core.clients.authentication import authenticate
from authgate.core.ports import Services
from authgate.core.registration.endpoint import register
from authgate.core.registration.management import configured_client
from authgate.core.security_events import EventKind
from authgate.errors import InvalidClient, InvalidToken
from tests.core.clients.test_assertion_flow import OTHER, _assertion, _client
from tests.core.flow_support import SECRET, basic
from tests.core.protection.support import CountingFailures
from tests.memory import StaticConfig, add_client, advance, double, make_services
from tests.memory.doubles import RecordingSecurityEvents
from tests.memory.stores import MemoryFailureStore, Tables
from tests.support import flow_registration_body

ATTACKER = "203.0.113.66"


def services(**protection: Any) -> tuple[Services, CountingFailures]:
    failures = CountingFailures(MemoryFailureStore(Tables()))
    config = StaticConfig()
    if protection:
        current = config.current.authenticationProtectionConfiguration
        config.update(authenticationProtectionConfiguration=current.model_dump() | protection)
    return make_services(failures=failures, config=config), failures


async def guess(
    svc: Services, client_id: str, secret: str, source: str = ATTACKER
) -> InvalidClient | None:
    try:
        await authenticate({}, basic(client_id, secret), svc, source=source)
    except InvalidClient as exc:
        return exc
    return None


async def test_secret_guessing_waits_then_the_right_secret_works() -> None:
    svc, _failures = services()
    client = await add_client(svc, secret=SECRET)
    for _ in range(5):
        failed = await guess(svc, client.client_id, "wrong")
        assert failed is not None and "Retry-After" not in failed.headers
    sixth = await guess(svc, client.client_id, "wrong")
    assert sixth is not None and sixth.headers["Retry-After"] == "2"
    refused = await guess(svc, client.client_id, SECRET)
    assert refused is not None
    assert refused.description == (
        "Client authentication failed: too many failed attempts from this address; "
        "try again in 2 seconds"
    )
    assert refused.headers == {"WWW-Authenticate": 'Basic realm="jans-auth"', "Retry-After": "2"}
    assert await guess(svc, client.client_id, SECRET, source="198.51.100.1") is None
    advance(svc, 2)
    assert await guess(svc, client.client_id, SECRET) is None


async def test_a_good_authentication_writes_nothing_and_clears_failures_it_follows() -> None:
    svc, failures = services()
    client = await add_client(svc, secret=SECRET)
    for _ in range(3):
        assert await guess(svc, client.client_id, SECRET) is None
    assert failures.writes == []
    await guess(svc, client.client_id, "wrong")
    assert await guess(svc, client.client_id, SECRET) is None
    assert failures.writes == ["add", "clear"]


async def test_client_secret_post_unknown_clients_and_assertions_are_counted() -> None:
    svc, _failures = services(maximumAllowedAttemptsWithoutDelay=0)
    client = await add_client(svc, secret=SECRET, token_endpoint_auth_method="client_secret_post")
    form = {"client_id": client.client_id, "client_secret": "wrong"}
    with pytest.raises(InvalidClient):
        await authenticate(form, None, svc, source=ATTACKER)
    with pytest.raises(InvalidClient, match="try again in 2 seconds"):
        await authenticate(form | {"client_secret": SECRET}, None, svc, source=ATTACKER)
    with pytest.raises(InvalidClient, match="unknown"):
        await authenticate({}, basic("nobody", "x"), svc, source=ATTACKER)
    with pytest.raises(InvalidClient, match="try again"):
        await authenticate({}, basic("nobody", "x"), svc, source=ATTACKER)

    keyed = await _client(svc)
    with pytest.raises(InvalidClient, match="signature is invalid"):
        await authenticate(_assertion(svc, keyed.client_id, OTHER), None, svc, source=ATTACKER)
    with pytest.raises(InvalidClient, match="try again in 2 seconds"):
        await authenticate(_assertion(svc, keyed.client_id), None, svc, source=ATTACKER)
    advance(svc, 2)
    assert await authenticate(_assertion(svc, keyed.client_id), None, svc) == keyed


async def test_public_clients_are_not_counted() -> None:
    svc, failures = services()
    client = await add_client(svc)
    for _ in range(10):
        assert await authenticate({"client_id": client.client_id}, None, svc) == client
    assert failures.calls == []


async def test_switched_off_for_clients_only() -> None:
    svc, failures = services(clientAuthenticationProtectionEnabled=False)
    client = await add_client(svc, secret=SECRET)
    for _ in range(10):
        assert await guess(svc, client.client_id, "wrong") is not None
    assert await guess(svc, client.client_id, SECRET) is None
    assert failures.calls == []


async def test_events_name_client_and_source_never_the_secret() -> None:
    svc, _failures = services()
    client = await add_client(svc, secret=SECRET)
    for _ in range(6):
        await guess(svc, client.client_id, "guessed-secret-value")
    events = double(svc.events, RecordingSecurityEvents).events
    assert [e.kind for e in events].count(EventKind.CLIENT_AUTH_FAILED) == 6
    assert [e.kind for e in events].count(EventKind.CLIENT_AUTH_THROTTLED) == 1
    assert {(e.client_id, e.source) for e in events} == {(client.client_id, ATTACKER)}
    assert not any("guessed-secret" in repr(e) or SECRET in repr(e) for e in events)


async def test_registration_access_token_guessing_waits() -> None:
    svc, _failures = services()
    registered = await register(flow_registration_body(), svc)
    client_id = registered.client.client_id
    token = registered.registration_access_token
    for _ in range(6):
        with pytest.raises(InvalidToken) as wrong:
            await configured_client(client_id, "not-the-token", svc, source=ATTACKER)
    assert wrong.value.headers == {"Retry-After": "2"}
    with pytest.raises(InvalidToken) as refused:
        await configured_client(client_id, token, svc, source=ATTACKER)
    assert refused.value.description == (
        "The registration access token is not valid for this client; try again in 2 seconds"
    )
    # an unknown client_id is counted and answered the same way (RFC 7592 §2.1)
    for _ in range(6):
        with pytest.raises(InvalidToken) as unknown:
            await configured_client("nobody", "not-the-token", svc, source=ATTACKER)
    assert unknown.value.headers == wrong.value.headers
    advance(svc, 2)
    assert (await configured_client(client_id, token, svc, source=ATTACKER)).client_id == client_id
