"""Request objects (RFC 9101), the claims parameter (OIDC Core §5.5) and JWT introspection
responses (RFC 9701) over HTTP, on SQLite and PostgreSQL.

The request_uri tests serve request objects from a real HTTP server on 127.0.0.1
(:class:`tests.receiver.Receiver`); the outbound policy refuses loopback addresses unless
allowed, so this module's settings allow 127.0.0.1 (and only it: 127.0.0.2 stays refused).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.conftest import patch_config
from tests.lifecycle import INTROSPECTION, USERINFO, basic, bearer, confidential_tokens
from tests.receiver import Receiver, Reply
from tests.request_objects import ec_key, jwks, request_claims, rsa_key, sign
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    SQLITE_ONLY,
    FakeClock,
    Flow,
    assert_registration_refused,
    flow_registration_body,
    loopback_settings,
    new_verifier,
    query_of,
    s256,
    token_form,
)

AUTHORIZE = "/jans-auth/restv1/authorize"
PAR = "/jans-auth/restv1/par"
JWKS = "/jans-auth/restv1/jwks"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The request_uri server runs on 127.0.0.1, which the outbound policy refuses unless
    allowed."""
    return loopback_settings(database_url)


def _inner(verifier: str, **extra: Any) -> dict[str, Any]:
    return {
        "response_type": "code",
        "client_id": "",
        "scope": "openid profile email",
        "redirect_uri": REDIRECT_URI,
        "state": "st-object",
        "nonce": "n-object",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        **extra,
    }


async def _client(flow: Flow, **metadata: Any) -> dict[str, Any]:
    return await flow.register(jwks=jwks(rsa_key(), ec_key()), **metadata)


def _object(client_id: str, clock: FakeClock, verifier: str, alg: str = "RS256", **kw: Any) -> str:
    params = {**_inner(verifier, **kw.pop("params", {})), "client_id": client_id}
    key = ec_key() if alg == "ES256" else rsa_key()
    return sign(request_claims(client_id, clock.now(), params, **kw), key, alg)


async def _code_tokens(flow: Flow, client_id: str, params: dict[str, str], verifier: str) -> Any:
    result = await flow.browser.authorize(params)
    assert "code" in result.params, result.location
    assert result.params["state"] == "st-object"
    response = await flow.token(token_form(client_id, result.params["code"], verifier))
    assert response.status_code == 200, response.text
    return response.json()


async def _server_keys(http: httpx.AsyncClient) -> KeySet:
    return KeySet.import_key_set((await http.get(JWKS)).json())


async def _id_token(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, await _server_keys(http)).claims)


async def _error_page(http: httpx.AsyncClient, params: dict[str, str]) -> str:
    """The request fails on an error page (never a redirect, never a 5xx); its text."""
    response = await http.get(AUTHORIZE + "?" + urlencode(params))
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    return response.text


# --- by value and by reference --------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_by_value_through_to_tokens(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock, alg: str
) -> None:
    client = await _client(flow, request_object_signing_alg=alg)
    assert client["request_object_signing_alg"] == alg
    cid, verifier = client["client_id"], new_verifier()
    request = _object(cid, clock, verifier, alg)
    tokens = await _code_tokens(
        flow, cid, {"client_id": cid, "response_type": "code", "request": request}, verifier
    )
    assert (await _id_token(http, tokens["id_token"]))["nonce"] == "n-object"


async def test_by_reference_through_to_tokens(flow: Flow, clock: FakeClock) -> None:
    client = await _client(flow)
    cid, verifier = client["client_id"], new_verifier()
    async with Receiver() as rx:
        rx.default = Reply(200, _object(cid, clock, verifier).encode(), "application/jwt")
        params = {"client_id": cid, "request_uri": rx.url("/ro.jwt")}
        tokens = await _code_tokens(flow, cid, params, verifier)
        assert [r.path for r in rx.requests] == ["/ro.jwt"]
        assert "application/oauth-authz-req+jwt" in rx.requests[0].headers["accept"]
    assert tokens["token_type"] == "Bearer"


@pytest.mark.parametrize("where", ["unreachable", "refused by the policy", "not found"])
async def test_unusable_request_uri(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock, where: str
) -> None:
    client = await _client(flow)
    async with Receiver() as rx:
        rx.default = Reply(404, b"nope")
        uri = {
            "unreachable": "http://127.0.0.1:9/ro.jwt",  # discard port: nothing listens
            "refused by the policy": f"https://127.0.0.2:{rx.port}/ro.jwt",
            "not found": rx.url("/ro.jwt"),
        }[where]
        text = await _error_page(http, {"client_id": client["client_id"], "request_uri": uri})
        if where == "refused by the policy":
            assert rx.requests == []
    assert "invalid_request_uri" in text
    assert "could not be fetched" in text


# --- the object's checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"exp": 1_700_000_000}, "has expired"),
        ({"nbf": 1_900_000_000}, "not valid yet"),
        ({"aud": "https://other.example"}, "aud must be the issuer"),
        ({"iss": "someone-else"}, "iss must be the client_id"),
    ],
    ids=["exp past", "nbf future", "wrong aud", "wrong iss"],
)
async def test_claims_of_the_object_checked(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock, kw: dict[str, Any], reason: str
) -> None:
    client = await _client(flow)
    cid = client["client_id"]
    text = await _error_page(
        http, {"client_id": cid, "request": _object(cid, clock, new_verifier(), **kw)}
    )
    assert "invalid_request_object" in text
    assert reason in text


async def test_wrong_signature(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    client = await flow.register(jwks=jwks(ec_key()))  # not the RSA key that signs
    cid = client["client_id"]
    text = await _error_page(http, {"client_id": cid, "request": _object(cid, clock, "v" * 43)})
    assert "signature is invalid" in text


async def test_replayed_jti(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    client = await _client(flow)
    cid, verifier = client["client_id"], new_verifier()
    params = {"client_id": cid, "request": _object(cid, clock, verifier)}
    await _code_tokens(flow, cid, params, verifier)
    text = await _error_page(http, params)
    assert "already used" in text


@SQLITE_ONLY
async def test_none_refused_by_default(flow: Flow, runtime: Runtime) -> None:
    response = await flow.http.post(
        "/jans-auth/restv1/register",
        json={**flow_registration_body(), "request_object_signing_alg": "none"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


async def test_unsigned_refused_when_signing_is_required(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock, runtime: Runtime
) -> None:
    client = await _client(flow, require_signed_request_object=True, administered=True)
    assert client["require_signed_request_object"] is True
    cid, verifier = client["client_id"], new_verifier()
    plain = {k: str(v) for k, v in _inner(verifier).items()} | {"client_id": cid}
    response = await http.get(AUTHORIZE + "?" + urlencode(plain))
    assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert "signed request objects" in error["error_description"]
    # and server-wide, for a client that did not ask for it
    await patch_config(runtime, requireSignedRequestObject=True)
    other = await _client(flow, administered=True)
    plain["client_id"] = other["client_id"]
    response = await http.get(AUTHORIZE + "?" + urlencode(plain))
    assert query_of(response.headers["location"])["error"] == "invalid_request"
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert discovery["require_signed_request_object"] is True


@SQLITE_ONLY
async def test_switched_off(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    await patch_config(runtime, requestParameterSupported=False, requestUriParameterSupported=False)
    client = await _client(flow)
    cid = client["client_id"]
    assert "request_not_supported" in await _error_page(http, {"client_id": cid, "request": "x"})
    text = await _error_page(http, {"client_id": cid, "request_uri": "https://rp.example/r"})
    assert "request_uri_not_supported" in text
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert discovery["request_parameter_supported"] is False
    assert discovery["request_uri_parameter_supported"] is False
    assert "request_object_signing_alg_values_supported" not in discovery


# --- PAR -----------------------------------------------------------------------------------


async def test_par_with_a_request_object(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await _client(flow, require_signed_request_object=True)
    cid, verifier = client["client_id"], new_verifier()
    pushed = await http.post(PAR, data={"client_id": cid, "request": _object(cid, clock, verifier)})
    assert pushed.status_code == 201, pushed.text
    params = {"client_id": cid, "request_uri": pushed.json()["request_uri"]}
    await _code_tokens(flow, cid, params, verifier)
    bad = await http.post(
        PAR, data={"client_id": cid, "request": _object(cid, clock, verifier, aud="x")}
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_request_object"
    plain = await http.post(
        PAR, data={k: str(v) for k, v in _inner(verifier).items()} | {"client_id": cid}
    )
    assert plain.status_code == 400
    assert plain.json()["error"] == "invalid_request"


# --- the claims parameter ------------------------------------------------------------------


async def test_essential_claim_in_the_id_token(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    cid, verifier = client["client_id"], new_verifier()
    claims = {"id_token": {"email": {"essential": True}, "phone_number": {"essential": True}}}
    params = {k: str(v) for k, v in _inner(verifier, client_id=cid).items()}
    params["claims"] = json.dumps(claims)
    tokens = await _code_tokens(flow, cid, params, verifier)
    id_token = await _id_token(http, tokens["id_token"])
    assert id_token["email"] == "alice@example.com"
    assert "phone_number" not in id_token  # the user has none: omitted, not an error
    assert "name" not in id_token  # not asked for in the id_token
    info = (await http.get(USERINFO, headers=bearer(tokens["access_token"]))).json()
    assert info["email"] == "alice@example.com"


async def test_userinfo_claim_only_at_userinfo(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await _client(flow)
    cid, verifier = client["client_id"], new_verifier()
    claims = {"userinfo": {"name": None, "email": {"value": "bob@example.com"}}}
    request = _object(cid, clock, verifier, params={"claims": claims})
    tokens = await _code_tokens(flow, cid, {"client_id": cid, "request": request}, verifier)
    id_token = await _id_token(http, tokens["id_token"])
    assert "name" not in id_token and "email" not in id_token
    info = (await http.get(USERINFO, headers=bearer(tokens["access_token"]))).json()
    assert info["name"] == "Alice Example"
    assert "email" not in info  # asked for with a value the user's is not


@pytest.mark.parametrize("claims", ["{nope", "[]", '{"id_token": {"email": 3}}'])
async def test_malformed_claims(http: httpx.AsyncClient, flow: Flow, claims: str) -> None:
    client = await flow.register(administered=True)
    params = {k: str(v) for k, v in _inner("v" * 43, client_id=client["client_id"]).items()}
    response = await http.get(AUTHORIZE + "?" + urlencode(params | {"claims": claims}))
    assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert error["error_description"].startswith("The claims parameter is not valid")


# --- JWT introspection responses -----------------------------------------------------------


async def test_jwt_introspection_response(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client, tokens = await confidential_tokens(flow, introspection_signed_response_alg="ES256")
    response = await http.post(
        INTROSPECTION,
        data={"token": tokens["access_token"]},
        headers={
            **basic(client["client_id"], client["client_secret"]),
            "Accept": "application/token-introspection+jwt",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/token-introspection+jwt"
    assert response.headers["cache-control"] == "no-store"
    decoded = jwt.decode(response.text, await _server_keys(http), algorithms=["ES256"])
    assert decoded.header["typ"] == "token-introspection+jwt"
    assert decoded.header["alg"] == "ES256"
    claims = decoded.claims
    assert (claims["iss"], claims["aud"], claims["iat"]) == (
        ISSUER,
        client["client_id"],
        int(clock.now()),
    )
    inner = claims["token_introspection"]
    assert inner["active"] is True
    assert inner["client_id"] == client["client_id"]
    # an unknown token: {"active": false}, still signed
    inactive = await http.post(
        INTROSPECTION,
        data={"token": "unknown"},
        headers={
            **basic(client["client_id"], client["client_secret"]),
            "Accept": "application/token-introspection+jwt",
        },
    )
    decoded = jwt.decode(inactive.text, await _server_keys(http), algorithms=["ES256"])
    assert decoded.claims["token_introspection"] == {"active": False}
    # without the Accept header: JSON as before
    plain = await http.post(
        INTROSPECTION,
        data={"token": tokens["access_token"]},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert plain.json()["active"] is True


@SQLITE_ONLY
async def test_discovery(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["request_parameter_supported"] is True
    assert doc["request_uri_parameter_supported"] is True
    assert doc["claims_parameter_supported"] is True
    assert doc["request_object_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert doc["require_signed_request_object"] is False
    assert doc["introspection_signing_alg_values_supported"] == ["RS256", "ES256", "PS256"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("metadata", "member"),
    [
        (
            {"request_object_signing_alg": "HS256", "jwks": jwks(rsa_key())},
            "request_object_signing_alg",
        ),
        ({"request_object_signing_alg": "RS256"}, "request_object_signing_alg"),
        ({"require_signed_request_object": True}, "require_signed_request_object"),
        ({"introspection_signed_response_alg": "HS256"}, "introspection_signed_response_alg"),
    ],
    ids=["symmetric alg", "alg without keys", "required without keys", "introspection alg"],
)
async def test_registration_refusals(
    http: httpx.AsyncClient, metadata: dict[str, Any], member: str
) -> None:
    await assert_registration_refused(http, metadata, member)


@SQLITE_ONLY
async def test_none_registrable_when_allowed(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, requestObjectNoneAlgAllowed=True)
    client = await flow.register(request_object_signing_alg="none")
    assert client["request_object_signing_alg"] == "none"
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["request_object_signing_alg_values_supported"][-1] == "none"
