"""Brute-force protection of client credentials over HTTP, on SQLite and PostgreSQL: guessing a
client secret (the Config API's admin client included) at the token, PAR, introspection and
revocation endpoints, and a registration access token (RFC 7592), is answered
``invalid_client`` / ``invalid_token`` with ``Retry-After`` once a wait applies; the right
credentials work after it; never a 5xx."""

from __future__ import annotations

import httpx
import pytest

from authgate.admin.client import AdminApiError, AdminClient
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.web.app import create_app
from tests.lifecycle import INTROSPECTION, REGISTER, REVOKE, TOKEN, basic, bearer
from tests.support import ISSUER, FakeClock, Flow
from tests.web.brute_force import protect, proxied_settings

ATTACKER = "203.0.113.66"
PAR = "/jans-auth/restv1/par"
CREDENTIALS_GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return proxied_settings(database_url)


@pytest.fixture
def admin_credentials(runtime: Runtime) -> tuple[str, str]:
    first = runtime.first_start
    assert first.admin_client_id and first.admin_client_secret
    return first.admin_client_id, first.admin_client_secret


def sent_from(source: str, **headers: str) -> dict[str, str]:
    return {"X-Forwarded-For": source, **headers}


async def post(http: httpx.AsyncClient, path: str, form: dict[str, str], client_id: str,
               secret: str, source: str = ATTACKER) -> httpx.Response:  # fmt: skip
    response = await http.post(
        path, data=form, headers=sent_from(source, **basic(client_id, secret))
    )
    assert response.status_code < 500, response.text
    return response


def refused_for(response: httpx.Response, seconds: int) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert response.headers["retry-after"] == str(seconds)
    assert response.headers["www-authenticate"] == 'Basic realm="jans-auth"'


async def test_secret_guessing_at_the_token_endpoint_waits(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str], clock: FakeClock
) -> None:
    client_id, secret = admin_credentials  # the Config API's own client
    for _ in range(5):
        wrong = await post(http, TOKEN, CREDENTIALS_GRANT, client_id, "wrong")
        assert wrong.status_code == 401 and "retry-after" not in wrong.headers
    refused_for(await post(http, TOKEN, CREDENTIALS_GRANT, client_id, "wrong"), 2)
    right = await post(http, TOKEN, CREDENTIALS_GRANT, client_id, secret)
    refused_for(right, 2)
    assert "try again in 2 seconds" in right.json()["error_description"]
    elsewhere = await post(http, TOKEN, CREDENTIALS_GRANT, client_id, secret, "198.51.100.1")
    assert elsewhere.status_code == 200
    clock.advance(2)
    assert (await post(http, TOKEN, CREDENTIALS_GRANT, client_id, secret)).status_code == 200
    # the success cleared the failures: five more guesses are answered at once again
    for _ in range(5):
        wrong = await post(http, TOKEN, CREDENTIALS_GRANT, client_id, "wrong")
        assert "retry-after" not in wrong.headers


async def test_the_admin_client_is_told_its_credentials_wait(
    runtime: Runtime, admin_credentials: tuple[str, str], http: httpx.AsyncClient
) -> None:
    client_id, secret = admin_credentials
    for _ in range(6):
        await post(http, TOKEN, CREDENTIALS_GRANT, client_id, "wrong", "127.0.0.1")
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    async with AdminClient(ISSUER, client_id, secret, transport=transport) as admin:
        with pytest.raises(AdminApiError, match="try again in 2 seconds"):
            await admin.token()


@pytest.mark.parametrize(
    ("path", "form"),
    [
        (PAR, {"response_type": "code", "redirect_uri": "https://rp.example/cb"}),
        (INTROSPECTION, {"token": "some-token"}),
        (REVOKE, {"token": "some-token"}),
    ],
)
async def test_every_endpoint_that_authenticates_clients_counts_and_waits(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str], path: str, form: dict[str, str]
) -> None:
    client_id, secret = admin_credentials
    for _ in range(6):
        assert (await post(http, path, form, client_id, "wrong")).status_code == 401
    refused_for(await post(http, path, form, client_id, secret), 2)
    # one counter for the client at every endpoint
    refused_for(await post(http, TOKEN, CREDENTIALS_GRANT, client_id, secret), 2)


async def test_registration_access_token_guessing_waits(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    uri = f"{REGISTER}?client_id={client['client_id']}"
    token = client["registration_access_token"]
    for _ in range(6):
        wrong = await http.get(uri, headers=sent_from(ATTACKER, **bearer("not-the-token")))
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"
    assert wrong.headers["retry-after"] == "2"
    right = await http.get(uri, headers=sent_from(ATTACKER, **bearer(token)))
    assert right.status_code == 401
    assert right.json() == {
        "error": "invalid_token",
        "error_description": "The registration access token is not valid for this client; "
        "try again in 2 seconds",
    }
    assert right.headers["retry-after"] == "2"
    assert right.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    clock.advance(2)
    assert (await http.get(uri, headers=sent_from(ATTACKER, **bearer(token)))).status_code == 200


async def test_failures_are_security_events_without_secrets(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str], runtime: Runtime
) -> None:
    client_id, _secret = admin_credentials
    for _ in range(7):
        await post(http, TOKEN, CREDENTIALS_GRANT, client_id, "guessed-secret-value")
    events = await runtime.services.events.list()
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.CLIENT_AUTH_FAILED) == 6
    assert kinds.count(EventKind.CLIENT_AUTH_THROTTLED) == 1
    assert {(e.client_id, e.source) for e in events} == {(client_id, ATTACKER)}
    assert not any("guessed-secret" in repr(e) for e in events)


async def test_switched_off_for_clients(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str], runtime: Runtime
) -> None:
    await protect(runtime, clientAuthenticationProtectionEnabled=False)
    client_id, secret = admin_credentials
    for _ in range(10):
        await post(http, TOKEN, CREDENTIALS_GRANT, client_id, "wrong")
    assert (await post(http, TOKEN, CREDENTIALS_GRANT, client_id, secret)).status_code == 200
