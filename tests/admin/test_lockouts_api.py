"""Brute-force protection's counters through the Config API (/jans-auth-server/lockouts):
listed with what they impose now, cleared by username, client, source or id, audited, and
validated against the OpenAPI document; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from authgate.admin import paths
from authgate.admin.scopes import LOCKOUTS_DELETE, LOCKOUTS_READ, USERS_READ
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api
from tests.lifecycle import TOKEN, basic
from tests.support import PASSWORD, USERNAME, FakeClock, Flow
from tests.web.brute_force import LoginBrowser, proxied_settings

ATTACKER = "203.0.113.66"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return proxied_settings(database_url)


@pytest.fixture
async def browser(runtime: Runtime, flow: Flow) -> AsyncIterator[LoginBrowser]:
    found = LoginBrowser(runtime, (await flow.register())["client_id"])
    yield found
    await found.aclose()


async def fail_logins(browser: LoginBrowser, username: str, count: int, source: str) -> None:
    for _ in range(count):
        assert (await browser.attempt(username, "wrong", source)).status_code == 401


def check_schema(document: dict[str, Any], method: str, path: str, body: Any) -> None:
    content = document["paths"][path][method]["responses"]["200"]["content"]
    schema = content["application/json"]["schema"]
    Draft202012Validator({**schema, "components": document["components"]}).validate(body)


async def test_lockouts_are_listed_with_what_they_impose(
    api: Api, browser: LoginBrowser, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    assert (await api.get(paths.LOCKOUTS)).json() == []
    await fail_logins(browser, USERNAME, 7, ATTACKER)  # the seventh must wait: not counted
    await fail_logins(browser, "mallory", 1, ATTACKER)
    response = await api.get(paths.LOCKOUTS)
    assert response.status_code == 200
    found = response.json()
    check_schema((await http.get(paths.OPENAPI)).json(), "get", paths.LOCKOUTS, found)
    by = {(c["username"], c["subject"] is None, c["source"]): c for c in found}
    pair = by[(USERNAME, False, ATTACKER)]
    assert (pair["family"], pair["failures"], pair["state"]) == ("login", 6, "throttled")
    assert pair["blocked_until"] == clock.now() + 2
    assert by[(USERNAME, False, None)]["state"] == "counting"  # the account, all sources
    assert by[(None, True, ATTACKER)]["failures"] == 7  # the source, all accounts
    unknown = [c for c in found if c["username"] is None and c["subject"] is not None]
    assert len(unknown) == 2  # mallory's counters: no account to name
    assert all(c["family"] == "login" for c in found)  # no login page counters
    assert len(found) == 5
    assert (await api.get(paths.LOCKOUTS, family="client")).json() == []
    assert (await api.get(paths.LOCKOUTS, limit=2)).json() == found[:2]
    bad = await api.get(paths.LOCKOUTS, family="interaction")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"


async def test_a_lockout_shows_as_locked(api: Api, browser: LoginBrowser) -> None:
    member = "/authenticationProtectionConfiguration"
    patched = await api.patch_config(
        [
            {"op": "replace", "path": f"{member}/lockoutEnabled", "value": True},
            {"op": "replace", "path": f"{member}/lockoutThreshold", "value": 3},
        ]
    )
    assert patched.status_code == 200, patched.text
    for i in range(3):
        await fail_logins(browser, USERNAME, 1, f"192.0.2.{i}")
    found = (await api.get(paths.LOCKOUTS)).json()
    (account,) = [c for c in found if c["username"] == USERNAME and c["source"] is None]
    assert account["state"] == "locked"
    assert account["blocked_until"] == account["last_failure_at"] + 900


async def test_clearing_a_username_lets_the_owner_in_at_once(
    api: Api, browser: LoginBrowser, runtime: Runtime, http: httpx.AsyncClient
) -> None:
    await fail_logins(browser, USERNAME, 7, ATTACKER)
    assert (await browser.attempt(USERNAME, PASSWORD, ATTACKER)).status_code == 401
    cleared = await http.delete(paths.LOCKOUTS, params={"username": USERNAME}, headers=api.headers)
    assert cleared.status_code == 200, cleared.text
    check_schema((await http.get(paths.OPENAPI)).json(), "delete", paths.LOCKOUTS, cleared.json())
    assert cleared.json() == {"cleared": 2}  # this source's counter and the account's
    assert (await browser.attempt(USERNAME, PASSWORD, ATTACKER)).status_code == 303
    left = (await api.get(paths.LOCKOUTS)).json()
    assert [(c["subject"], c["source"]) for c in left] == [(None, ATTACKER)]

    events = await runtime.services.events.list(kind=EventKind.LOCKOUT_CLEARED)
    assert len(events) == 1 and events[0].user_id is not None
    audit = (await api.get(paths.AUDIT, target_type="lockout")).json()
    assert audit[0]["action"] == "lockouts.clear"
    assert audit[0]["target_id"] == f"username:{USERNAME}"
    assert audit[0]["actor"].startswith("client:")


async def test_clearing_a_client_a_source_or_one_counter(
    api: Api, http: httpx.AsyncClient, admin_credentials: tuple[str, str], browser: LoginBrowser
) -> None:
    client_id, secret = admin_credentials
    for _ in range(7):
        await http.post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            headers={"X-Forwarded-For": ATTACKER, **basic(client_id, "wrong")},
        )
    await fail_logins(browser, USERNAME, 2, "192.0.2.7")
    clients = (await api.get(paths.LOCKOUTS, family="client")).json()
    assert {c["client_id"] for c in clients} == {client_id, None}
    pair = next(c for c in clients if c["client_id"] and c["source"])
    assert pair["state"] == "throttled"

    one = await http.delete(f"{paths.LOCKOUTS}/{pair['id']}", headers=api.headers)
    assert one.json() == {"cleared": 1}
    again = await http.delete(f"{paths.LOCKOUTS}/{pair['id']}", headers=api.headers)
    assert again.json() == {"cleared": 0}
    granted = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers={"X-Forwarded-For": ATTACKER, **basic(client_id, secret)},
    )
    assert granted.status_code == 200

    by_source = await http.delete(paths.LOCKOUTS, params={"source": ATTACKER}, headers=api.headers)
    assert by_source.json() == {"cleared": 1}  # the source's counter; the client's stays
    by_client = await http.delete(
        paths.LOCKOUTS, params={"client_id": client_id}, headers=api.headers
    )
    assert by_client.json() == {"cleared": 1}
    assert {c["family"] for c in (await api.get(paths.LOCKOUTS)).json()} == {"login"}


@pytest.mark.parametrize(
    ("target", "params", "message"),
    [
        (paths.LOCKOUTS, {}, "Select the counters to clear"),
        (paths.LOCKOUTS, {"username": "a", "client_id": "b"}, "not both"),
        (f"{paths.LOCKOUTS}/not-an-id", {}, "Not a lockout id"),
        (f"{paths.LOCKOUTS}/aW50ZXJhY3Rpb24KeAo", {}, "Not a lockout id"),  # an interaction's
    ],
)
async def test_clearing_needs_a_selection(
    api: Api, http: httpx.AsyncClient, target: str, params: dict[str, str], message: str
) -> None:
    response = await http.delete(target, params=params, headers=api.headers)
    assert response.status_code == 400
    assert message in response.json()["error_description"]


async def test_lockout_scopes(http: httpx.AsyncClient, token_for: TokenFactory) -> None:
    reader = {"Authorization": f"Bearer {await token_for(LOCKOUTS_READ)}"}
    other = {"Authorization": f"Bearer {await token_for(USERS_READ)}"}
    clearer = {"Authorization": f"Bearer {await token_for(LOCKOUTS_DELETE)}"}
    assert (await http.get(paths.LOCKOUTS, headers=reader)).status_code == 200
    assert (await http.get(paths.LOCKOUTS, headers=other)).status_code == 403
    params = {"source": ATTACKER}
    assert (await http.delete(paths.LOCKOUTS, params=params, headers=reader)).status_code == 403
    assert (await http.delete(paths.LOCKOUTS, params=params, headers=clearer)).status_code == 200
    assert (await http.get(paths.LOCKOUTS)).status_code == 401
