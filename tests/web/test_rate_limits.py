"""Per-source rate limits over HTTP: 429 with Retry-After and an OAuth error body after the
configured burst on every limited endpoint, a fresh window after the period, one security
event per refused window, normal flows untouched by the defaults, no write per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select

from authgate.admin import paths
from authgate.core import endpoints
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.storage.models import RATE_COUNTERS
from tests.conftest import patch_config
from tests.lifecycle import INTROSPECTION, REGISTER, REVOKE, TOKEN, refresh_form
from tests.support import ISSUER, FakeClock, Flow, flow_registration_body

PAR = "/jans-auth/restv1/par"
Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test client's peer (127.0.0.1) is a trusted proxy, so X-Forwarded-For names the
    source; requests without the header count under 127.0.0.1."""
    return Settings(
        issuer_url=ISSUER,
        database_url=database_url,
        admin_password="admin-password-1",
        trusted_proxies="127.0.0.1",
    )


def _form(path: str) -> Send:
    async def send(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(path, data={"token": "x", "client_id": "nobody"})

    return send


async def _register(http: httpx.AsyncClient) -> httpx.Response:
    return await http.post(REGISTER, json=flow_registration_body())


async def _client_configuration(http: httpx.AsyncClient) -> httpx.Response:
    return await http.get(f"{REGISTER}?client_id=nobody", headers={"Authorization": "Bearer x"})


async def _config_api(http: httpx.AsyncClient) -> httpx.Response:
    return await http.get(paths.CONFIG)


async def _device_page(http: httpx.AsyncClient) -> httpx.Response:
    return await http.get(endpoints.DEVICE_PAGE, params={"user_code": "BBBB-BBBB"})


#: family property stem -> a request of that family (any answer but 429 counts).
FAMILIES: dict[str, Send] = {
    "Registration": _register,
    "ClientConfiguration": _client_configuration,
    "Par": _form(PAR),
    "Token": _form(TOKEN),
    "Introspection": _form(INTROSPECTION),
    "Revocation": _form(REVOKE),
    "ConfigApi": _config_api,
    "DeviceAuthorization": _form(endpoints.DEVICE_AUTHORIZATION),
    "DeviceVerification": _device_page,
}


def _assert_limited(response: httpx.Response, retry_after: int, what: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == str(retry_after)
    assert response.headers["cache-control"] == "no-store"
    description = f"Too many {what} from this address; retry after {retry_after} seconds"
    if response.url.path == endpoints.DEVICE_PAGE:  # a page people read
        assert response.headers["content-type"].startswith("text/html")
        assert "temporarily_unavailable" in response.text and description in response.text
        return
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": "temporarily_unavailable",
        "error_description": f"Too many {what} from this address; retry after "
        f"{retry_after} seconds",
    }


@pytest.mark.parametrize("stem", sorted(FAMILIES))
async def test_each_limited_endpoint_answers_429_after_the_burst_until_the_window_ends(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock, stem: str
) -> None:
    await patch_config(
        runtime,
        **{f"rateLimit{stem}RequestCount": 2, f"rateLimit{stem}PeriodInSeconds": 120},
    )
    send = FAMILIES[stem]
    statuses = [(await send(http)).status_code for _ in range(2)]
    assert 429 not in statuses and all(s < 500 for s in statuses), statuses
    clock.advance(30)  # the fake clock starts on a multiple of 120: 90 s of the window left
    limited = await send(http)
    what = {
        "Par": "pushed authorization requests",
        "ConfigApi": "Config API requests",
        "ClientConfiguration": "client configuration requests",
        "DeviceAuthorization": "device authorization requests",
        "DeviceVerification": "device verification page requests",
    }
    _assert_limited(limited, 90, what.get(stem, f"{stem.lower()} requests"))
    # the other families are not affected
    others = [(await FAMILIES[s](http)).status_code for s in FAMILIES if s != stem]
    assert 429 not in others, others
    clock.advance(89)
    assert (await send(http)).headers["retry-after"] == "1"
    clock.advance(1)  # the next window
    assert (await send(http)).status_code != 429


async def test_registration_default_stops_mass_registration_and_reports_it_once(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    """The issue: 30 dynamic registrations from one address in a row all got 201."""
    statuses = [(await _register(http)).status_code for _ in range(30)]
    assert statuses == [201] * 10 + [429] * 20
    await runtime.rate_limits.sync()
    await runtime.rate_limits.sync()
    events = await runtime.services.events.list(kind=EventKind.RATE_LIMITED)
    assert [(e.source, e.detail) for e in events] == [
        ("127.0.0.1", "too many registration requests")
    ]
    clock.advance(60)
    assert (await _register(http)).status_code == 201


async def test_client_configuration_requests_are_limited_apart_from_registrations(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(
        runtime, rateLimitClientConfigurationRequestCount=3, rateLimitRegistrationRequestCount=2
    )
    client = (await _register(http)).json()
    read = {"Authorization": f"Bearer {client['registration_access_token']}"}
    uri = f"{REGISTER}?client_id={client['client_id']}"
    assert (await http.get(uri, headers=read)).status_code == 200
    updated = await http.put(uri, headers=read, json=flow_registration_body())
    assert updated.status_code == 200
    # every update rotates the registration access token (RFC 7592 §2.2)
    read = {"Authorization": f"Bearer {updated.json()['registration_access_token']}"}
    assert (await http.get(uri, headers=read)).status_code == 200
    _assert_limited(await http.get(uri, headers=read), 60, "client configuration requests")
    assert (await http.delete(uri, headers=read)).status_code == 429
    assert (await _register(http)).status_code == 201  # the second registration
    _assert_limited(await _register(http), 60, "registration requests")


async def test_a_switched_off_limit_lets_every_request_through(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, rateLimitRegistrationRequestCount=0)
    assert {(await _register(http)).status_code for _ in range(15)} == {201}


async def test_sources_named_by_a_trusted_proxy_are_counted_apart(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, rateLimitTokenRequestCount=1)
    send = _form(TOKEN)

    async def from_(address: str) -> int:
        response = await http.post(
            TOKEN, data={"client_id": "nobody"}, headers={"X-Forwarded-For": address}
        )
        return response.status_code

    assert await from_("198.51.100.1") != 429
    assert await from_("198.51.100.1") == 429
    assert await from_("198.51.100.2") != 429
    assert await from_("2001:db8:5:6::1") != 429
    assert await from_("2001:db8:5:6::2") == 429  # the same /64
    assert (await send(http)).status_code != 429  # the proxy itself is another source
    await runtime.rate_limits.sync()
    events = await runtime.services.events.list(kind=EventKind.RATE_LIMITED)
    assert sorted(e.source or "" for e in events) == ["198.51.100.1", "2001:db8:5:6::/64"]


async def test_the_reason_member_follows_error_reason_enabled(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, rateLimitTokenRequestCount=1, errorReasonEnabled=True)
    await _form(TOKEN)(http)
    body = (await _form(TOKEN)(http)).json()
    assert body["error"] == "temporarily_unavailable"
    assert body["reason"] == body["error_description"]


async def test_cors_preflights_are_not_counted(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, rateLimitTokenRequestCount=1)
    preflight = {
        "Origin": "http://127.0.0.1:8765",
        "Access-Control-Request-Method": "POST",
    }
    for _ in range(3):
        assert (await http.options(TOKEN, headers=preflight)).status_code != 429
    assert (await _form(TOKEN)(http)).status_code != 429


async def _rows(runtime: Runtime) -> dict[tuple[str, str], int]:
    rows = await runtime.db.fetch_all(select(RATE_COUNTERS), {})
    return {(row["family"], row["source"]): int(row["hits"]) for row in rows}


async def test_the_flow_document_is_untouched_by_the_defaults_and_writes_no_counter_per_request(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    for _ in range(5):
        response = await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))
        assert response.status_code == 200, response.text
        tokens = response.json()
    revoked = await http.post(
        REVOKE, data={"token": tokens["refresh_token"], "client_id": client["client_id"]}
    )
    assert revoked.status_code == 200
    # counted in memory: nothing written on the request path
    assert await _rows(runtime) == {}
    await runtime.rate_limits.sync()
    assert await _rows(runtime) == {
        ("registration", "127.0.0.1"): 1,
        ("token", "127.0.0.1"): 6,
        ("revocation", "127.0.0.1"): 1,
    }
    assert await runtime.services.events.list(kind=EventKind.RATE_LIMITED) == []


async def test_a_failing_limiter_lets_requests_through(
    http: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(runtime.rate_limits, "check", broken)
    assert (await _register(http)).status_code == 201
