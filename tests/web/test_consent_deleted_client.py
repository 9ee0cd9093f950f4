"""A client deleted (or disabled) while its consent page is shown: the user's answer gets an
error page, not a redirect to the gone client's URI and not a 500 after retrying a consent
insert that violates the foreign key; nothing is recorded and the interaction is closed."""

from __future__ import annotations

import dataclasses
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from authgate.core import endpoints
from authgate.runtime import Runtime
from authgate.storage.models import CONSENTS, INTERACTIONS
from tests.lifecycle import REGISTER, bearer
from tests.support import (
    PASSWORD,
    USERNAME,
    Flow,
    authorize_params,
    flow_registration_body,
    hidden_form,
    new_verifier,
    s256,
)


async def _count(runtime: Runtime, table: Any) -> int:
    row = await runtime.db.fetch_one(select(func.count().label("n")).select_from(table), {})
    assert row is not None
    return int(row["n"])


async def _consent_form(http: httpx.AsyncClient, client_id: str) -> tuple[str, dict[str, str]]:
    """Authorize, log in, and stop on the consent page: its form's action and fields."""
    params = authorize_params(client_id, s256(new_verifier()), "S256")
    response = await http.get(f"{endpoints.AUTHORIZE}?{urlencode(params)}")
    login = await http.get(response.headers["location"])
    action, fields = hidden_form(login.text)
    response = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"].startswith(endpoints.CONSENT_PAGE)
    page = await http.get(response.headers["location"])
    assert page.status_code == 200
    return hidden_form(page.text)


async def _delete(http: httpx.AsyncClient, client: dict[str, Any]) -> None:
    response = await http.delete(
        f"{REGISTER}?client_id={client['client_id']}",
        headers=bearer(client["registration_access_token"]),
    )
    assert response.status_code == 204


@pytest.mark.parametrize("decision", ["allow", "deny"])
async def test_answer_for_a_deleted_client_is_an_error_page(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, decision: str
) -> None:
    client = await flow.register()
    action, fields = await _consent_form(http, client["client_id"])
    await _delete(http, client)
    interactions = await _count(runtime, INTERACTIONS)

    started = time.monotonic()
    response = await http.post(action, data=fields | {"decision": decision})
    assert time.monotonic() - started < 5  # no retry loop

    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "unauthorized_client" in response.text
    assert await _count(runtime, CONSENTS) == 0
    assert await _count(runtime, INTERACTIONS) == interactions - 1

    # the form cannot be replayed
    again = await http.post(action, data=fields | {"decision": decision})
    assert again.status_code == 400
    assert "location" not in again.headers


async def test_answer_for_a_disabled_client_is_an_error_page(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await flow.register()
    action, fields = await _consent_form(http, client["client_id"])
    stored = await runtime.services.clients.get(client["client_id"])
    assert stored is not None
    assert await runtime.services.clients.replace(dataclasses.replace(stored, disabled=True))
    response = await http.post(action, data=fields | {"decision": "allow"})
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "unauthorized_client" in response.text
    assert await _count(runtime, CONSENTS) == 0


async def test_consent_store_refuses_a_missing_client_at_once(runtime: Runtime) -> None:
    """The storage half of the race: the client disappears between the lookup and the insert."""
    svc = runtime.services
    started = time.monotonic()
    assert not await svc.consents.grant("user-1", "no-such-client", ["openid"], svc.clock.now())
    assert time.monotonic() - started < 5
    assert await svc.consents.granted("user-1", "no-such-client") == frozenset()


async def test_consent_for_a_live_client_still_lands(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    body = flow_registration_body()
    client = (await http.post(REGISTER, json=body)).json()
    action, fields = await _consent_form(http, client["client_id"])
    response = await http.post(action, data=fields | {"decision": "allow"})
    assert response.status_code == 303
    assert "code=" in response.headers["location"]
    assert await _count(runtime, CONSENTS) == 1
