"""Token exchange (RFC 8693) over HTTP, on SQLite and PostgreSQL: off until configured
(discovery says so), refused by default per client, an allowed exchange with its audience in
introspection and userinfo still answering, wrong audience, expired and revoked subject
tokens, an actor token's ``act`` claim, scope widening, an id_token subject token, and the
security event of a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from authgate.appconfig_resources import TOKEN_EXCHANGE
from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.lifecycle import INTROSPECTION, REVOKE, TOKEN, USERINFO, basic, bearer
from tests.support import FakeClock, Flow

ACCESS = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
DOWNSTREAM = "https://downstream.example/api"
LOGICAL = "billing-service"
GRANTS = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
DISCOVERY = "/.well-known/openid-configuration"


async def _enable(runtime: Runtime) -> None:
    await patch_config(
        runtime,
        grantTypesSupported=[*GRANTS, TOKEN_EXCHANGE],
        grantTypesSupportedByDynamicRegistration=[*GRANTS, TOKEN_EXCHANGE],
    )


@dataclass(frozen=True, slots=True)
class Parties:
    service: dict[str, Any]
    frontend: dict[str, Any]
    tokens: dict[str, Any]

    @property
    def auth(self) -> dict[str, str]:
        return basic(self.service["client_id"], self.service["client_secret"])


async def _parties(flow: Flow, runtime: Runtime, **service: Any) -> Parties:
    """A confidential service allowed to exchange for DOWNSTREAM and LOGICAL, and a user's
    tokens from a public frontend whose tokens name the service in their audience."""
    await _enable(runtime)
    body: dict[str, Any] = {
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": [TOKEN_EXCHANGE, "client_credentials"],
        "response_types": [],
        "redirect_uris": [],
        "token_exchange_audiences": [DOWNSTREAM, LOGICAL],
        "access_token_as_jwt": True,
    }
    registered = await flow.register(**(body | service))
    frontend = await flow.register(additional_audience=[registered["client_id"]])
    tokens = await flow.tokens(await flow.code(frontend["client_id"]))
    return Parties(registered, frontend, tokens)


def _form(subject: str, kind: str = ACCESS, **extra: Any) -> dict[str, Any]:
    return {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": subject,
        "subject_token_type": kind,
        "resource": DOWNSTREAM,
    } | extra


async def _exchange(http: httpx.AsyncClient, p: Parties, form: dict[str, Any]) -> httpx.Response:
    return await http.post(TOKEN, data=form, headers=p.auth)


def _refused(response: httpx.Response, error: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]


async def _events(runtime: Runtime) -> list[SecurityEvent]:
    await runtime.services.events.flush()
    return await runtime.services.events.list(kind=EventKind.TOKEN_EXCHANGE_REFUSED)


async def test_discovery_advertises_the_grant_only_when_enabled(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    before = (await http.get(DISCOVERY)).json()
    assert TOKEN_EXCHANGE not in before["grant_types_supported"]
    await _enable(runtime)
    after = (await http.get(DISCOVERY)).json()
    assert TOKEN_EXCHANGE in after["grant_types_supported"]


async def test_the_grant_is_unsupported_until_enabled(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    response = await http.post(
        TOKEN,
        data=_form("anything"),
        headers=basic(client["client_id"], client["client_secret"]),
    )
    _refused(response, "unsupported_grant_type")


async def test_an_allowed_exchange(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    p = await _parties(flow, runtime)
    response = await _exchange(http, p, _form(p.tokens["access_token"], audience=LOGICAL))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "issued_token_type", "token_type", "expires_in", "scope"}
    assert body["issued_token_type"] == ACCESS
    assert body["token_type"] == "Bearer"
    claims = runtime.services.keys.verify(body["access_token"])
    assert claims["aud"] == [LOGICAL, DOWNSTREAM]
    assert claims["client_id"] == p.service["client_id"]
    seen = await http.post(INTROSPECTION, data={"token": body["access_token"]}, headers=p.auth)
    assert seen.json()["active"] is True
    assert seen.json()["aud"] == [LOGICAL, DOWNSTREAM]
    assert seen.json()["username"]
    info = await http.get(USERINFO, headers=bearer(body["access_token"]))
    assert info.status_code == 200, info.text


async def test_refused_by_default_and_recorded(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    p = await _parties(flow, runtime, token_exchange_audiences=[])
    response = await _exchange(http, p, _form(p.tokens["access_token"]))
    _refused(response, "unauthorized_client")
    [event] = await _events(runtime)
    assert event.client_id == p.service["client_id"]
    assert event.detail == "token exchange refused: unauthorized_client"
    assert p.tokens["access_token"] not in repr(event)


async def test_a_public_client_cannot_register_the_grant(flow: Flow, runtime: Runtime) -> None:
    await _enable(runtime)
    response = await flow.http.post(
        "/jans-auth/restv1/register",
        json={
            "redirect_uris": ["https://rp.example/cb"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", TOKEN_EXCHANGE],
            "token_exchange_audiences": [DOWNSTREAM],
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert "only for confidential clients" in response.json()["error_description"]


@pytest.mark.parametrize(
    "target", [{"resource": "https://elsewhere.example/"}, {"audience": "someone-else"}]
)
async def test_a_wrong_audience_is_invalid_target(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, target: dict[str, str]
) -> None:
    p = await _parties(flow, runtime)
    form = _form(p.tokens["access_token"]) | target
    if "audience" in target:
        del form["resource"]
    _refused(await _exchange(http, p, form), "invalid_target")


async def test_expired_and_revoked_subject_tokens_are_invalid_grant(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    p = await _parties(flow, runtime)
    frontend = {"client_id": p.frontend["client_id"], "token": p.tokens["access_token"]}
    revoked = await http.post(REVOKE, data=frontend)
    assert revoked.status_code == 200
    _refused(await _exchange(http, p, _form(p.tokens["access_token"])), "invalid_grant")
    fresh = await flow.tokens(await flow.code(p.frontend["client_id"]))
    clock.advance(301)
    _refused(await _exchange(http, p, _form(fresh["access_token"])), "invalid_grant")
    _refused(await _exchange(http, p, _form("never-issued")), "invalid_grant")
    assert len(await _events(runtime)) == 3


async def test_an_actor_token_makes_an_act_claim(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    p = await _parties(flow, runtime)
    actor = await http.post(TOKEN, data={"grant_type": "client_credentials"}, headers=p.auth)
    assert actor.status_code == 200, actor.text
    form = _form(
        p.tokens["access_token"],
        actor_token=actor.json()["access_token"],
        actor_token_type=ACCESS,
    )
    first = await _exchange(http, p, form)
    assert first.status_code == 200, first.text
    act = {"sub": p.service["client_id"], "client_id": p.service["client_id"]}
    assert runtime.services.keys.verify(first.json()["access_token"])["act"] == act
    # exchanging the delegated token again nests the previous actor
    again = _form(
        first.json()["access_token"],
        actor_token=actor.json()["access_token"],
        actor_token_type=ACCESS,
    )
    second = await _exchange(http, p, again)
    assert second.status_code == 200, second.text
    nested = runtime.services.keys.verify(second.json()["access_token"])["act"]
    assert nested == act | {"act": act}
    seen = await http.post(
        INTROSPECTION, data={"token": second.json()["access_token"]}, headers=p.auth
    )
    assert seen.json()["act"] == nested


async def test_scope_widening_is_refused(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    p = await _parties(flow, runtime)
    wide = _form(p.tokens["access_token"], scope="openid profile email admin")
    _refused(await _exchange(http, p, wide), "invalid_scope")
    narrow = await _exchange(http, p, _form(p.tokens["access_token"], scope="openid"))
    assert narrow.status_code == 200 and narrow.json()["scope"] == "openid"


async def test_an_id_token_subject_token(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    p = await _parties(flow, runtime)
    response = await _exchange(http, p, _form(p.tokens["id_token"], ID_TOKEN))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "openid"
    seen = await http.post(INTROSPECTION, data={"token": body["access_token"]}, headers=p.auth)
    assert seen.json()["aud"] == DOWNSTREAM
    assert seen.json()["username"]
    # an access token presented as an id_token is refused
    wrong = await _exchange(http, p, _form(p.tokens["access_token"], ID_TOKEN))
    _refused(wrong, "invalid_grant")


async def test_requested_token_type_other_than_access_token(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    p = await _parties(flow, runtime)
    form = _form(
        p.tokens["access_token"],
        requested_token_type="urn:ietf:params:oauth:token-type:refresh_token",
    )
    _refused(await _exchange(http, p, form), "invalid_request")
