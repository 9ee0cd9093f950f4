"""Discovery: the document's content from :func:`authgate.core.discovery.document` as a
function; over HTTP, the three well-known paths, their headers, and the JWKS.

The HTTP tests run on SQLite only: the routes serve what the runtime holds in memory (its
configuration, scopes and keys), and the database plays no part beyond the bootstrap, which
every other web test runs on both databases.
"""

from __future__ import annotations

import httpx

from authgate.appconfig import AppConfiguration
from authgate.core import discovery
from authgate.crypto.rotation import JWKS_MAX_AGE
from authgate.runtime import STANDARD_SCOPES, Runtime
from tests.support import ISSUER, KID_PATTERN, SQLITE_ONLY

PATHS = (
    "/.well-known/openid-configuration",
    "/jans-auth/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
)
ALL_ALGS = ("RS256", "ES256", "PS256")


def test_document_contents() -> None:
    doc = discovery.document(ISSUER, AppConfiguration(), list(STANDARD_SCOPES), ALL_ALGS)
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
    assert doc["response_modes_supported"] == [
        "query",
        "fragment",
        "form_post",
        "query.jwt",
        "fragment.jwt",
        "form_post.jwt",
        "jwt",
    ]
    assert doc["grant_types_supported"] == [
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
    ]
    assert doc["device_authorization_endpoint"] == base + "/device_authorization"
    assert doc["acr_values_supported"] == ["simple_password_auth", "mfa", "phr", "phrh"]
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


@SQLITE_ONLY
async def test_three_paths_serve_the_runtimes_document(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    svc = runtime.services
    expected = discovery.document(
        ISSUER, svc.config.current, await svc.scopes.all(), runtime.keyring.algorithms
    )
    assert expected["id_token_signing_alg_values_supported"] == list(ALL_ALGS)
    for path in PATHS:
        response = await http.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["cache-control"] == f"public, max-age={JWKS_MAX_AGE}"
        assert response.json() == expected, path


@SQLITE_ONLY
async def test_every_advertised_endpoint_exists(http: httpx.AsyncClient) -> None:
    doc = (await http.get(PATHS[0])).json()
    advertised = {k: v for k, v in doc.items() if k.endswith("_endpoint") or k == "jwks_uri"}
    assert len(advertised) >= 9
    for key, value in advertised.items():
        path = value.removeprefix(ISSUER)
        response = await http.options(path)
        assert response.status_code != 404, key


@SQLITE_ONLY
async def test_jwks(http: httpx.AsyncClient, runtime: Runtime) -> None:
    response = await http.get("/jans-auth/restv1/jwks")
    assert response.headers["cache-control"] == f"public, max-age={JWKS_MAX_AGE}"
    keys = response.json()["keys"]
    assert sorted(k["alg"] for k in keys) == ["ES256", "PS256", "RS256"]
    key = next(k for k in keys if k["alg"] == "RS256")
    assert KID_PATTERN.match(key["kid"])
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert "d" not in key and "p" not in key  # public only
    assert key["kid"] == runtime.keyring.signing_kid
