"""CORS: client-bound origins on the token/userinfo/PAR endpoints, any origin on discovery,
JWKS and registration, never on authorize, and the corsConfigurationFilters knobs.

CORS headers are decided from the request, the configuration and the client's registered
URIs; one test runs on both databases, the others on SQLite only."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pydantic
import pytest

from authgate.appconfig import AppConfiguration
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import SQLITE_ONLY, Flow, token_form

TOKEN = "/jans-auth/restv1/token"
RP = "http://127.0.0.1:8765"  # the origin of tests.support.REDIRECT_URI
EVIL = "https://evil.example"
FILTER = {
    "filterName": "CorsFilter",
    "corsEnabled": True,
    "corsAllowedOrigins": "",
    "corsAllowClientOrigins": True,
}


def _preflight(origin: str, method: str = "POST", headers: str = "content-type") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


async def _token_call(flow: Flow, origin: str, **register: Any) -> httpx.Response:
    client = await flow.register(**register)
    issued = await flow.code(client["client_id"])
    form = token_form(issued.client_id, issued.code, issued.verifier)
    return await flow.token(form, headers={"Origin": origin})


async def test_registered_origin_reads_token_response(flow: Flow) -> None:
    response = await _token_call(flow, RP)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == RP
    assert "access-control-allow-credentials" not in response.headers
    assert "DPoP-Nonce" in response.headers["access-control-expose-headers"]
    assert "Origin" in response.headers["vary"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "origin",
    [EVIL, "http://127.0.0.1:8766", "https://127.0.0.1:8765", "null"],
    ids=["another host", "another port", "another scheme", "null"],
)
async def test_wrong_origin_gets_no_cors_headers(flow: Flow, origin: str) -> None:
    response = await _token_call(flow, origin)
    assert response.status_code == 200  # the server cannot stop a simple request ...
    assert not any(h.startswith("access-control-") for h in response.headers)
    assert "Origin" in response.headers["vary"]  # ... and caches keep answers apart


@SQLITE_ONLY
async def test_errors_carry_cors_for_the_right_origin(flow: Flow) -> None:
    client = await flow.register()
    form = token_form(client["client_id"], "no-such-code", "v" * 43)
    ok = await flow.token(form, headers={"Origin": RP})
    assert ok.status_code == 400 and ok.headers["access-control-allow-origin"] == RP
    bad = await flow.token(form, headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in bad.headers


@SQLITE_ONLY
async def test_authorized_origins(flow: Flow, http: httpx.AsyncClient) -> None:
    spa = "https://spa.example"
    response = await _token_call(flow, spa, authorized_origins=[spa])
    assert response.headers["access-control-allow-origin"] == spa
    bad = await http.post(
        "/jans-auth/restv1/register",
        json={"redirect_uris": ["https://a.example/cb"], "authorized_origins": ["https://a/x"]},
    )
    assert bad.status_code == 400
    assert "authorized_origins" in bad.json()["error_description"]
    http_origin = await http.post(
        "/jans-auth/restv1/register",
        json={
            "redirect_uris": ["https://a.example/cb"],
            "authorized_origins": ["http://a.example"],
        },
    )
    assert http_origin.status_code == 400


@SQLITE_ONLY
async def test_preflight_on_token(http: httpx.AsyncClient) -> None:
    response = await http.options(TOKEN, headers=_preflight(RP, headers="content-type, dpop"))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == RP
    assert response.headers["access-control-allow-methods"] == "OPTIONS, POST"
    assert response.headers["access-control-allow-headers"] == "content-type, dpop"
    assert response.headers["access-control-max-age"] == "1800"
    for refused in (
        _preflight(RP, method="DELETE"),
        _preflight(RP, headers="x-secret"),
        _preflight("null"),
    ):
        response = await http.options(TOKEN, headers=refused)
        assert "access-control-allow-origin" not in response.headers


@SQLITE_ONLY
async def test_public_endpoints_allow_any_origin(http: httpx.AsyncClient) -> None:
    for path in (
        "/jans-auth/restv1/jwks",
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ):
        response = await http.get(path, headers={"Origin": EVIL})
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
        preflight = await http.options(path, headers=_preflight(EVIL, method="GET"))
        assert preflight.headers["access-control-allow-origin"] == "*"
    registered = await http.post(
        "/jans-auth/restv1/register",
        json={"redirect_uris": ["https://a.example/cb"]},
        headers={"Origin": EVIL},
    )
    assert registered.headers["access-control-allow-origin"] == "*"


@SQLITE_ONLY
async def test_never_on_authorize(flow: Flow, http: httpx.AsyncClient) -> None:
    client = await flow.register()
    params = {"client_id": client["client_id"], "response_type": "code"}
    response = await http.get("/jans-auth/restv1/authorize", params=params, headers={"Origin": RP})
    assert not any(h.startswith("access-control-") for h in response.headers)
    preflight = await http.options(
        "/jans-auth/restv1/authorize", headers=_preflight(RP, method="GET")
    )
    assert not any(h.startswith("access-control-") for h in preflight.headers)


@SQLITE_ONLY
async def test_userinfo_is_bound_to_the_tokens_client(flow: Flow, http: httpx.AsyncClient) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    ok = await http.get("/jans-auth/restv1/userinfo", headers=headers | {"Origin": RP})
    assert ok.headers["access-control-allow-origin"] == RP
    bad = await http.get("/jans-auth/restv1/userinfo", headers=headers | {"Origin": EVIL})
    assert "access-control-allow-origin" not in bad.headers


@SQLITE_ONLY
async def test_basic_auth_client_is_recognised(flow: Flow) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    issued = await flow.code(client["client_id"])
    form = token_form(issued.client_id, issued.code, issued.verifier)
    del form["client_id"]
    response = await flow.token(
        form, auth=(client["client_id"], client["client_secret"]), headers={"Origin": RP}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == RP


@pytest.mark.parametrize("suffix", ["%00", "\x00", "%0a"])
async def test_basic_client_id_with_a_control_character_is_no_client(
    flow: Flow, http: httpx.AsyncClient, suffix: str
) -> None:
    """CORS looks the Basic client up before the endpoint runs: a client_id with a NUL is
    nobody's, not a PostgreSQL error (was a 500 on PostgreSQL)."""
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    raw = base64.b64encode(f"{client['client_id']}{suffix}:x".encode()).decode()
    response = await http.get(
        "/jans-auth/restv1/userinfo", headers={"Authorization": f"Basic {raw}", "Origin": RP}
    )
    assert response.status_code == 401, response.text
    # an error, to an origin a client registered: readable (docs/security.md#cors)
    assert response.headers["access-control-allow-origin"] == RP


@SQLITE_ONLY
async def test_filters_widen(flow: Flow, runtime: Runtime) -> None:
    await patch_config(
        runtime, corsConfigurationFilters=[FILTER | {"corsAllowedOrigins": f"{EVIL}, https://b"}]
    )
    assert (await _token_call(flow, EVIL)).headers["access-control-allow-origin"] == EVIL
    await patch_config(runtime, corsConfigurationFilters=[FILTER | {"corsAllowedOrigins": "*"}])
    assert (await _token_call(flow, "https://any.example")).headers[
        "access-control-allow-origin"
    ] == "*"


@SQLITE_ONLY
async def test_filters_narrow(flow: Flow, http: httpx.AsyncClient, runtime: Runtime) -> None:
    only = FILTER | {"corsAllowedOrigins": "https://only.example", "corsAllowClientOrigins": False}
    await patch_config(runtime, corsConfigurationFilters=[only])
    assert "access-control-allow-origin" not in (await _token_call(flow, RP)).headers
    await patch_config(runtime, corsConfigurationFilters=[FILTER | {"corsEnabled": False}])
    assert "access-control-allow-origin" not in (await _token_call(flow, RP)).headers
    jwks = await http.get("/jans-auth/restv1/jwks", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in jwks.headers
    await patch_config(runtime, corsConfigurationFilters=[])
    assert "access-control-allow-origin" not in (await _token_call(flow, RP)).headers


@SQLITE_ONLY
async def test_credentials_only_for_explicit_origins(flow: Flow, runtime: Runtime) -> None:
    listed = FILTER | {"corsAllowedOrigins": RP, "corsSupportCredentials": True}
    await patch_config(runtime, corsConfigurationFilters=[listed])
    response = await _token_call(flow, RP)
    assert response.headers["access-control-allow-origin"] == RP
    assert response.headers["access-control-allow-credentials"] == "true"
    with pytest.raises(pydantic.ValidationError, match="corsSupportCredentials"):
        AppConfiguration(
            corsConfigurationFilters=[{"corsAllowedOrigins": "*", "corsSupportCredentials": True}]
        )


@SQLITE_ONLY
async def test_server_to_server_requests_are_untouched(flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    response = await flow.token(token_form(issued.client_id, issued.code, issued.verifier))
    assert not any(h.startswith("access-control-") for h in response.headers)
    assert "vary" not in response.headers
