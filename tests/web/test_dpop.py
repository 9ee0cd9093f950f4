"""DPoP (RFC 9449) at the token endpoint: bound tokens, every proof check and its failure."""

from __future__ import annotations

import hmac
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.dpop_support import TOKEN_URL, USERINFO_URL, DPoPKey, raw_jws
from tests.support import (
    SQLITE_ONLY,
    FakeClock,
    Flow,
    IssuedCode,
    authorize_params,
    new_verifier,
    s256,
    token_form,
)

USERINFO = "/jans-auth/restv1/userinfo"


async def _code(flow: Flow, **register: Any) -> IssuedCode:
    client = await flow.register(**register)
    return await flow.code(client["client_id"])


async def _dpop_tokens(flow: Flow, key: DPoPKey, **register: Any) -> dict[str, Any]:
    issued = await _code(flow, **register)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    response = await flow.token(form, headers={"DPoP": key.proof()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json() | {"client_id": issued.client_id}
    return body


async def test_dpop_bound_tokens(flow: Flow, http: httpx.AsyncClient, clock: FakeClock) -> None:
    key = DPoPKey(now=clock.now)
    tokens = await _dpop_tokens(flow, key)
    assert tokens["token_type"] == "DPoP"
    assert "refresh_token" in tokens
    access = tokens["access_token"]
    headers = {
        "Authorization": f"DPoP {access}",
        "DPoP": key.proof("GET", USERINFO_URL, access_token=access),
    }
    response = await http.get(USERINFO, headers=headers)
    assert response.status_code == 200, response.text
    assert "sub" in response.json()


@pytest.mark.parametrize("alg", ["ES256", "PS256", "RS256", "Ed25519"])
async def test_every_advertised_alg_works(flow: Flow, clock: FakeClock, alg: str) -> None:
    tokens = await _dpop_tokens(flow, DPoPKey(alg, now=clock.now))
    assert tokens["token_type"] == "DPoP"


async def test_without_dpop_tokens_stay_bearer(flow: Flow) -> None:
    issued = await _code(flow)
    tokens = await flow.tokens(issued)
    assert tokens["token_type"] == "Bearer"


def _broken_proofs(key: DPoPKey, clock: FakeClock) -> dict[str, str]:
    other = DPoPKey(now=clock.now)
    good = key.proof()
    header, payload, signature = good.split(".")
    return {
        "wrong htu": key.proof(htu="http://127.0.0.1:8080/jans-auth/restv1/userinfo"),
        "wrong htu host": key.proof(htu="http://evil.example/jans-auth/restv1/token"),
        "wrong htm": key.proof(htm="GET"),
        "old iat": key.proof(iat=clock.now() - 61),
        "future iat": key.proof(iat=clock.now() + 61),
        "iat not a number": key.proof(claims={"iat": "now"}),
        "no jti": key.proof(drop=("jti",)),
        "no iat": key.proof(drop=("iat",)),
        "wrong typ": key.proof(header={"typ": "JWT"}),
        "no jwk": key.proof(drop=("jwk",)),
        "private jwk": key.proof(header={"jwk": key.key.as_dict(private=True)}),
        "jwk of another key": key.proof(header={"jwk": other.public_jwk}),
        "tampered payload": f"{header}.{other.proof().split('.')[1]}.{signature}",
        "bad signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "not a jwt": "not-a-jwt",
        "empty signature": f"{header}.{payload}.",
    }


BROKEN_PROOFS = list(_broken_proofs(DPoPKey(), FakeClock()))


@SQLITE_ONLY
@pytest.mark.parametrize("case", BROKEN_PROOFS)
async def test_each_broken_proof_is_refused(flow: Flow, clock: FakeClock, case: str) -> None:
    proof = _broken_proofs(DPoPKey(now=clock.now), clock)[case]
    issued = await _code(flow)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    response = await flow.token(form, headers={"DPoP": proof})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_dpop_proof"
    # the code was not spent on a bad proof
    assert (await flow.token(form)).status_code == 200


def _weak_key_proof(clock: FakeClock) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc rightly warns about 1024-bit keys
        weak = RSAKey.generate_key(1024)
    header = {"typ": "dpop+jwt", "alg": "RS256", "jwk": weak.as_dict(private=False)}
    payload = {"jti": "j", "htm": "POST", "htu": TOKEN_URL, "iat": int(clock.now())}
    return jws.serialize_compact(header, orjson.dumps(payload), weak, algorithms=["RS256"])


HOSTILE_PROOFS: dict[str, Callable[[DPoPKey, FakeClock], str | bytes]] = {
    "1024-bit RSA key": lambda _key, clock: _weak_key_proof(clock),
    "non-ASCII jti, broken htu": lambda key, _clock: key.proof(
        claims={"jti": "é" * 10, "htu": "http://[::1"}
    ),
    "boolean iat": lambda key, _clock: key.proof(claims={"iat": True}),
    "300-character jti": lambda key, _clock: key.proof(claims={"jti": "x" * 300}),
    "three junk segments": lambda _key, _clock: "a.b.c",
    "non-ASCII bytes": lambda _key, _clock: "é.é.é".encode(),
}


@SQLITE_ONLY
@pytest.mark.parametrize("case", list(HOSTILE_PROOFS))
async def test_hostile_values_are_refused_not_crashed(
    flow: Flow, clock: FakeClock, case: str
) -> None:
    proof = HOSTILE_PROOFS[case](DPoPKey(now=clock.now), clock)
    issued = await _code(flow)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    response = await flow.token(form, headers={"DPoP": proof})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_dpop_proof"


async def test_non_ascii_nonce_and_ath_are_refused(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    key = DPoPKey(now=clock.now)
    tokens = await _dpop_tokens(flow, key)
    access = tokens["access_token"]
    proof = key.proof("GET", USERINFO_URL, claims={"ath": "é" * 43})
    response = await http.get(USERINFO, headers={"Authorization": f"DPoP {access}", "DPoP": proof})
    assert response.status_code == 401
    await patch_config(runtime, dpopUseNonce=True)
    issued = await _code(flow)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    response = await flow.token(form, headers={"DPoP": key.proof(nonce="é" * 24)})
    assert response.json()["error"] == "use_dpop_nonce"


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("alg", "signature"),
    [("none", b""), ("HS256", hmac.digest(b"k" * 32, b"x", "sha256"))],
    ids=["none", "HS256"],
)
async def test_symmetric_and_none_algs_are_refused(
    flow: Flow, clock: FakeClock, alg: str, signature: bytes
) -> None:
    key = DPoPKey(now=clock.now)
    issued = await _code(flow)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    payload = {"jti": "j1", "htm": "POST", "htu": TOKEN_URL, "iat": int(clock.now())}
    header = {"typ": "dpop+jwt", "alg": alg, "jwk": key.public_jwk}
    response = await flow.token(form, headers={"DPoP": raw_jws(header, payload, signature)})
    assert response.json()["error"] == "invalid_dpop_proof"
    assert "alg" in response.json()["error_description"]


async def test_replayed_jti_is_refused(flow: Flow, clock: FakeClock) -> None:
    key = DPoPKey(now=clock.now)
    proof = key.proof(jti="the-one-jti")
    first = await _code(flow)
    form = token_form(first.client_id, first.code, first.verifier)
    assert (await flow.token(form, headers={"DPoP": proof})).status_code == 200
    second = await _code(flow)
    form = token_form(second.client_id, second.code, second.verifier)
    replay = await flow.token(form, headers={"DPoP": proof})
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_dpop_proof"
    assert "replay" in replay.json()["error_description"]
    # the same jti under another key is another proof
    other = DPoPKey(now=clock.now).proof(jti="the-one-jti")
    assert (await flow.token(form, headers={"DPoP": other})).status_code == 200


@SQLITE_ONLY
async def test_two_dpop_headers_are_refused(flow: Flow, clock: FakeClock) -> None:
    key = DPoPKey(now=clock.now)
    issued = await _code(flow)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    headers = [("DPoP", key.proof()), ("DPoP", key.proof())]
    response = await flow.token(form, headers=headers)
    assert response.json()["error"] == "invalid_dpop_proof"


async def test_htu_comparison_ignores_query_and_default_port(flow: Flow, clock: FakeClock) -> None:
    key = DPoPKey(now=clock.now)
    issued = await _code(flow)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    proof = key.proof(htu="HTTP://127.0.0.1:8080/jans-auth/restv1/token?x=1#f")
    assert (await flow.token(form, headers={"DPoP": proof})).status_code == 200


async def test_client_requiring_dpop(flow: Flow, clock: FakeClock) -> None:
    issued = await _code(flow, dpop_bound_access_tokens=True)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    response = await flow.token(form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    key = DPoPKey(now=clock.now)
    assert (await flow.token(form, headers={"DPoP": key.proof()})).json()["token_type"] == "DPoP"


async def test_server_nonce(flow: Flow, runtime: Runtime, clock: FakeClock) -> None:
    await patch_config(runtime, dpopUseNonce=True)
    key = DPoPKey(now=clock.now)
    issued = await _code(flow)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    first = await flow.token(form, headers={"DPoP": key.proof()})
    assert first.status_code == 400
    assert first.json()["error"] == "use_dpop_nonce"
    nonce = first.headers["DPoP-Nonce"]
    wrong = await flow.token(form, headers={"DPoP": key.proof(nonce="x" * 24)})
    assert wrong.json()["error"] == "use_dpop_nonce"
    ok = await flow.token(form, headers={"DPoP": key.proof(nonce=nonce)})
    assert ok.status_code == 200, ok.text
    assert ok.headers["DPoP-Nonce"]
    # a nonce outlives one window, not two (dpopNonceCacheTime = 300 s)
    clock.advance(301)
    refresh = {"grant_type": "refresh_token", "refresh_token": ok.json()["refresh_token"]}
    refresh["client_id"] = issued.client_id
    assert (await flow.token(refresh, headers={"DPoP": key.proof(nonce=nonce)})).status_code == 200
    clock.advance(300)
    stale = await flow.token(refresh, headers={"DPoP": key.proof(nonce=nonce)})
    assert stale.json()["error"] == "use_dpop_nonce"


async def test_dpop_jkt_binds_the_code(flow: Flow, clock: FakeClock) -> None:
    key, other = DPoPKey(now=clock.now), DPoPKey(now=clock.now)
    client = await flow.register()
    issued = await flow.code(client["client_id"], dpop_jkt=key.jkt)
    form = token_form(issued.client_id, issued.code, issued.verifier)
    for headers in ({}, {"DPoP": other.proof()}):
        response = await flow.token(form, headers=headers)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert "dpop_jkt" in response.json()["error_description"]
    assert (await flow.token(form, headers={"DPoP": key.proof()})).status_code == 200


@SQLITE_ONLY
async def test_malformed_dpop_jkt_is_redirected_error(flow: Flow, http: httpx.AsyncClient) -> None:
    client = await flow.register(administered=True)
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256", dpop_jkt="short")
    response = await http.get("/jans-auth/restv1/authorize", params=params)
    assert response.status_code == 302
    assert "error=invalid_request" in response.headers["location"]


async def test_dpop_jkt_can_be_required(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, dpopJktForceForAuthorizationCode=True)
    client = await flow.register(administered=True)
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    response = await http.get("/jans-auth/restv1/authorize", params=params)
    assert "error=invalid_request" in response.headers["location"]


@SQLITE_ONLY
async def test_discovery_advertises_dpop(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["dpop_signing_alg_values_supported"] == ["ES256", "PS256", "RS256", "Ed25519"]
