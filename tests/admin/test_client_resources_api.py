"""Resource indicators and token exchange settings through the Config API: the client
members ``allowed_resources`` and ``token_exchange_audiences`` (checked, stored, shown), and
the configuration document's ``defaultResourceIndicators`` and the token exchange grant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.admin import paths
from authgate.appconfig_resources import TOKEN_EXCHANGE
from tests.admin.support import Api

API = "https://api.example/"
SERVICE: dict[str, Any] = {
    "client_name": "Exchanging service",
    "grant_types": ["client_credentials", TOKEN_EXCHANGE],
    "response_types": [],
    "scope": ["openid"],
    "allowed_resources": [API],
    "token_exchange_audiences": [API, "billing"],
}


async def test_an_administrator_sets_both_lists(api: Api) -> None:
    response = await api.post(paths.CLIENTS, SERVICE)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["allowed_resources"] == [API]
    assert created["token_exchange_audiences"] == [API, "billing"]
    fetched = (await api.get(f"{paths.CLIENTS}/{created['client_id']}")).json()
    assert fetched["allowed_resources"] == [API]
    assert fetched["grant_types"] == ["client_credentials", TOKEN_EXCHANGE]


@pytest.mark.parametrize(
    ("member", "value", "why"),
    [
        ("allowed_resources", ["https://api.example/#x"], "has a fragment"),
        ("allowed_resources", ["relative"], "is not an absolute URI"),
        ("token_exchange_audiences", ["two words"], "white space"),
    ],
)
async def test_malformed_lists_are_refused(api: Api, member: str, value: Any, why: str) -> None:
    response = await api.post(paths.CLIENTS, SERVICE | {member: value})
    assert response.status_code == 400, response.text
    assert why in response.text


async def test_a_public_client_cannot_have_token_exchange(api: Api) -> None:
    body = SERVICE | {"token_endpoint_auth_method": "none"}
    response = await api.post(paths.CLIENTS, body)
    assert response.status_code == 400, response.text
    assert "needs a confidential client" in response.text


async def test_the_configuration_document_checks_default_resources(
    api: Api, http: httpx.AsyncClient
) -> None:
    ok = await api.patch_config(
        [
            {"op": "replace", "path": "/defaultResourceIndicators", "value": [API]},
            {"op": "add", "path": "/grantTypesSupported/-", "value": TOKEN_EXCHANGE},
        ]
    )
    assert ok.status_code == 200, ok.text
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert TOKEN_EXCHANGE in discovery["grant_types_supported"]
    bad = await api.patch_config(
        [{"op": "replace", "path": "/defaultResourceIndicators", "value": ["no-scheme"]}]
    )
    assert bad.status_code == 400, bad.text
    assert "defaultResourceIndicators" in bad.text
