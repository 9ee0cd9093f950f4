"""implicitFlowEnabled: the implicit grant (every response type returning a token from the
authorization endpoint) can be turned off, and discovery and registration follow."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import (
    SQLITE_ONLY,
    Flow,
    authorize_params,
    flow_registration_body,
    fragment_of,
    new_verifier,
    s256,
)


async def _discovery(http: httpx.AsyncClient) -> dict[str, Any]:
    doc: dict[str, Any] = (await http.get("/.well-known/openid-configuration")).json()
    return doc


async def test_discovery_follows_the_switch(http: httpx.AsyncClient, runtime: Runtime) -> None:
    doc = await _discovery(http)
    assert "implicit" in doc["grant_types_supported"]
    assert "id_token token" in doc["response_types_supported"]
    await patch_config(runtime, implicitFlowEnabled=False)
    doc = await _discovery(http)
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
    ]


async def test_removing_implicit_from_grant_types_supported_has_the_same_effect(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, grantTypesSupported=["authorization_code", "refresh_token"])
    assert (await _discovery(http))["response_types_supported"] == ["code"]


async def test_registration_refuses_implicit_when_off(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, implicitFlowEnabled=False)
    # the flow document asks for code, token and id_token: refused, never cut down silently
    response = await http.post("/jans-auth/restv1/register", json=flow_registration_body())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert "'token' is not served" in response.json()["error_description"]
    client = await flow.register(response_types=["code"])
    assert client["grant_types"] == ["refresh_token", "authorization_code"]
    assert client["response_types"] == ["code"]


@SQLITE_ONLY  # configuration policy, decided before anything is stored
@pytest.mark.parametrize(
    "response_type", ["token", "id_token", "id_token token", "code id_token", "code token"]
)
async def test_existing_clients_lose_implicit_at_once(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, response_type: str
) -> None:
    client = await flow.register(administered=True)
    assert "implicit" in client["grant_types"]
    await patch_config(runtime, implicitFlowEnabled=False)
    params = authorize_params(
        client["client_id"], s256(new_verifier()), "S256", response_type=response_type
    )
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    assert response.status_code == 302
    error = fragment_of(response.headers["location"])
    assert error["error"] == "unsupported_response_type"
    # the code flow is untouched
    issued = await flow.code(client["client_id"])
    assert (await flow.tokens(issued))["access_token"]


async def test_a_single_type_can_be_removed(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, responseTypesSupported=["code", "code id_token", "id_token token"])
    doc = await _discovery(http)
    assert doc["response_types_supported"] == ["code", "code id_token", "id_token token"]
