"""Resource indicators (RFC 8707) over HTTP, on SQLite and PostgreSQL: refused at the
authorization endpoint before any login page, through PAR and at the token endpoint;
narrowing and no widening on refresh; the audience in JWT access tokens and introspection;
userinfo still answering; the settings through registration and the Config API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.lifecycle import INTROSPECTION, REGISTER, USERINFO, basic, bearer, refresh_form
from tests.support import (
    REDIRECT_URI,
    Browser,
    Flow,
    authorize_params,
    flow_registration_body,
    new_verifier,
    query_of,
    s256,
    token_form,
)

API = "https://api.example/"
OTHER = "https://other.example/v1"
ELSEWHERE = "https://elsewhere.example/"
AUTHORIZE = "/jans-auth/restv1/authorize"
PAR = "/jans-auth/restv1/par"


async def _client(flow: Flow, runtime: Runtime, **overrides: Any) -> dict[str, Any]:
    """A confidential client (administered: its errors are redirected) allowed API and
    OTHER, registered while the server's default list holds them."""
    await patch_config(runtime, defaultResourceIndicators=[API, OTHER])
    return await flow.register(
        administered=True,
        token_endpoint_auth_method="client_secret_basic",
        allowed_resources=[API, OTHER],
        **overrides,
    )


def _auth(client: dict[str, Any]) -> dict[str, str]:
    return basic(client["client_id"], client["client_secret"])


async def _code(
    flow: Flow, client: dict[str, Any], resource: list[str] | None = None
) -> tuple[str, str]:
    verifier = new_verifier()
    params: dict[str, Any] = authorize_params(client["client_id"], s256(verifier), "S256")
    if resource is not None:
        params["resource"] = resource
    result = await flow.browser.authorize(params)
    assert "code" in result.params, result.location
    return result.params["code"], verifier


async def _tokens(
    flow: Flow, client: dict[str, Any], code: str, verifier: str, **extra: Any
) -> httpx.Response:
    form: dict[str, Any] = token_form(client["client_id"], code, verifier) | extra
    return await flow.http.post("/jans-auth/restv1/token", data=form, headers=_auth(client))


async def _aud(http: httpx.AsyncClient, client: dict[str, Any], token: str) -> Any:
    body = (await http.post(INTROSPECTION, data={"token": token}, headers=_auth(client))).json()
    assert body["active"] is True, body
    return body["aud"]


async def test_authorize_refuses_a_disallowed_resource_before_any_login(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _client(flow, runtime)
    params: dict[str, Any] = authorize_params(client["client_id"], None, None)
    params["resource"] = [API, ELSEWHERE]
    response = await http.get(AUTHORIZE, params=params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)  # an error redirect, not the login page
    got = query_of(location)
    assert got["error"] == "invalid_target"
    assert got["state"] == params["state"]
    assert "login.htm" not in location


async def test_authorize_with_a_malformed_resource_is_invalid_target(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _client(flow, runtime)
    params = authorize_params(client["client_id"], None, None, resource="relative/path")
    response = await http.get(AUTHORIZE, params=params)
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "invalid_target"


async def test_resources_flow_into_the_tokens_and_narrow_at_the_token_endpoint(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _client(flow, runtime)
    code, verifier = await _code(flow, client, [API, OTHER])
    response = await _tokens(flow, client, code, verifier, resource=OTHER)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert await _aud(http, client, tokens["access_token"]) == OTHER
    # userinfo answers (the token has the openid scope, whatever its audience)
    info = await http.get(USERINFO, headers=bearer(tokens["access_token"]))
    assert info.status_code == 200 and info.json()["sub"]
    # a refresh may go back to anything the grant authorized ...
    again = await http.post(
        "/jans-auth/restv1/token",
        data=refresh_form(client["client_id"], tokens["refresh_token"]),
        headers=_auth(client),
    )
    assert again.status_code == 200, again.text
    assert await _aud(http, client, again.json()["access_token"]) == [API, OTHER]


async def test_the_token_endpoint_refuses_a_resource_the_code_did_not_authorize(
    flow: Flow, runtime: Runtime
) -> None:
    client = await _client(flow, runtime)
    code, verifier = await _code(flow, client, [API])
    response = await _tokens(flow, client, code, verifier, resource=OTHER)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
    # the code is still good
    assert (await _tokens(flow, client, code, verifier)).status_code == 200


async def test_a_refresh_cannot_widen(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _client(flow, runtime)
    code, verifier = await _code(flow, client, [API])
    tokens = (await _tokens(flow, client, code, verifier)).json()
    widened = await http.post(
        "/jans-auth/restv1/token",
        data=refresh_form(client["client_id"], tokens["refresh_token"], resource=OTHER),
        headers=_auth(client),
    )
    assert widened.status_code == 400
    assert widened.json()["error"] == "invalid_target"
    # the refused refresh did not use up the refresh token
    ok = await http.post(
        "/jans-auth/restv1/token",
        data=refresh_form(client["client_id"], tokens["refresh_token"], resource=API),
        headers=_auth(client),
    )
    assert ok.status_code == 200, ok.text
    assert await _aud(http, client, ok.json()["access_token"]) == API


async def test_jwt_access_tokens_carry_the_resources(flow: Flow, runtime: Runtime) -> None:
    client = await _client(flow, runtime, access_token_as_jwt=True)
    code, verifier = await _code(flow, client, [API, OTHER])
    tokens = (await _tokens(flow, client, code, verifier)).json()
    claims = runtime.services.keys.verify(tokens["access_token"])
    assert claims["aud"] == [API, OTHER]
    assert claims["client_id"] == client["client_id"]


async def test_par_checks_resources_and_carries_them_to_the_code(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, browser: Browser
) -> None:
    client = await _client(flow, runtime)
    verifier = new_verifier()
    form: dict[str, Any] = authorize_params(client["client_id"], s256(verifier), "S256")
    refused = await http.post(
        PAR, data=form | {"resource": [API, ELSEWHERE]}, headers=_auth(client)
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_target"
    pushed = await http.post(PAR, data=form | {"resource": [API, OTHER]}, headers=_auth(client))
    assert pushed.status_code == 201, pushed.text
    result = await browser.authorize(
        {"client_id": client["client_id"], "request_uri": pushed.json()["request_uri"]}
    )
    tokens = (await _tokens(flow, client, result.params["code"], verifier)).json()
    assert await _aud(http, client, tokens["access_token"]) == [API, OTHER]


async def test_client_credentials_with_a_resource(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _client(
        flow, runtime, grant_types=["client_credentials"], response_types=[], redirect_uris=[]
    )
    ok = await http.post(
        "/jans-auth/restv1/token",
        data={"grant_type": "client_credentials", "resource": API},
        headers=_auth(client),
    )
    assert ok.status_code == 200, ok.text
    assert await _aud(http, client, ok.json()["access_token"]) == API
    refused = await http.post(
        "/jans-auth/restv1/token",
        data={"grant_type": "client_credentials", "resource": ELSEWHERE},
        headers=_auth(client),
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_target"


@pytest.mark.parametrize(
    ("allowed", "why"),
    [
        ([ELSEWHERE], "may only name resources of the server's defaultResourceIndicators"),
        (["https://api.example/#f"], "has a fragment"),
    ],
)
async def test_registration_checks_allowed_resources(
    http: httpx.AsyncClient, runtime: Runtime, allowed: list[str], why: str
) -> None:
    await patch_config(runtime, defaultResourceIndicators=[API])

    body = flow_registration_body() | {"allowed_resources": allowed}
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert why in response.json()["error_description"]
