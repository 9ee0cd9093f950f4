"""The OAuth 2.1 profile switch: implicit, plain PKCE and the password grant off in one step.

What the switch allows is configuration policy, decided before anything is stored: the HTTP
tests run on SQLite only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authgate.appconfig import AppConfiguration
from authgate.core import profile
from authgate.errors import UnsupportedResponseType
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import (
    ISSUER,
    SQLITE_ONLY,
    Flow,
    authorize_params,
    flow_registration_body,
    new_verifier,
    query_of,
    s256,
)

AUTHORIZE = "/jans-auth/restv1/authorize"
REGISTER = "/jans-auth/restv1/register"


@pytest.mark.parametrize(
    "response_type", ["token", "id_token token", "code token", "id_token", "code id_token"]
)
def test_one_check_for_front_channel_tokens(response_type: str) -> None:
    on = AppConfiguration(oauth21ProfileEnabled=True)
    with pytest.raises(UnsupportedResponseType):
        profile.check_response_type(response_type, on)
    profile.check_response_type(response_type, AppConfiguration())


def test_the_profile_keeps_code_and_s256() -> None:
    on = AppConfiguration(oauth21ProfileEnabled=True)
    off = AppConfiguration()
    profile.check_response_type("code", on)
    assert not profile.grant_type_allowed("implicit", on)
    assert not profile.grant_type_allowed(
        "password",
        on.model_copy(update={"grantTypesSupported": ["password", "authorization_code"]}),
    )
    assert profile.grant_type_allowed("implicit", off)
    assert profile.pkce_methods(on) == ["S256"]
    assert profile.pkce_methods(off) == ["S256", "plain"]


@SQLITE_ONLY
async def test_profile_in_discovery(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(
        runtime,
        oauth21ProfileEnabled=True,
        authorizationResponseIssParameterSupported=False,
        grantTypesSupported=["authorization_code", "implicit", "refresh_token", "password"],
    )
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["authorization_response_iss_parameter_supported"] is True


@SQLITE_ONLY
async def test_profile_refuses_plain_and_forces_iss(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(
        runtime, oauth21ProfileEnabled=True, authorizationResponseIssParameterSupported=False
    )
    client = await flow.register(response_types=["code"], administered=True)
    verifier = new_verifier()
    params = authorize_params(client["client_id"], verifier, "plain")
    error = query_of((await http.get(AUTHORIZE, params=params)).headers["location"])
    assert error["error"] == "invalid_request"
    assert error["iss"] == ISSUER
    issued = await flow.code(client["client_id"])
    assert issued.code


@SQLITE_ONLY
async def test_profile_requires_pkce_from_public_clients(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, oauth21ProfileEnabled=True, requirePkceForPublicClients=False)
    client = await flow.register(response_types=["code"], administered=True)
    error = query_of(
        (
            await http.get(AUTHORIZE, params=authorize_params(client["client_id"], None, None))
        ).headers["location"]
    )
    assert error["error"] == "invalid_request"
    assert "PKCE" in error["error_description"]


@SQLITE_ONLY
async def test_profile_registration_refuses_implicit(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, oauth21ProfileEnabled=True)
    # the flow document asks for code, token and id_token: refused, naming the first one
    response = await http.post(REGISTER, json=flow_registration_body())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert "'token'" in response.json()["error_description"]
    response = await http.post(
        REGISTER,
        json=flow_registration_body() | {"grant_types": ["implicit"], "response_types": ["code"]},
    )
    assert response.status_code == 400
    assert "'implicit' is not enabled" in response.json()["error_description"]
    client = await flow.register(response_types=["code"])
    assert client["grant_types"] == ["refresh_token", "authorization_code"]
    assert client["response_types"] == ["code"]


@SQLITE_ONLY
@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token"])
async def test_profile_refuses_token_response_type(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime, response_type: str
) -> None:
    client = await flow.register(administered=True)
    await patch_config(runtime, oauth21ProfileEnabled=True)
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    params["response_type"] = response_type
    location = (await http.get(AUTHORIZE, params=params)).headers["location"]
    error = {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}
    assert error["error"] == "unsupported_response_type"
    assert "OAuth 2.1" in error["error_description"]
    assert error["iss"] == ISSUER


@SQLITE_ONLY
async def test_password_grant_is_refused(flow: Flow, runtime: Runtime) -> None:
    client = await flow.register()
    form = {"grant_type": "password", "client_id": client["client_id"], "username": "alice"}
    response = await flow.token(form | {"password": "x"})
    assert response.json()["error"] == "unsupported_grant_type"
    await patch_config(runtime, oauth21ProfileEnabled=True)
    response = await flow.token(form | {"password": "x"})
    assert response.json()["error"] == "unsupported_grant_type"


async def test_profile_matches_the_pkce_method_exactly(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    """RFC 7636 §4.3 spells the method ``S256``: the profile refuses the flow document's
    ``s256``, which is accepted with the profile off."""
    client = await flow.register(administered=True)
    assert (await flow.code(client["client_id"], method="s256")).code
    await patch_config(runtime, oauth21ProfileEnabled=True)
    verifier = new_verifier()
    params = authorize_params(client["client_id"], s256(verifier), "s256")
    error = query_of((await http.get(AUTHORIZE, params=params)).headers["location"])
    assert error["error"] == "invalid_request"
    assert "code_challenge_method 's256' is not supported" in error["error_description"]
    assert (await flow.code(client["client_id"], method="S256")).code
