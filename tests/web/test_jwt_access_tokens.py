"""JWT access tokens (RFC 9068) and per-client signing algorithms (RS256, ES256, PS256)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.dpop_support import DPoPKey
from tests.support import (
    ISSUER,
    SQLITE_ONLY,
    FakeClock,
    Flow,
    flow_registration_body,
    token_form,
)

JWKS = "/jans-auth/restv1/jwks"


async def _verify(http: httpx.AsyncClient, token: str, alg: str) -> jwt.Token:
    keys = KeySet.import_key_set((await http.get(JWKS)).json())
    return jwt.decode(token, keys, algorithms=[alg])


async def _tokens(
    flow: Flow, headers: dict[str, str] | None = None, **register: Any
) -> dict[str, Any]:
    client = await flow.register(**register)
    issued = await flow.code(client["client_id"])
    response = await flow.token(
        token_form(issued.client_id, issued.code, issued.verifier), headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json() | {"client_id": client["client_id"]}
    return body


async def test_opaque_by_default(flow: Flow) -> None:
    tokens = await _tokens(flow)
    assert tokens["access_token"].count(".") == 0


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256"])
async def test_jwt_access_token_verifies_against_jwks(
    flow: Flow, http: httpx.AsyncClient, clock: FakeClock, alg: str
) -> None:
    tokens = await _tokens(flow, access_token_as_jwt=True, access_token_signing_alg=alg)
    token = await _verify(http, tokens["access_token"], alg)
    assert token.header["typ"] == "at+jwt"
    assert token.header["alg"] == alg
    assert token.header["kid"].endswith(f"_sig_{alg.lower()}")
    claims = token.claims
    now = int(clock.now())
    assert claims["iss"] == ISSUER
    assert claims["aud"] == tokens["client_id"]
    assert claims["client_id"] == tokens["client_id"]
    assert claims["exp"] == now + 300 and claims["iat"] == now and claims["nbf"] == now
    assert claims["scope"] == "openid profile email"
    assert claims["token_type"] == "Bearer"
    assert len(claims["sub"]) == 43  # pairwise, like the id_token's
    assert claims["jti"] and "auth_time" in claims and claims["acr"]
    assert "cnf" not in claims
    # the JWT is also a working bearer token at userinfo
    info = await http.get(
        "/jans-auth/restv1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.json()["sub"] == claims["sub"]


async def test_dpop_bound_jwt_has_cnf(
    flow: Flow, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    key = DPoPKey(now=clock.now)
    tokens = await _tokens(flow, {"DPoP": key.proof()}, access_token_as_jwt=True)
    claims = (await _verify(http, tokens["access_token"], "RS256")).claims
    assert claims["cnf"] == {"jkt": key.jkt}
    assert claims["token_type"] == "DPoP"


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
async def test_id_token_alg_per_client(flow: Flow, http: httpx.AsyncClient, alg: str) -> None:
    tokens = await _tokens(flow, id_token_signed_response_alg=alg)
    token = await _verify(http, tokens["id_token"], alg)
    assert token.header["typ"] == "jwt"
    assert token.claims["at_hash"]


@SQLITE_ONLY  # refused before anything is stored
@pytest.mark.parametrize("alg", ["HS256", "none", "RS512"])
@pytest.mark.parametrize("member", ["id_token_signed_response_alg", "access_token_signing_alg"])
async def test_registration_refuses_unsupported_algs(
    http: httpx.AsyncClient, member: str, alg: str
) -> None:
    response = await http.post(
        "/jans-auth/restv1/register", json=flow_registration_body() | {member: alg}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert member in response.json()["error_description"]
