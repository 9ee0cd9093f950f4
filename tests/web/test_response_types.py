"""Response types code, token, id_token and their hybrid/implicit combinations (OIDC Core §3),
their default response modes, and the hashes that bind an id_token to what came with it."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.crypto.handles import handle_hash
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    SQLITE_ONLY,
    AuthorizeResult,
    FakeClock,
    Flow,
    authorization_result,
    authorize_params,
    fragment_of,
    new_verifier,
    query_of,
    s256,
    token_form,
)

USERINFO = "/jans-auth/restv1/userinfo"
ALL_TYPES = [
    "code",
    "token",
    "id_token",
    "code id_token",
    "code token",
    "id_token token",
    "code id_token token",
]


def half_hash(value: str) -> str:
    """OIDC Core §3.3.2.11, written independently of authgate's implementation."""
    digest = hashlib.sha256(value.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def id_token_claims(http: httpx.AsyncClient, id_token: str) -> dict[str, Any]:
    jwks = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    return dict(jwt.decode(id_token, jwks).claims)


def params_for(client_id: str, response_type: str, **extra: str) -> tuple[dict[str, str], str]:
    """An authorize request for ``response_type``; returns it and its PKCE verifier."""
    verifier = new_verifier(64)
    params = authorize_params(client_id, s256(verifier), "S256", response_type=response_type)
    params.update(extra)
    return params, verifier


async def get(http: httpx.AsyncClient, params: dict[str, str]) -> httpx.Response:
    return await http.get("/jans-auth/restv1/authorize?" + urlencode(params))


async def error_of(http: httpx.AsyncClient, params: dict[str, str]) -> AuthorizeResult:
    result = authorization_result(await get(http, params), [])
    assert result is not None, "expected a response to the client"
    assert "error" in result.params, result.params
    return result


@pytest.mark.parametrize("response_type", ALL_TYPES)
async def test_each_response_type(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock, response_type: str
) -> None:
    client = await flow.register()
    params, verifier = params_for(client["client_id"], response_type)
    result = await flow.browser.authorize(params)
    parts = set(response_type.split())
    got = result.params
    assert result.mode == ("query" if response_type == "code" else "fragment")
    assert result.location.startswith(REDIRECT_URI + ("?" if result.mode == "query" else "#"))
    assert got["state"] == params["state"]
    assert got["iss"] == ISSUER
    assert "refresh_token" not in got
    assert ("code" in got) == ("code" in parts)
    assert ("access_token" in got) == ("token" in parts)
    assert ("id_token" in got) == ("id_token" in parts)
    if "token" in parts:
        assert got["token_type"] == "Bearer"
        assert got["expires_in"] == "300"
        info = await http.get(USERINFO, headers={"Authorization": f"Bearer {got['access_token']}"})
        assert info.status_code == 200, info.text
    if "id_token" in parts:
        claims = await id_token_claims(http, got["id_token"])
        assert claims["iss"] == ISSUER
        assert claims["aud"] == client["client_id"]
        assert claims["nonce"] == params["nonce"]
        assert claims["auth_time"] == int(clock.now())
        assert isinstance(claims["sid"], str)
        assert claims["s_hash"] == half_hash(params["state"])
        assert claims.get("c_hash") == (half_hash(got["code"]) if "code" in parts else None)
        assert claims.get("at_hash") == (
            half_hash(got["access_token"]) if "token" in parts else None
        )
        assert claims["grant"] == ("authorization_code" if "code" in parts else "implicit")
        if "token" in parts:
            info = await http.get(
                USERINFO, headers={"Authorization": f"Bearer {got['access_token']}"}
            )
            assert info.json()["sub"] == claims["sub"]
    if "code" in parts:
        response = await flow.token(token_form(client["client_id"], got["code"], verifier))
        assert response.status_code == 200, response.text
        assert "refresh_token" in response.json()


async def test_part_order_does_not_matter(flow: Flow) -> None:
    client = await flow.register()
    params, _ = params_for(client["client_id"], "token id_token code")
    result = await flow.browser.authorize(params)
    assert {"code", "access_token", "id_token"} <= set(result.params)


@SQLITE_ONLY
@pytest.mark.parametrize(
    "response_type", ["code code", "code device", "token  id_token", "ID_TOKEN"]
)
async def test_malformed_response_type(
    http: httpx.AsyncClient, flow: Flow, response_type: str
) -> None:
    client = await flow.register(administered=True)
    params, _ = params_for(client["client_id"], response_type)
    result = await error_of(http, params)
    assert result.params["error"] == "unsupported_response_type"
    assert result.params["iss"] == ISSUER


async def test_hybrid_tokens_share_the_grant_of_the_code(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    """A replayed code revokes the access token issued next to it at authorize too."""
    client = await flow.register()
    params, verifier = params_for(client["client_id"], "code id_token token")
    got = (await flow.browser.authorize(params)).params
    form = token_form(client["client_id"], got["code"], verifier)
    assert (await flow.token(form)).status_code == 200
    replay = await flow.token(form)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    info = await http.get(USERINFO, headers={"Authorization": f"Bearer {got['access_token']}"})
    assert info.status_code == 401


async def test_front_channel_access_token_is_stored_hashed_and_expires(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    client = await flow.register()
    params, _ = params_for(client["client_id"], "token", scope="openid email")
    token = (await flow.browser.authorize(params)).params["access_token"]
    record = await runtime.services.grants.get_token(handle_hash(token))
    assert record is not None
    assert record.kind == "access_token"
    assert record.client_id == client["client_id"]
    assert record.scope == ("openid", "email")
    assert await runtime.services.grants.get_token(token) is None  # not stored in plain
    clock.advance(301)
    info = await http.get(USERINFO, headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 401
    assert info.json()["error"] == "invalid_token"


async def test_id_token_only_carries_the_scope_claims(http: httpx.AsyncClient, flow: Flow) -> None:
    """OIDC Core §5.4: no access token, so the email claims travel in the id_token."""
    client = await flow.register()
    params, _ = params_for(client["client_id"], "id_token", scope="openid email")
    claims = await id_token_claims(http, (await flow.browser.authorize(params)).params["id_token"])
    assert claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True
    assert "name" not in claims
    params, _ = params_for(client["client_id"], "id_token token", scope="openid email")
    claims = await id_token_claims(http, (await flow.browser.authorize(params)).params["id_token"])
    assert "email" not in claims  # an access token was issued: userinfo serves them


@SQLITE_ONLY
@pytest.mark.parametrize("response_type", ["id_token", "id_token token", "code id_token"])
async def test_nonce_is_required_with_an_id_token(
    http: httpx.AsyncClient, flow: Flow, response_type: str
) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])  # logged in, consented: only the nonce is missing
    params, _ = params_for(client["client_id"], response_type)
    del params["nonce"]
    result = await error_of(http, params)
    assert result.mode == "fragment"
    assert result.params["error"] == "invalid_request"
    assert "nonce" in result.params["error_description"]
    assert result.params["state"] == params["state"]
    assert result.params["iss"] == ISSUER


async def test_nonce_is_optional_for_code_token(flow: Flow) -> None:
    client = await flow.register()
    params, _ = params_for(client["client_id"], "code token")
    del params["nonce"]
    result = await flow.browser.authorize(params)
    assert {"code", "access_token"} <= set(result.params)


async def test_id_token_needs_the_openid_scope(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(administered=True)
    params, _ = params_for(client["client_id"], "id_token", scope="profile email")
    result = await error_of(http, params)
    assert result.params["error"] == "invalid_request"
    assert "openid" in result.params["error_description"]


@SQLITE_ONLY
@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token token"])
async def test_query_mode_is_refused_for_tokens(
    http: httpx.AsyncClient, flow: Flow, response_type: str
) -> None:
    client = await flow.register(administered=True)
    params, _ = params_for(client["client_id"], response_type, response_mode="query")
    response = await get(http, params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert query_of(location) == {}  # nothing in the query, the error is in the fragment
    error = fragment_of(location)
    assert error["error"] == "invalid_request"
    assert "response_mode=query" in error["error_description"]
    assert error["iss"] == ISSUER


async def test_fragment_mode_for_code_and_query_default(flow: Flow) -> None:
    client = await flow.register()
    params, verifier = params_for(client["client_id"], "code", response_mode="fragment")
    result = await flow.browser.authorize(params)
    assert result.mode == "fragment"
    response = await flow.token(token_form(client["client_id"], result.params["code"], verifier))
    assert response.status_code == 200


@SQLITE_ONLY
@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token"])
async def test_client_must_be_registered_for_the_response_type(
    http: httpx.AsyncClient, flow: Flow, response_type: str
) -> None:
    client = await flow.register(administered=True, response_types=["code"])
    assert client["response_types"] == ["code"]
    assert "implicit" not in client["grant_types"]
    params, _ = params_for(client["client_id"], response_type)
    result = await error_of(http, params)
    assert result.mode == "fragment"
    assert result.params["error"] == "unauthorized_client"


async def test_token_part_needs_the_implicit_grant(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, grantTypesAndResponseTypesAutofixEnabled=False)
    client = await flow.register(
        administered=True, response_types=["code", "token"], grant_types=["authorization_code"]
    )
    assert client["response_types"] == ["code", "token"]
    params, _ = params_for(client["client_id"], "code token")
    result = await error_of(http, params)
    assert result.params["error"] == "unauthorized_client"
    assert "implicit" in result.params["error_description"]


async def test_pkce_is_not_asked_of_responses_without_a_code(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    params, _ = params_for(client["client_id"], "id_token token")
    del params["code_challenge"], params["code_challenge_method"]
    result = await flow.browser.authorize(params)
    assert "access_token" in result.params
    params, _ = params_for(client["client_id"], "code id_token")
    del params["code_challenge"], params["code_challenge_method"]
    error = await error_of(http, params)
    assert error.params["error"] == "invalid_request"
    assert "PKCE" in error.params["error_description"]


async def test_prompt_none_errors_go_to_the_fragment(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(administered=True)
    params, _ = params_for(client["client_id"], "id_token token", prompt="none")
    result = await error_of(http, params)
    assert result.mode == "fragment"
    assert result.params["error"] == "login_required"
    assert result.params["state"] == params["state"]


async def test_consent_denied_goes_to_the_fragment(flow: Flow) -> None:
    client = await flow.register(administered=True)
    params, _ = params_for(client["client_id"], "id_token")
    result = await flow.browser.authorize(params, consent="deny")
    assert result.mode == "fragment"
    assert result.params["error"] == "access_denied"


async def test_silent_implicit_after_login(flow: Flow) -> None:
    """An SPA renewing tokens with prompt=none gets them without any page."""
    client = await flow.register()
    await flow.code(client["client_id"])
    params, _ = params_for(client["client_id"], "id_token token", prompt="none")
    result = await flow.browser.authorize(params)
    assert result.pages == []
    assert {"access_token", "id_token"} <= set(result.params)
