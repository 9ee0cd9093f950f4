"""JWT-secured authorization responses (JARM): ``response_mode`` ``jwt``, ``query.jwt``,
``fragment.jwt`` and ``form_post.jwt``. The response carries one parameter, ``response``,
a JWT signed by the server's key for the client's algorithm whose claims are ``iss``, ``aud``,
``exp`` and every parameter of the success or error response; the code it carries redeems."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import UnsupportedAlgorithmError
from joserfc.jwk import KeySet

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    SQLITE_ONLY,
    FakeClock,
    Flow,
    assert_registration_refused,
    authorize_params,
    fragment_of,
    hidden_form,
    new_verifier,
    query_of,
    s256,
    token_form,
)

AUTHORIZE = "/jans-auth/restv1/authorize"
JWKS = "/jans-auth/restv1/jwks"


async def _decoded(http: httpx.AsyncClient, response: str, alg: str = "RS256") -> Any:
    keys = KeySet.import_key_set((await http.get(JWKS)).json())
    return jwt.decode(response, keys, algorithms=[alg])


def _params(client_id: str, verifier: str, **extra: str) -> dict[str, str]:
    return authorize_params(client_id, s256(verifier), "S256", **extra)


def _check_claims(claims: dict[str, Any], client_id: str, clock: FakeClock) -> None:
    assert claims["iss"] == ISSUER
    assert claims["aud"] == client_id
    assert claims["exp"] == int(clock.now()) + 600


async def test_jwt_mode_signs_a_code_response_in_the_query_and_the_code_redeems(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    verifier = new_verifier()
    params = _params(client["client_id"], verifier, response_mode="jwt")
    result = await flow.browser.authorize(params)
    # response_mode=jwt is query.jwt for response_type=code (JARM §2.3.4)
    assert result.mode == "query"
    assert urlsplit(result.location)._replace(query="").geturl() == REDIRECT_URI
    assert set(result.params) == {"response"}, "nothing beside the JWT, not even iss"
    decoded = await _decoded(http, result.params["response"])
    assert decoded.header["alg"] == "RS256"
    assert decoded.header["kid"]
    claims = dict(decoded.claims)
    _check_claims(claims, client["client_id"], clock)
    assert claims["state"] == params["state"]
    assert set(claims) == {"iss", "aud", "exp", "code", "state", "scope"}
    tokens = await flow.token(token_form(client["client_id"], claims["code"], verifier))
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["id_token"]


async def test_fragment_jwt_carries_a_hybrid_response(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    params = _params(
        client["client_id"],
        new_verifier(),
        response_type="code id_token",
        response_mode="jwt",
    )
    result = await flow.browser.authorize(params)
    assert result.mode == "fragment"
    assert set(result.params) == {"response"}
    claims = dict((await _decoded(http, result.params["response"])).claims)
    _check_claims(claims, client["client_id"], clock)
    assert {"code", "id_token", "state"} <= set(claims)
    id_token = dict((await _decoded(http, claims["id_token"])).claims)
    assert id_token["nonce"] == params["nonce"]


@SQLITE_ONLY
async def test_form_post_jwt_posts_only_the_response(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    params = _params(client["client_id"], new_verifier(), response_mode="form_post.jwt")
    result = await flow.browser.authorize(params)
    assert result.mode == "form_post"
    assert result.location == REDIRECT_URI
    assert set(result.params) == {"response"}
    claims = dict((await _decoded(http, result.params["response"])).claims)
    _check_claims(claims, client["client_id"], clock)
    assert claims["state"] == params["state"] and claims["code"]
    # silent SSO: the page comes straight from the authorization endpoint, with its CSP
    again = _params(client["client_id"], new_verifier(), response_mode="form_post.jwt")
    page = await http.get(AUTHORIZE + "?" + urlencode(again))
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    action, fields = hidden_form(page.text)
    assert action == REDIRECT_URI and set(fields) == {"response"}


@SQLITE_ONLY
async def test_fragment_jwt_for_a_code_response(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    params = _params(client["client_id"], new_verifier(), response_mode="fragment.jwt")
    result = await flow.browser.authorize(params)
    assert result.mode == "fragment" and set(result.params) == {"response"}
    assert "code" in dict((await _decoded(http, result.params["response"])).claims)


@SQLITE_ONLY
@pytest.mark.parametrize("alg", ["ES256", "PS256"])
async def test_the_clients_registered_algorithm_signs(
    http: httpx.AsyncClient, flow: Flow, alg: str
) -> None:
    client = await flow.register(authorization_signed_response_alg=alg)
    assert client["authorization_signed_response_alg"] == alg
    params = _params(client["client_id"], new_verifier(), response_mode="query.jwt")
    result = await flow.browser.authorize(params)
    decoded = await _decoded(http, result.params["response"], alg)
    assert decoded.header["alg"] == alg
    with pytest.raises(UnsupportedAlgorithmError):
        await _decoded(http, result.params["response"], "RS256")


async def test_errors_are_signed_too(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    """An error redirected to the client travels as a JWT in the requested mode (JARM §2.4):
    one found by validation, and one decided later (prompt=none without a session)."""
    client = await flow.register(administered=True)
    for change, error in [
        ({"code_challenge_method": "S512"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ]:
        params = _params(client["client_id"], new_verifier(), response_mode="jwt") | change
        response = await http.get(AUTHORIZE + "?" + urlencode(params))
        assert response.status_code == 302, response.text
        sent = query_of(response.headers["location"])
        assert set(sent) == {"response"}, sent
        claims = dict((await _decoded(http, sent["response"])).claims)
        _check_claims(claims, client["client_id"], clock)
        assert claims["error"] == error
        assert claims["error_description"]
        assert claims["state"] == params["state"]


@SQLITE_ONLY
async def test_an_error_in_fragment_jwt(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(administered=True)
    params = _params(client["client_id"], new_verifier(), response_mode="fragment.jwt")
    params["prompt"] = "none"
    response = await http.get(AUTHORIZE + "?" + urlencode(params))
    sent = fragment_of(response.headers["location"])
    assert set(sent) == {"response"}
    assert dict((await _decoded(http, sent["response"])).claims)["error"] == "login_required"


@SQLITE_ONLY
async def test_query_jwt_cannot_carry_tokens(http: httpx.AsyncClient, flow: Flow) -> None:
    """Tokens stay out of the query (JARM §2.3.1 allows them there only encrypted; authgate
    refuses even then): the request is refused in the response type's default mode, the
    fragment."""
    client = await flow.register(administered=True)
    params = _params(
        client["client_id"],
        new_verifier(),
        response_type="code id_token",
        response_mode="query.jwt",
    )
    response = await http.get(AUTHORIZE + "?" + urlencode(params))
    assert response.status_code == 302
    error = fragment_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert "query.jwt" in error["error_description"]


@SQLITE_ONLY
async def test_modes_switched_off_are_refused(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, responseModesSupported=["query", "fragment", "form_post"])
    client = await flow.register(administered=True)
    params = _params(client["client_id"], new_verifier(), response_mode="jwt")
    response = await http.get(AUTHORIZE + "?" + urlencode(params))
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert error["error_description"] == "response_mode 'jwt' is not supported"
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert "authorization_signing_alg_values_supported" not in doc


@SQLITE_ONLY
async def test_a_pushed_request_keeps_its_jwt_mode(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    verifier = new_verifier()
    pushed = await http.post(
        "/jans-auth/restv1/par",
        data=_params(client["client_id"], verifier, response_mode="jwt"),
    )
    assert pushed.status_code == 201, pushed.text
    result = await flow.browser.authorize(
        {"client_id": client["client_id"], "request_uri": pushed.json()["request_uri"]}
    )
    claims = dict((await _decoded(http, result.params["response"])).claims)
    _check_claims(claims, client["client_id"], clock)
    tokens = await flow.token(token_form(client["client_id"], claims["code"], verifier))
    assert tokens.status_code == 200, tokens.text


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("metadata", "member"),
    [
        ({"authorization_signed_response_alg": "HS256"}, "authorization_signed_response_alg"),
        ({"authorization_signed_response_alg": "none"}, "authorization_signed_response_alg"),
        ({"authorization_signed_response_alg": 256}, "authorization_signed_response_alg"),
        (
            {"authorization_encrypted_response_alg": "RSA-OAEP-256"},
            "authorization_encrypted_response_alg",
        ),
        (
            {"authorization_encrypted_response_enc": "A128GCM"},
            "authorization_encrypted_response_enc",
        ),
    ],
)
async def test_registration_refusals(
    http: httpx.AsyncClient, metadata: dict[str, Any], member: str
) -> None:
    await assert_registration_refused(http, metadata, member)


@SQLITE_ONLY
async def test_discovery_lists_the_modes_and_algorithms(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert {"query.jwt", "fragment.jwt", "form_post.jwt", "jwt"} <= set(
        doc["response_modes_supported"]
    )
    keys = {k["alg"] for k in (await http.get(JWKS)).json()["keys"]}
    assert set(doc["authorization_signing_alg_values_supported"]) == keys & {
        "RS256",
        "ES256",
        "PS256",
    }
