"""Encrypted responses (OIDC Core §10.2, §5.3.2; JARM §2.2; RFC 9701 §5): a client that
registered ``<response>_encrypted_response_alg`` gets that response as a JWE encrypted to its
own key, the signed JWT inside (``cty: JWT``). The client decrypts with its private key here,
as a relying party would; nothing is stored when its key cannot be had."""

from __future__ import annotations

import base64
import functools
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwe, jwt
from joserfc.jwk import ECKey, Key, KeySet, RSAKey

from authgate.crypto.handles import handle_hash
from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.conftest import patch_config
from tests.lifecycle import INTROSPECTION, basic, bearer, refresh_form
from tests.receiver import Receiver, Reply
from tests.support import (
    ISSUER,
    SQLITE_ONLY,
    Flow,
    assert_registration_refused,
    authorize_params,
    flow_registration_body,
    loopback_settings,
    new_verifier,
    s256,
    token_form,
)

AUTHORIZE = "/jans-auth/restv1/authorize"
USERINFO = "/jans-auth/restv1/userinfo"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The jwks_uri receivers run on 127.0.0.1, which the outbound policy refuses unless
    allowed."""
    return loopback_settings(database_url)


@functools.cache
def rsa_key() -> RSAKey:
    """The client's RSA encryption key (generating RSA keys is slow; one serves the module)."""
    return RSAKey.generate_key(2048, parameters={"kid": "client-enc-rsa", "use": "enc"})


def ec_key(kid: str = "client-enc-ec") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid, "use": "enc"})


def jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [dict(k.as_dict(private=False)) for k in keys]}


def decrypt(token: str, key: Key) -> tuple[dict[str, Any], bytes]:
    """The JWE's protected header and plaintext, opened with the client's private key."""
    assert token.count(".") == 4, "a compact JWE has five parts"
    segment = token.split(".")[0]
    header = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    opened = jwe.decrypt_compact(token, key, algorithms=[header["alg"], header["enc"]])
    return header, opened.plaintext or b""


async def server_claims(http: httpx.AsyncClient, signed: str, alg: str = "RS256") -> Any:
    keys = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    return jwt.decode(signed, keys, algorithms=[alg]).claims


async def test_id_token_encrypted_with_rsa_oaep_256(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(
        jwks=jwks(rsa_key()),
        id_token_encrypted_response_alg="RSA-OAEP-256",
        id_token_encrypted_response_enc="A256GCM",
    )
    assert client["id_token_encrypted_response_alg"] == "RSA-OAEP-256"
    assert client["id_token_encrypted_response_enc"] == "A256GCM"
    issued = await flow.code(client["client_id"])
    tokens = await flow.tokens(issued)
    header, inner = decrypt(tokens["id_token"], rsa_key())
    assert header == {
        "alg": "RSA-OAEP-256",
        "enc": "A256GCM",
        "kid": "client-enc-rsa",
        "cty": "JWT",
    }
    claims = await server_claims(http, inner.decode())
    assert claims["aud"] == client["client_id"] and claims["iss"] == ISSUER
    assert claims["nonce"] == issued.params["nonce"]
    # the access token is not the client's to read: it stays as it was
    info = await http.get(USERINFO, headers=bearer(tokens["access_token"]))
    assert info.headers["content-type"] == "application/json"


async def test_ecdh_es_with_default_enc_and_on_refresh(http: httpx.AsyncClient, flow: Flow) -> None:
    key = ec_key()
    client = await flow.register(
        jwks=jwks(key),
        grant_types=["authorization_code", "refresh_token"],
        id_token_encrypted_response_alg="ECDH-ES+A128KW",
    )
    assert client["id_token_encrypted_response_enc"] == "A128CBC-HS256"
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    header, inner = decrypt(tokens["id_token"], key)
    assert (header["alg"], header["enc"], header["cty"]) == (
        "ECDH-ES+A128KW",
        "A128CBC-HS256",
        "JWT",
    )
    first = await server_claims(http, inner.decode())
    refreshed = await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))
    assert refreshed.status_code == 200, refreshed.text
    _, inner = decrypt(refreshed.json()["id_token"], key)
    assert (await server_claims(http, inner.decode()))["sub"] == first["sub"]


async def test_hybrid_response_carries_the_encrypted_id_token(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register(jwks=jwks(rsa_key()), id_token_encrypted_response_alg="RSA-OAEP")
    params = authorize_params(
        client["client_id"], s256(new_verifier()), "S256", response_type="code id_token"
    )
    result = await flow.browser.authorize(params)
    assert result.mode == "fragment" and result.params["code"]
    header, inner = decrypt(result.params["id_token"], rsa_key())
    assert header["alg"] == "RSA-OAEP"
    claims = await server_claims(http, inner.decode())
    assert claims["nonce"] == params["nonce"] and claims["c_hash"]


async def test_userinfo_encrypted_alone_and_signed_then_encrypted(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    key = ec_key()
    encrypted = await flow.register(jwks=jwks(key), userinfo_encrypted_response_alg="ECDH-ES")
    nested = await flow.register(
        jwks=jwks(key),
        userinfo_signed_response_alg="ES256",
        userinfo_encrypted_response_alg="ECDH-ES+A256KW",
        userinfo_encrypted_response_enc="A128GCM",
    )
    tokens = await flow.tokens(await flow.code(encrypted["client_id"], scope="openid email"))
    response = await http.get(USERINFO, headers=bearer(tokens["access_token"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/jwt"
    assert response.headers["cache-control"] == "no-store"
    header, plain = decrypt(response.text, key)
    assert "cty" not in header, "the claims themselves, not a JWT, are inside"
    claims = orjson.loads(plain)
    assert {"sub", "email", "email_verified"} == set(claims)
    tokens = await flow.tokens(await flow.code(nested["client_id"], scope="openid email"))
    response = await http.post(USERINFO, headers=bearer(tokens["access_token"]))
    header, inner = decrypt(response.text, key)
    assert (header["alg"], header["enc"], header["cty"]) == ("ECDH-ES+A256KW", "A128GCM", "JWT")
    signed = await server_claims(http, inner.decode(), "ES256")
    assert signed["iss"] == ISSUER and signed["aud"] == nested["client_id"]
    assert signed["email"] == claims["email"]


async def test_jarm_response_encrypted_and_its_code_redeems(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register(
        jwks=jwks(rsa_key()), authorization_encrypted_response_alg="RSA-OAEP-256"
    )
    verifier = new_verifier()
    params = authorize_params(client["client_id"], s256(verifier), "S256", response_mode="jwt")
    result = await flow.browser.authorize(params)
    assert result.mode == "query" and set(result.params) == {"response"}
    header, inner = decrypt(result.params["response"], rsa_key())
    assert (header["alg"], header["cty"]) == ("RSA-OAEP-256", "JWT")
    claims = await server_claims(http, inner.decode())
    assert claims["aud"] == client["client_id"] and claims["state"] == params["state"]
    tokens = await flow.token(token_form(client["client_id"], claims["code"], verifier))
    assert tokens.status_code == 200, tokens.text
    # an error is encrypted too: prompt=none without a session in a fresh browser
    http.cookies.clear()
    silent = authorize_params(
        client["client_id"], s256(new_verifier()), "S256", response_mode="jwt", prompt="none"
    )
    response = await http.get(AUTHORIZE + "?" + urlencode(silent))
    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    assert set(location.params) == {"response"}
    _, inner = decrypt(location.params["response"], rsa_key())
    error = await server_claims(http, inner.decode())
    assert error["error"] == "login_required" and error["state"] == silent["state"]


async def test_introspection_jwt_encrypted(http: httpx.AsyncClient, flow: Flow) -> None:
    key = ec_key()
    client = await flow.register(
        token_endpoint_auth_method="client_secret_basic",
        jwks=jwks(key),
        introspection_encrypted_response_alg="ECDH-ES",
        introspection_encrypted_response_enc="A256CBC-HS512",
    )
    issued = await flow.code(client["client_id"])
    credentials = basic(client["client_id"], client["client_secret"])
    tokens = await flow.token(
        token_form(client["client_id"], issued.code, issued.verifier), headers=credentials
    )
    response = await http.post(
        INTROSPECTION,
        data={"token": tokens.json()["access_token"]},
        headers={**credentials, "Accept": "application/token-introspection+jwt"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/token-introspection+jwt"
    header, inner = decrypt(response.text, key)
    assert (header["alg"], header["enc"], header["cty"]) == ("ECDH-ES", "A256CBC-HS512", "JWT")
    claims = await server_claims(http, inner.decode())
    assert claims["token_introspection"]["active"] is True
    # plain JSON is still plain JSON (RFC 9701 §4: only the JWT form is encrypted)
    plain = await http.post(
        INTROSPECTION, data={"token": tokens.json()["access_token"]}, headers=credentials
    )
    assert plain.json()["active"] is True


async def test_key_from_jwks_uri_and_a_missing_key_costs_no_code(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    """The key comes from jwks_uri. When it cannot be had the token request fails with
    invalid_request before the code is redeemed, so the same code works once it can."""
    key = ec_key("from-uri")
    async with Receiver(default=Reply(500, b"down")) as rx:
        client = await flow.register(
            jwks_uri=rx.url("/jwks.json"), id_token_encrypted_response_alg="ECDH-ES"
        )
        issued = await flow.code(client["client_id"])
        form = token_form(client["client_id"], issued.code, issued.verifier)
        failed = await flow.token(form)
        assert failed.status_code == 400
        body = failed.json()
        assert body["error"] == "invalid_request"
        assert "jwks_uri could not be read" in body["error_description"]
        # a key set with only an RSA key: none fits ECDH-ES, read again once, then refused
        rx.default = Reply.json(jwks(rsa_key()))
        runtime.services.jwks.min_refresh_interval = 0  # type: ignore[attr-defined]
        refused = await flow.token(form)
        assert refused.status_code == 400
        assert "none of its keys fits ECDH-ES" in refused.json()["error_description"]
        rx.default = Reply.json(jwks(rsa_key(), key))
        tokens = await flow.token(form)
        assert tokens.status_code == 200, tokens.text
        header, inner = decrypt(tokens.json()["id_token"], key)
        assert header["kid"] == "from-uri"
        await server_claims(http, inner.decode())


async def test_userinfo_and_introspection_without_a_key_are_refused_not_sent_readable(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    async with Receiver(default=Reply(500, b"down")) as rx:
        client = await flow.register(
            token_endpoint_auth_method="client_secret_basic",
            jwks_uri=rx.url("/jwks.json"),
            userinfo_encrypted_response_alg="RSA-OAEP",
            introspection_encrypted_response_alg="RSA-OAEP",
        )
        credentials = basic(client["client_id"], client["client_secret"])
        issued = await flow.code(client["client_id"])
        tokens = await flow.token(
            token_form(client["client_id"], issued.code, issued.verifier), headers=credentials
        )
        assert tokens.status_code == 200, tokens.text  # its id_token is not encrypted
        access_token = tokens.json()["access_token"]
        info = await http.get(USERINFO, headers=bearer(access_token))
        assert info.status_code == 400
        assert info.json() == {
            "error": "invalid_request",
            "error_description": "The UserInfo response cannot be encrypted for this client: "
            "its jwks_uri could not be read",
        }
        introspected = await http.post(
            INTROSPECTION,
            data={"token": access_token},
            headers={**credentials, "Accept": "application/token-introspection+jwt"},
        )
        assert introspected.status_code == 400
        assert introspected.json()["error"] == "invalid_request"
        assert access_token not in introspected.text


def weak_rsa_jwk() -> dict[str, Any]:
    """A 1024-bit RSA public key as a JWK, built without joserfc (which warns on import)."""
    weak = rsa.generate_private_key(65537, 1024)  # noqa: S505 - the weak key under test
    numbers = weak.public_key().public_numbers()

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"kty": "RSA", "n": b64(numbers.n), "e": b64(numbers.e), "use": "enc"}


async def test_an_rsa_key_under_2048_bits_is_refused_before_anything_is_spent(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    """RSA-OAEP with a short key fails inside the JWE library (RFC 7518 §4.2 asks for 2048
    bits): registration refuses such a jwks, and one served at jwks_uri is refused before
    the code is redeemed, never a server error after it."""
    weak = {"keys": [weak_rsa_jwk()]}
    await assert_registration_refused(
        http, {"jwks": weak, "id_token_encrypted_response_alg": "RSA-OAEP"}, "jwks"
    )
    async with Receiver(default=Reply.json(weak)) as rx:
        client = await flow.register(
            jwks_uri=rx.url("/jwks.json"), id_token_encrypted_response_alg="RSA-OAEP"
        )
        issued = await flow.code(client["client_id"])
        form = token_form(client["client_id"], issued.code, issued.verifier)
        refused = await flow.token(form)
        assert refused.status_code == 400, refused.text
        assert "at least 2048" in refused.json()["error_description"]
    stored = await runtime.services.grants.get_code(handle_hash(issued.code))
    assert stored is not None and stored.consumed_at is None, "the code was not spent"


async def test_jarm_without_a_key_shows_the_error_instead_of_redirecting(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    async with Receiver(default=Reply(404, b"")) as rx:
        client = await flow.register(
            jwks_uri=rx.url("/jwks.json"), authorization_encrypted_response_alg="ECDH-ES"
        )
        params = authorize_params(
            client["client_id"], s256(new_verifier()), "S256", response_mode="jwt"
        )
        response = await http.get(AUTHORIZE + "?" + urlencode(params))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "authorization response cannot be encrypted" in response.text


@pytest.mark.parametrize(
    ("metadata", "member"),
    [
        ({"id_token_encrypted_response_enc": "A128GCM"}, "id_token_encrypted_response_enc"),
        ({"id_token_encrypted_response_alg": "RSA-OAEP"}, "id_token_encrypted_response_alg"),
        (
            {"id_token_encrypted_response_alg": "RSA1_5", "jwks": "rsa"},
            "id_token_encrypted_response_alg",
        ),
        (
            {"userinfo_encrypted_response_alg": "dir", "jwks": "rsa"},
            "userinfo_encrypted_response_alg",
        ),
        (
            {"userinfo_encrypted_response_alg": "A128KW", "jwks": "rsa"},
            "userinfo_encrypted_response_alg",
        ),
        (
            {
                "userinfo_encrypted_response_alg": "RSA-OAEP",
                "userinfo_encrypted_response_enc": "A128CTR",
                "jwks": "rsa",
            },
            "userinfo_encrypted_response_enc",
        ),
        (
            {"authorization_encrypted_response_alg": "ECDH-ES", "jwks": "rsa"},
            "authorization_encrypted_response_alg",
        ),
        (
            {"introspection_encrypted_response_alg": "RSA-OAEP", "jwks": "ec"},
            "introspection_encrypted_response_alg",
        ),
        (
            {"id_token_encrypted_response_alg": "RSA-OAEP", "jwks": "rsa-sig"},
            "id_token_encrypted_response_alg",
        ),
        (
            {"request_object_encryption_alg": "RSA-OAEP", "jwks": "rsa"},
            "request_object_encryption_alg",
        ),
        ({"request_object_encryption_enc": "A128GCM"}, "request_object_encryption_enc"),
    ],
    ids=[
        "enc-without-alg",
        "no-keys",
        "rsa1_5",
        "dir",
        "a128kw",
        "unknown-enc",
        "ec-alg-rsa-key",
        "rsa-alg-ec-key",
        "signing-key-only",
        "request-object",
        "request-object-enc",
    ],
)
async def test_registration_refusals(
    http: httpx.AsyncClient, metadata: dict[str, Any], member: str
) -> None:
    keys = {
        "rsa": jwks(rsa_key()),
        "ec": jwks(ec_key()),
        "rsa-sig": {"keys": [{**jwks(rsa_key())["keys"][0], "use": "sig"}]},
    }
    if "jwks" in metadata:
        metadata = {**metadata, "jwks": keys[metadata["jwks"]]}
    await assert_registration_refused(http, metadata, member)


async def test_a_jwks_of_encryption_keys_only(http: httpx.AsyncClient) -> None:
    """Enough to encrypt to, not to verify the client's signatures with."""
    keys = jwks(ec_key())
    body = {**flow_registration_body(), "jwks": keys, "id_token_encrypted_response_alg": "ECDH-ES"}
    created = await http.post("/jans-auth/restv1/register", json=body)
    assert created.status_code == 201, created.text
    for member in (
        {"request_object_signing_alg": "ES256"},
        {"require_signed_request_object": True},
    ):
        await assert_registration_refused(http, {"jwks": keys, **member}, next(iter(member)))
    await assert_registration_refused(
        http, {"jwks": keys, "token_endpoint_auth_method": "private_key_jwt"}, "jwks"
    )


async def test_configuration_narrows_what_clients_may_choose(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(
        runtime,
        idTokenEncryptionAlgValuesSupported=[],
        userInfoEncryptionEncValuesSupported=["A256GCM"],
    )
    await assert_registration_refused(
        http,
        {"jwks": jwks(rsa_key()), "id_token_encrypted_response_alg": "RSA-OAEP"},
        "id_token_encrypted_response_alg",
    )
    # the default enc (A128CBC-HS256) is no longer offered for UserInfo
    await assert_registration_refused(
        http,
        {"jwks": jwks(rsa_key()), "userinfo_encrypted_response_alg": "RSA-OAEP"},
        "userinfo_encrypted_response_enc",
    )
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert "id_token_encryption_alg_values_supported" not in doc
    assert doc["userinfo_encryption_enc_values_supported"] == ["A256GCM"]


@SQLITE_ONLY
async def test_discovery_lists_the_algorithms(http: httpx.AsyncClient, runtime: Runtime) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    algs = ["RSA-OAEP", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"]
    encs = ["A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM"]
    for response in ("id_token", "userinfo", "authorization", "introspection"):
        assert doc[f"{response}_encryption_alg_values_supported"] == algs
        assert doc[f"{response}_encryption_enc_values_supported"] == encs
    assert "request_object_encryption_alg_values_supported" not in doc
    # no JWT response mode, no JARM encryption to list
    await patch_config(runtime, responseModesSupported=["query", "fragment", "form_post"])
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert "authorization_encryption_alg_values_supported" not in doc
    assert doc["id_token_encryption_alg_values_supported"] == algs
