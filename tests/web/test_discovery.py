"""Discovery at the three well-known paths, JWKS, and that what is advertised works."""

from __future__ import annotations

import httpx

from authgate.runtime import Runtime
from tests.support import ISSUER, KID_PATTERN


async def test_three_paths_serve_the_same_document(http: httpx.AsyncClient) -> None:
    docs = [
        (await http.get(path)).json()
        for path in (
            "/.well-known/openid-configuration",
            "/jans-auth/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
        )
    ]
    assert docs[0] == docs[1] == docs[2]


async def test_document_contents(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    base = ISSUER + "/jans-auth/restv1"
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == base + "/authorize"
    assert doc["token_endpoint"] == base + "/token"
    assert doc["registration_endpoint"] == base + "/register"
    assert doc["userinfo_endpoint"] == base + "/userinfo"
    assert doc["jwks_uri"] == base + "/jwks"
    assert doc["code_challenge_methods_supported"] == ["S256", "plain"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["response_types_supported"] == [
        "code",
        "token",
        "id_token",
        "code id_token",
        "code token",
        "id_token token",
        "code id_token token",
    ]
    assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert doc["grant_types_supported"] == [
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
    ]
    assert doc["acr_values_supported"] == ["simple_password_auth"]
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "none",
        "private_key_jwt",
    ]
    assert "client_secret_jwt" not in doc["token_endpoint_auth_methods_supported"]
    assert doc["token_endpoint_auth_signing_alg_values_supported"] == [
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
    ]
    assert doc["revocation_endpoint"] == base + "/revoke"
    assert doc["introspection_endpoint"] == base + "/introspection"
    assert "none" in doc["revocation_endpoint_auth_methods_supported"]
    assert "none" not in doc["introspection_endpoint_auth_methods_supported"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256", "ES256", "PS256"]
    assert doc["access_token_signing_alg_values_supported"] == ["RS256", "ES256", "PS256"]
    assert set(doc["scopes_supported"]) >= {"openid", "profile", "email"}
    assert "email" in doc["claims_supported"]


async def test_every_advertised_endpoint_exists(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    for key, value in doc.items():
        if key.endswith("_endpoint") or key == "jwks_uri":
            path = value.removeprefix(ISSUER)
            response = await http.options(path)
            assert response.status_code != 404, key


async def test_jwks(http: httpx.AsyncClient, runtime: Runtime) -> None:
    response = await http.get("/jans-auth/restv1/jwks")
    keys = response.json()["keys"]
    assert sorted(k["alg"] for k in keys) == ["ES256", "PS256", "RS256"]
    key = next(k for k in keys if k["alg"] == "RS256")
    assert KID_PATTERN.match(key["kid"])
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert "d" not in key and "p" not in key  # public only
    assert key["kid"] == runtime.keyring.signing_kid
