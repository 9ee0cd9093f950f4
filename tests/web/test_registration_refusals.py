"""Registration gives every requested grant type, response type and scope or refuses it
with ``400 invalid_client_metadata`` naming it; nothing is dropped or replaced silently (a
confidential client asking for ``client_credentials`` used to get ``authorization_code`` and
``refresh_token`` instead). Discovery's ``grant_types_supported`` is what registration allows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from authgate.admin.scopes import ADMIN_SCOPES
from authgate.runtime import Runtime
from authgate.storage.models import CLIENTS
from tests.conftest import patch_config
from tests.lifecycle import REGISTER, TOKEN, basic
from tests.support import FakeClock, Flow, flow_registration_body
from tests.web.test_private_key_jwt import assertion, auth, ec_key, jwks

DISCOVERY = "/.well-known/openid-configuration"
#: A confidential machine client: no redirect URIs, no response types.
SERVICE: dict[str, Any] = {
    "client_name": "service",
    "token_endpoint_auth_method": "client_secret_basic",
    "grant_types": ["client_credentials"],
}


async def _count_clients(runtime: Runtime) -> int:
    row = await runtime.db.fetch_one(select(func.count().label("n")).select_from(CLIENTS), {})
    assert row is not None
    return int(row["n"])


async def _refused(
    http: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], *needles: str
) -> None:
    before = await _count_clients(runtime)
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    for needle in needles:
        assert needle in response.json()["error_description"]
    assert await _count_clients(runtime) == before


async def test_confidential_client_gets_client_credentials_alone(http: httpx.AsyncClient) -> None:
    response = await http.post(REGISTER, json=SERVICE)
    assert response.status_code == 201, response.text
    client = response.json()
    assert client["grant_types"] == ["client_credentials"]
    assert client["response_types"] == []
    assert client["redirect_uris"] == []
    token = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "openid"},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "openid"
    assert "refresh_token" not in token.json()
    # and nothing else: no code flow was slipped in
    code_grant = await http.post(
        TOKEN,
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "http://x"},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert code_grant.json()["error"] == "unauthorized_client"


async def test_client_credentials_with_the_code_flow(flow: Flow) -> None:
    client = await flow.register(
        token_endpoint_auth_method="client_secret_post",
        grant_types=["authorization_code", "client_credentials"],
        response_types=["code"],
    )
    assert client["grant_types"] == ["refresh_token", "authorization_code", "client_credentials"]
    assert client["response_types"] == ["code"]


async def test_private_key_jwt_client_uses_client_credentials(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    key = ec_key()
    body = SERVICE | {"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(key)}
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 201, response.text
    client = response.json()
    assert client["grant_types"] == ["client_credentials"]
    signed = assertion(key, client["client_id"], clock.now())
    token = await http.post(TOKEN, data={"grant_type": "client_credentials", **auth(signed)})
    assert token.status_code == 200, token.text


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        (
            flow_registration_body()
            | {"grant_types": ["authorization_code", "client_credentials"]},
            ("'client_credentials' is only for confidential clients",),
        ),
        (
            SERVICE | {"additional_token_endpoint_auth_methods": ["none"]},
            ("'client_credentials' is only for confidential clients",),
        ),
        (SERVICE | {"grant_types": ["urn:example:unknown"]}, ("'urn:example:unknown'",)),
        (SERVICE | {"grant_types": ["password"]}, ("'password'", "implements")),
        (
            flow_registration_body() | {"response_types": ["code", "code bogus"]},
            ("response_types", "'code bogus'"),
        ),
        (flow_registration_body() | {"scope": "openid nonsense"}, ("['nonsense']",)),
        (SERVICE | {"scope": [ADMIN_SCOPES[0]]}, (ADMIN_SCOPES[0], "cannot be registered")),
    ],
    ids=[
        "client_credentials for a public client",
        "client_credentials with a none method",
        "unknown grant type",
        "password grant",
        "unknown response type",
        "unknown scope",
        "admin scope",
    ],
)
async def test_values_the_server_will_not_give_are_refused(
    http: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], needles: tuple[str, ...]
) -> None:
    await _refused(http, runtime, body, *needles)


async def test_grant_types_turned_off_are_refused(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, grantTypesSupported=["authorization_code", "refresh_token"])
    await _refused(http, runtime, SERVICE, "'client_credentials' is not enabled")
    await patch_config(
        runtime,
        grantTypesSupported=["authorization_code", "refresh_token", "client_credentials"],
        grantTypesSupportedByDynamicRegistration=["authorization_code", "refresh_token"],
    )
    await _refused(http, runtime, SERVICE, "'client_credentials' cannot be registered dynamically")


async def test_response_types_turned_off_are_refused(
    http: httpx.AsyncClient, runtime: Runtime, flow: Flow
) -> None:
    await patch_config(runtime, responseTypesSupported=["code", "code id_token"])
    await _refused(http, runtime, flow_registration_body(), "'token' is not served")
    client = await flow.register(response_types=["code id_token"])
    assert client["response_types"] == ["code", "id_token"]


async def test_registration_follows_discovery(http: httpx.AsyncClient, runtime: Runtime) -> None:
    """Every grant type in discovery's grant_types_supported can be registered by a
    confidential client, and one that discovery stops listing is refused."""
    # sixteen registrations from one address: more than the default rate limit allows
    await patch_config(runtime, rateLimitRegistrationRequestCount=0)
    for config in (
        {},
        {"implicitFlowEnabled": False},
        {"oauth21ProfileEnabled": True},
        {"grantTypesSupported": ["authorization_code", "refresh_token"]},
    ):
        await patch_config(runtime, **config)
        listed = (await http.get(DISCOVERY)).json()["grant_types_supported"]
        for grant in ("authorization_code", "implicit", "refresh_token", "client_credentials"):
            body = flow_registration_body() | {
                "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": [grant],
                "response_types": ["token"] if grant == "implicit" else ["code"],
            }
            response = await http.post(REGISTER, json=body)
            expected = 201 if grant in listed else 400
            assert response.status_code == expected, (config, grant, response.text)
            if expected == 201:
                assert grant in response.json()["grant_types"]
        await patch_config(
            runtime,
            implicitFlowEnabled=True,
            oauth21ProfileEnabled=False,
            grantTypesSupported=[
                "authorization_code",
                "implicit",
                "refresh_token",
                "client_credentials",
            ],
        )


async def test_flow_document_registration_is_unchanged(http: httpx.AsyncClient) -> None:
    response = await http.post(REGISTER, json=flow_registration_body())
    assert response.status_code == 201
    body = response.json()
    assert body["grant_types"] == ["implicit", "refresh_token", "authorization_code"]
    assert body["response_types"] == ["code", "token", "id_token"]
    assert body["scope"] == "email openid profile"
