"""private_key_jwt client authentication (RFC 7523, OIDC Core §9): registration of keys,
assertion checks (signature, alg, aud, exp/iat/nbf, single-use jti), jwks_uri fetching."""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.fuzz.jose import FuzzKey
from tests.lifecycle import INTROSPECTION, REGISTER, REVOKE, TOKEN, refresh_form
from tests.receiver import Receiver, Reply
from tests.support import ISSUER, SQLITE_ONLY, FakeClock, Flow, loopback_settings, token_form

TOKEN_URL = ISSUER + TOKEN
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The receivers run on 127.0.0.1, which the outbound policy refuses unless allowed."""
    return loopback_settings(database_url)


def ec_key(kid: str = "k1") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid})


@functools.cache
def rsa_key() -> RSAKey:
    """One RSA key for the module: generating RSA-2048 keys is slow, and reuse is harmless."""
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})


def jwks(*keys: ECKey | RSAKey) -> dict[str, Any]:
    return {"keys": [dict(k.as_dict(private=False)) for k in keys]}


def assertion(
    key: ECKey | RSAKey | OctKey,
    client_id: str,
    now: float,
    *,
    alg: str = "ES256",
    aud: Any = TOKEN_URL,
    exp_in: float | None = 60,
    drop: tuple[str, ...] = (),
    header: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    body: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "jti": str(uuid.uuid4()),
        "iat": int(now),
    }
    if exp_in is not None:
        body["exp"] = int(now + exp_in)
    body |= claims
    for name in drop:
        body.pop(name, None)
    head = {"alg": alg, **({"kid": key.kid} if key.kid else {}), **(header or {})}
    return jwt.encode(head, body, key, algorithms=[alg])


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()


def auth(value: str) -> dict[str, str]:
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": value}


async def _register(flow: Flow, **metadata: Any) -> dict[str, Any]:
    return await flow.register(token_endpoint_auth_method="private_key_jwt", **metadata)


async def _code_form(flow: Flow, client_id: str) -> dict[str, str]:
    issued = await flow.code(client_id)
    form = token_form(client_id, issued.code, issued.verifier)
    del form["client_id"]
    return form


async def test_register_and_authenticate(flow: Flow, clock: FakeClock) -> None:
    key = ec_key()
    client = await _register(flow, jwks=jwks(key), token_endpoint_auth_signing_alg="ES256")
    assert "client_secret" not in client
    assert "client_secret_expires_at" not in client
    assert client["jwks"] == jwks(key)
    assert client["token_endpoint_auth_signing_alg"] == "ES256"
    form = await _code_form(flow, client["client_id"])
    response = await flow.token(form | auth(assertion(key, client["client_id"], clock.now())))
    assert response.status_code == 200, response.text
    refresh = refresh_form(client["client_id"], response.json()["refresh_token"])
    again = await flow.token(refresh | auth(assertion(key, client["client_id"], clock.now())))
    assert again.status_code == 200, again.text


@pytest.mark.parametrize(
    "aud",
    [ISSUER, TOKEN_URL, [ISSUER, "https://other.example"]],
    ids=["issuer", "token endpoint", "list with the issuer"],
)
async def test_rsa_key_and_audiences(flow: Flow, clock: FakeClock, aud: Any) -> None:
    key = rsa_key()
    client = await _register(flow, jwks=jwks(key))
    cid = client["client_id"]
    form = await _code_form(flow, cid)
    value = assertion(key, cid, clock.now(), alg="PS256", aud=aud)
    response = await flow.token(form | auth(value))
    assert response.status_code == 200, response.text


async def test_replayed_assertion_is_refused(flow: Flow, clock: FakeClock) -> None:
    key = ec_key()
    client = await _register(flow, jwks=jwks(key))
    value = assertion(key, client["client_id"], clock.now())
    first = await flow.token(await _code_form(flow, client["client_id"]) | auth(value))
    assert first.status_code == 200
    replay = await flow.token(await _code_form(flow, client["client_id"]) | auth(value))
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"
    assert "already used" in replay.json()["error_description"]


BAD_ASSERTIONS: list[tuple[str, dict[str, Any], str]] = [
    ("wrong audience", {"aud": "https://evil.example/token"}, "aud"),
    ("audience list without us", {"aud": ["https://a.example"]}, "aud"),
    ("expired", {"exp_in": -31}, "expired"),
    ("exp too far ahead", {"exp_in": 3600}, "ahead"),
    ("no exp", {"exp_in": None}, "no exp"),
    ("no jti", {"drop": ("jti",)}, "no jti"),
    ("iat in the future", {"iat": 1_800_000_000 + 120}, "iat"),
    ("nbf in the future", {"nbf": 1_800_000_000 + 120}, "nbf"),
    ("exp not a number", {"exp": "soon", "exp_in": None}, "exp must be a number"),
    ("exp not finite", {"exp": float("inf"), "exp_in": None}, "exp must be a number"),
    ("iss differs from sub", {"sub": "someone-else"}, "iss and sub"),
    ("alg not registered", {"alg": "ES384"}, "alg"),
    ("unknown kid", {"header": {"kid": "nope"}}, "signature"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("case", "change", "needle"), BAD_ASSERTIONS, ids=[c[0] for c in BAD_ASSERTIONS]
)
async def test_bad_assertions(
    flow: Flow, clock: FakeClock, case: str, change: dict[str, Any], needle: str
) -> None:
    key = ec_key()
    other = ECKey.generate_key("P-384", parameters={"kid": "k1"})
    client = await _register(flow, jwks=jwks(key), token_endpoint_auth_signing_alg="ES256")
    signer = other if change.get("alg") == "ES384" else key
    value = assertion(signer, client["client_id"], clock.now(), **change)
    response = await flow.token(await _code_form(flow, client["client_id"]) | auth(value))
    assert response.status_code == 401, (case, response.text)
    assert response.json()["error"] == "invalid_client"
    assert needle in response.json()["error_description"], response.json()


@pytest.mark.parametrize("backend", ["sqlite"])  # the JWS header alone; no storage involved
@pytest.mark.parametrize("crit", [1, "exp", [1], {"a": 1}, ["unknown"]])
async def test_assertion_with_an_odd_crit_header_is_401(
    flow: Flow, clock: FakeClock, crit: Any
) -> None:
    """A correctly signed assertion whose ``crit`` header is not a list of names (was a 500)."""
    key = FuzzKey("k1")
    client = await _register(flow, jwks={"keys": [key.public_jwk]})
    cid = client["client_id"]
    claims = {"iss": cid, "sub": cid, "aud": TOKEN_URL, "jti": str(uuid.uuid4()),
              "iat": int(clock.now()), "exp": int(clock.now()) + 60}  # fmt: skip
    value = key.sign({"alg": "ES256", "kid": "k1", "crit": crit}, claims)
    response = await flow.token(await _code_form(flow, cid) | auth(value))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


def _unsigned(cid: str, now: float) -> str:
    claims = {"iss": cid, "sub": cid, "aud": TOKEN_URL, "jti": "j", "exp": now + 60}
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}."


WRONG_SIGNERS: dict[str, Callable[[str, float], str]] = {
    # same kid as the registered key, another key
    "impostor key": lambda cid, now: assertion(ec_key(), cid, now),
    "HS256": lambda cid, now: assertion(OctKey.generate_key(256), cid, now, alg="HS256"),
    "none": _unsigned,
}


@SQLITE_ONLY
@pytest.mark.parametrize("signer", list(WRONG_SIGNERS))
async def test_wrong_key_symmetric_and_none_algs(flow: Flow, clock: FakeClock, signer: str) -> None:
    client = await _register(flow, jwks=jwks(ec_key()))
    cid = client["client_id"]
    value = WRONG_SIGNERS[signer](cid, clock.now())
    response = await flow.token(await _code_form(flow, cid) | auth(value))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


@SQLITE_ONLY
async def test_malformed_requests(flow: Flow, clock: FakeClock) -> None:
    key = ec_key()
    client = await _register(flow, jwks=jwks(key))
    cid = client["client_id"]
    form = await _code_form(flow, cid)
    value = assertion(key, cid, clock.now())
    only_assertion = await flow.token(form | {"client_assertion": value})
    assert only_assertion.status_code == 400
    assert only_assertion.json()["error"] == "invalid_request"
    wrong_type = await flow.token(
        form | {"client_assertion_type": "urn:example:saml", "client_assertion": value}
    )
    assert wrong_type.status_code == 401
    with_secret = await flow.token(form | auth(value) | {"client_secret": "x"})
    assert with_secret.status_code == 400
    other_id = await flow.token(form | auth(value) | {"client_id": "someone-else"})
    assert other_id.status_code == 401
    garbage = await flow.token(form | auth("not.a.jwt"))
    assert garbage.status_code == 401
    # none of these burnt the code: the right assertion still redeems it
    assert (await flow.token(form | auth(value))).status_code == 200


@SQLITE_ONLY
async def test_client_without_the_method_cannot_use_assertions(
    flow: Flow, clock: FakeClock
) -> None:
    key = ec_key()
    client = await flow.register(token_endpoint_auth_method="client_secret_basic", jwks=jwks(key))
    value = assertion(key, client["client_id"], clock.now())
    response = await flow.token(await _code_form(flow, client["client_id"]) | auth(value))
    assert response.status_code == 401
    assert "not registered for private_key_jwt" in response.json()["error_description"]


async def test_jwks_uri_fetched_cached_and_refetched_for_new_kid(
    flow: Flow, clock: FakeClock, runtime: Runtime
) -> None:
    first, second = ec_key("k1"), ec_key("k2")
    async with Receiver(default=Reply.json(jwks(first))) as rx:
        client = await _register(flow, jwks_uri=rx.url("/jwks.json"))
        assert client["jwks_uri"] == rx.url("/jwks.json")
        cid = client["client_id"]
        for _ in range(2):
            value = assertion(first, cid, clock.now())
            assert (await flow.token(await _code_form(flow, cid) | auth(value))).status_code == 200
        assert len(rx.requests) == 1  # cached
        assert rx.requests[0].method == "GET"
        # the client rotates to a new key: an unknown kid makes the server refetch once
        rx.default = Reply.json(jwks(second))
        runtime.services.jwks.min_refresh_interval = 0  # type: ignore[attr-defined]
        value = assertion(second, cid, clock.now())
        assert (await flow.token(await _code_form(flow, cid) | auth(value))).status_code == 200
        assert len(rx.requests) == 2
    # the host is gone; the cached set still serves
    value = assertion(second, cid, clock.now())
    assert (await flow.token(await _code_form(flow, cid) | auth(value))).status_code == 200


async def test_unreachable_or_broken_jwks_uri(flow: Flow, clock: FakeClock) -> None:
    key = ec_key()
    async with Receiver(default=Reply(500, b"oops")) as rx:
        broken = await _register(flow, jwks_uri=rx.url("/jwks"))
        value = assertion(key, broken["client_id"], clock.now())
        response = await flow.token(await _code_form(flow, broken["client_id"]) | auth(value))
        assert response.status_code == 401
        assert "jwks_uri could not be read" in response.json()["error_description"]
        rx.default = Reply.json({"not": "a jwks"})
        value = assertion(key, broken["client_id"], clock.now())
        response = await flow.token(await _code_form(flow, broken["client_id"]) | auth(value))
        assert response.status_code == 401


async def test_introspection_and_revocation_with_assertions(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    key = ec_key()
    client = await _register(flow, jwks=jwks(key))
    cid = client["client_id"]
    form = await _code_form(flow, cid)
    tokens = (await flow.token(form | auth(assertion(key, cid, clock.now())))).json()
    value = assertion(key, cid, clock.now(), aud=ISSUER + INTROSPECTION)
    response = await http.post(INTROSPECTION, data={"token": tokens["access_token"]} | auth(value))
    assert response.json()["active"] is True
    value = assertion(key, cid, clock.now(), aud=ISSUER)
    revoked = await http.post(REVOKE, data={"token": tokens["refresh_token"]} | auth(value))
    assert revoked.status_code == 200
    value = assertion(key, cid, clock.now(), aud=ISSUER)
    response = await http.post(INTROSPECTION, data={"token": tokens["access_token"]} | auth(value))
    assert response.json() == {"active": False}


def _with_private(key: ECKey) -> dict[str, Any]:
    return {"keys": [dict(key.as_dict(private=True))]}


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("metadata", "needle"),
    [
        ({"jwks": {"keys": []}, "jwks_uri": "https://app.example/jwks"}, "must not both"),
        ({"jwks": {"keys": "x"}}, "JWK Set"),
        ({"jwks": {"keys": []}}, "no RSA or EC signing key"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "public keys only"),
        ({"jwks_uri": "http://app.example/jwks"}, "loopback"),
        ({"jwks_uri": "ftp://app.example/jwks"}, "https"),
        ({"jwks_uri": "https://app.example/jwks#x"}, "fragment"),
        ({"token_endpoint_auth_signing_alg": "HS256"}, "token_endpoint_auth_signing_alg"),
        ({"token_endpoint_auth_signing_alg": "none"}, "token_endpoint_auth_signing_alg"),
    ],
)
async def test_key_metadata_is_validated(
    http: httpx.AsyncClient, metadata: dict[str, Any], needle: str
) -> None:
    body = {
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": jwks(ec_key()),
        **metadata,
    }
    if "jwks_uri" in metadata and "jwks" not in metadata:
        del body["jwks"]
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert needle in response.json()["error_description"]


@SQLITE_ONLY
async def test_private_key_in_jwks_is_refused(http: httpx.AsyncClient) -> None:
    body = {
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": _with_private(ec_key()),
    }
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 400
    assert "public keys only" in response.json()["error_description"]
