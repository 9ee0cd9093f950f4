"""The token endpoint's shared steps on memory services, before any grant runs: grant_type
present, client authenticated first, grant type supported by the server and the client,
DPoP required for clients registered with ``dpop_bound_access_tokens``."""

from __future__ import annotations

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.tokens.endpoint import GRANTS, token
from authgate.errors import (
    InvalidClient,
    InvalidDPoPProof,
    InvalidRequest,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from tests.core.flow_support import SECRET, basic
from tests.memory import StaticConfig, add_client, make_services


async def test_missing_grant_type_is_invalid_request() -> None:
    svc = make_services()
    client = await add_client(svc)
    with pytest.raises(InvalidRequest) as caught:
        await token({"client_id": client.client_id}, None, svc)
    assert caught.value.description == "The request is missing the grant_type parameter"


def test_the_endpoint_knows_its_grants() -> None:
    assert sorted(GRANTS) == [
        "authorization_code",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ]


@pytest.mark.parametrize(
    "grant_type",
    [
        "password",  # never implemented
        "implicit",  # a grant of the authorization endpoint, not of this one
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "AUTHORIZATION_CODE",
        "urn:ietf:params:oauth:grant-type:token-exchange",  # off until configured
    ],
)
async def test_unsupported_grant_type(grant_type: str) -> None:
    svc = make_services()
    client = await add_client(svc, grant_types=["authorization_code", "implicit"])
    with pytest.raises(UnsupportedGrantType) as caught:
        await token({"grant_type": grant_type, "client_id": client.client_id}, None, svc)
    assert caught.value.description == f"grant_type '{grant_type}' is not supported"


async def test_grant_turned_off_server_wide_is_unsupported() -> None:
    config = AppConfiguration(grantTypesSupported=["authorization_code"])
    svc = make_services(config=StaticConfig(config))
    client = await add_client(svc, secret=SECRET, grant_types=["client_credentials"])
    with pytest.raises(UnsupportedGrantType, match="'client_credentials' is not supported"):
        await token({"grant_type": "client_credentials"}, basic(client.client_id, SECRET), svc)


async def test_client_authentication_comes_before_the_grant_type() -> None:
    svc = make_services()
    client = await add_client(svc, secret=SECRET)
    with pytest.raises(InvalidClient) as caught:
        await token({"grant_type": "password"}, basic(client.client_id, "wrong"), svc)
    assert caught.value.description == "Client authentication failed: wrong client secret"
    assert caught.value.headers == {"WWW-Authenticate": 'Basic realm="jans-auth"'}


async def test_client_must_be_registered_for_the_grant() -> None:
    svc = make_services()
    client = await add_client(svc)
    form = {"grant_type": "refresh_token", "client_id": client.client_id, "refresh_token": "x"}
    with pytest.raises(UnauthorizedClient) as caught:
        await token(form, None, svc)
    assert caught.value.description == "The client is not registered for the refresh_token grant"


async def test_dpop_bound_client_needs_a_proof() -> None:
    svc = make_services()
    client = await add_client(
        svc, secret=SECRET, grant_types=["client_credentials"], dpop_bound_access_tokens=True
    )
    with pytest.raises(InvalidDPoPProof) as caught:
        await token({"grant_type": "client_credentials"}, basic(client.client_id, SECRET), svc)
    assert caught.value.description == (
        "This client is registered with dpop_bound_access_tokens: send a DPoP proof"
    )
