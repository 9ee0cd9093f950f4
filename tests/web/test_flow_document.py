"""The flow document (docs/janssen-compatibility.md §1.1) replayed literally against authgate,
for each PKCE method."""

from __future__ import annotations

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.core.tokens.id_token import half_hash
from tests.support import (
    ISSUER,
    KID_PATTERN,
    REDIRECT_URI,
    Browser,
    FakeClock,
    authorize_params,
    flow_registration_body,
    new_verifier,
    s256,
    token_form,
)


@pytest.mark.parametrize(
    ("method", "transform"),
    [("s256", s256), ("S256", s256), ("plain", lambda v: v)],
)
async def test_flow_document_end_to_end(
    http: httpx.AsyncClient, browser: Browser, clock: FakeClock, method: str, transform: object
) -> None:
    # 1. verifier and challenge, as the document's shell commands produce them
    verifier = new_verifier(128)
    challenge = transform(verifier)  # type: ignore[operator]

    # 2. register the document's client
    registered = await http.post("/jans-auth/restv1/register", json=flow_registration_body())
    assert registered.status_code == 201, registered.text
    client = registered.json()
    client_id = client["client_id"]

    # 3. authorize in the "browser": login page, consent page, redirect with code
    params = authorize_params(client_id, challenge, method)
    result = await browser.authorize(params)
    assert result.pages == ["login", "consent"]
    assert result.location.startswith(REDIRECT_URI + "?")
    assert result.params["state"] == params["state"]
    assert result.params["iss"] == ISSUER
    code = result.params["code"]

    # 4. the token request exactly as the document shows it (no client secret)
    response = await http.post(
        "/jans-auth/restv1/token", data=token_form(client_id, code, verifier)
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert set(tokens) == {"access_token", "refresh_token", "id_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 300  # the test clock does not move: nothing elapsed

    # the id_token verifies against the JWKS with a standard JOSE library
    jwks = (await http.get("/jans-auth/restv1/jwks")).json()
    token = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks))
    assert token.header["typ"] == "jwt"
    assert token.header["alg"] == "RS256"
    assert KID_PATTERN.match(token.header["kid"])
    claims = token.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == client_id
    assert claims["nonce"] == params["nonce"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["c_hash"] == half_hash(code)
    assert claims["at_hash"] == half_hash(tokens["access_token"])
    assert claims["grant"] == "authorization_code"
    assert claims["jansOpenIDConnectVersion"] == "openidconnect-1.0"
    for name in ("auth_time", "sid", "sub", "acr", "amr"):
        assert name in claims

    # userinfo answers for the access token, with the same subject
    info = await http.get(
        "/jans-auth/restv1/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["email"] == "alice@example.com"
