"""The registration policy over HTTP, on SQLite and PostgreSQL: initial access tokens
(required, expired, used up, revoked, raced for), the closed policy, trusted hosts, software
statements; every refusal in the protocol's format, never a 5xx, never echoing a token."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from authgate.admin.context import Actor
from authgate.admin.schemas import InitialTokenIn
from authgate.assembly import admin_service
from authgate.runtime import Runtime
from authgate.storage.models import CLIENTS
from tests.conftest import patch_config
from tests.software_statements import StatementIssuer
from tests.support import FakeClock, flow_registration_body

REGISTER = "/jans-auth/restv1/register"
DISCOVERY = "/.well-known/openid-configuration"


async def _clients(runtime: Runtime) -> int:
    row = await runtime.db.fetch_one(select(func.count().label("n")).select_from(CLIENTS), {})
    assert row is not None
    return int(row["n"])


async def _issue(runtime: Runtime, *, max_uses: int = 1, expires_in: int = 3600) -> tuple[str, str]:
    """(token_id, value) of a token issued as an administrator would."""
    service = admin_service(runtime).initial_tokens
    body = InitialTokenIn(description="test", expires_in=expires_in, max_uses=max_uses)
    issued = await service.issue(body, Actor("test:admin"))
    return issued.token.token_id, issued.value


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def _refused_as_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert response.headers["cache-control"] == "no-store"


@pytest.fixture
async def token_policy(runtime: Runtime) -> Runtime:
    await patch_config(runtime, dynamicRegistrationPolicy="initial_access_token")
    return runtime


async def test_a_registration_without_a_token_is_refused_before_its_body_is_read(
    http: httpx.AsyncClient, token_policy: Runtime
) -> None:
    response = await http.post(REGISTER, json=flow_registration_body())
    _refused_as_invalid_token(response)
    assert "initial access token" in response.json()["error_description"]
    not_json = await http.post(REGISTER, content=b"{", headers={"Content-Type": "text/plain"})
    _refused_as_invalid_token(not_json)
    assert await _clients(token_policy) == 1  # the admin client only
    assert "registration_endpoint" in (await http.get(DISCOVERY)).json()


async def test_a_token_registers_max_uses_clients_then_is_used_up(
    http: httpx.AsyncClient, token_policy: Runtime
) -> None:
    token_id, value = await _issue(token_policy, max_uses=2)
    bad = await http.post(
        REGISTER, json=flow_registration_body() | {"grant_types": ["nope"]}, headers=_bearer(value)
    )
    assert bad.status_code == 400  # refused for its metadata: no use spent
    for _ in range(2):
        created = await http.post(REGISTER, json=flow_registration_body(), headers=_bearer(value))
        assert created.status_code == 201, created.text
    _refused_as_invalid_token(
        await http.post(REGISTER, json=flow_registration_body(), headers=_bearer(value))
    )
    [listed] = [t for t in await admin_service(token_policy).initial_tokens.list()]
    assert (listed.token_id, listed.uses) == (token_id, 2)
    assert await _clients(token_policy) == 3


async def test_an_expired_token_is_refused(
    http: httpx.AsyncClient, token_policy: Runtime, clock: FakeClock
) -> None:
    _, value = await _issue(token_policy, max_uses=5, expires_in=600)
    clock.advance(600)
    _refused_as_invalid_token(
        await http.post(REGISTER, json=flow_registration_body(), headers=_bearer(value))
    )


async def test_a_revoked_token_is_refused(http: httpx.AsyncClient, token_policy: Runtime) -> None:
    token_id, value = await _issue(token_policy, max_uses=5)
    assert (
        await http.post(REGISTER, json=flow_registration_body(), headers=_bearer(value))
    ).status_code == 201
    await admin_service(token_policy).initial_tokens.revoke(token_id, Actor("test:admin"))
    _refused_as_invalid_token(
        await http.post(REGISTER, json=flow_registration_body(), headers=_bearer(value))
    )


async def test_of_concurrent_registrations_with_a_one_use_token_exactly_one_succeeds(
    http: httpx.AsyncClient, token_policy: Runtime
) -> None:
    _, value = await _issue(token_policy, max_uses=1)
    responses = await asyncio.gather(
        *(
            http.post(REGISTER, json=flow_registration_body(), headers=_bearer(value))
            for _ in range(6)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [401] * 5
    for refused in (r for r in responses if r.status_code == 401):
        _refused_as_invalid_token(refused)
    assert await _clients(token_policy) == 2


@pytest.mark.parametrize(
    "header",
    [b"Bearer", b"Bearer    ", b"Basic YTpi", b"Bearer a b c", b"bearer " + b"x" * 4000,
     b"Bearer \xff\xfe", b"Bearer null"],
    ids=["no-value", "blank", "basic", "spaces", "long", "latin1", "null"],
)  # fmt: skip
async def test_malformed_authorization_is_refused_never_a_server_error(
    http: httpx.AsyncClient, token_policy: Runtime, header: bytes
) -> None:
    response = await http.post(
        REGISTER, json=flow_registration_body(), headers={b"Authorization": header}
    )
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] in ("invalid_token", "invalid_request")


async def test_no_log_line_carries_the_token(
    http: httpx.AsyncClient, token_policy: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, value = await _issue(token_policy, max_uses=1)
    for _ in range(2):
        await http.post(REGISTER, json=flow_registration_body(), headers=_bearer(value))
    assert caplog.records and value not in caplog.text


async def test_open_policy_ignores_a_bearer_token(http: httpx.AsyncClient) -> None:
    response = await http.post(REGISTER, json=flow_registration_body(), headers=_bearer("junk"))
    assert response.status_code == 201, response.text


async def test_the_closed_policy_is_access_denied_and_clients_keep_their_registration(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    client = (await http.post(REGISTER, json=flow_registration_body())).json()
    await patch_config(runtime, dynamicRegistrationPolicy="closed")
    _, value = await _issue(runtime)
    refused = await http.post(REGISTER, json=flow_registration_body(), headers=_bearer(value))
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "access_denied",
        "error_description": "Dynamic client registration is closed on this server",
    }
    assert "registration_endpoint" not in (await http.get(DISCOVERY)).json()
    read = await http.get(
        REGISTER,
        params={"client_id": client["client_id"]},
        headers=_bearer(client["registration_access_token"]),
    )
    assert read.status_code == 200
    assert await _clients(runtime) == 2


async def test_trusted_hosts(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, dynamicRegistrationTrustedHosts=["127.0.0.1"])
    assert (await http.post(REGISTER, json=flow_registration_body())).status_code == 201
    elsewhere = flow_registration_body("https://evil.example/cb")
    refused = await http.post(REGISTER, json=elsewhere)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_redirect_uri"
    logout = flow_registration_body() | {"post_logout_redirect_uris": ["https://evil.example/"]}
    refused = await http.post(REGISTER, json=logout)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client_metadata"
    assert "post_logout_redirect_uris" in refused.json()["error_description"]


@pytest.fixture(scope="module")
def statement_issuer() -> StatementIssuer:
    return StatementIssuer()


async def test_software_statements(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock, statement_issuer: StatementIssuer
) -> None:
    await patch_config(
        runtime,
        softwareStatementTrustedIssuers=[statement_issuer.trusted()],
        softwareStatementRequired=True,
    )
    missing = await http.post(REGISTER, json=flow_registration_body())
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_software_statement")
    statement = statement_issuer.sign(clock.now(), {"software_id": "sw-1", "client_name": "Sig"})
    body: dict[str, Any] = flow_registration_body() | {"software_statement": statement}
    created = await http.post(REGISTER, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["software_statement"] == statement
    assert (created.json()["software_id"], created.json()["client_name"]) == ("sw-1", "Sig")
    stranger = StatementIssuer("https://stranger.example")
    body["software_statement"] = stranger.sign(clock.now())
    unapproved = await http.post(REGISTER, json=body)
    assert (unapproved.status_code, unapproved.json()["error"]) == (
        400,
        "unapproved_software_statement",
    )
    body["software_statement"] = {"not": "a jwt"}
    invalid = await http.post(REGISTER, json=body)
    assert (invalid.status_code, invalid.json()["error"]) == (400, "invalid_software_statement")
    assert await _clients(runtime) == 2
