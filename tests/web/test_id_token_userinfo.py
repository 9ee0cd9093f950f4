"""id_token claims and subjects (pairwise by default, public on request), userinfo and
bearer-token handling (RFC 6750)."""

from __future__ import annotations

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.runtime import Runtime
from tests.support import (
    ISSUER,
    FakeClock,
    Flow,
    assert_registration_refused,
    flow_registration_body,
)

USERINFO = "/jans-auth/restv1/userinfo"


async def _claims(http: httpx.AsyncClient, id_token: str) -> dict[str, object]:
    jwks = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    return dict(jwt.decode(id_token, jwks).claims)


async def test_pairwise_subjects_differ_per_sector_and_match_userinfo(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    a = await flow.register()
    b = await flow.register(redirect_uris=["https://other.example/cb"])
    user = await runtime.services.users.get_by_username("alice")
    assert user is not None
    tokens_a = await flow.tokens(await flow.code(a["client_id"]))
    claims_a = await _claims(http, tokens_a["id_token"])
    assert claims_a["sub"] != user.user_id
    assert len(str(claims_a["sub"])) == 43
    info = (
        await http.get(USERINFO, headers={"Authorization": f"Bearer {tokens_a['access_token']}"})
    ).json()
    assert info["sub"] == claims_a["sub"]
    # same user, another sector: another subject
    from authgate.core.tokens.subject import subject

    client_b = await runtime.services.clients.get(b["client_id"])
    assert client_b is not None
    assert subject(user.user_id, client_b, runtime.services.config.current) != claims_a["sub"]


async def test_public_subject(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    client = await flow.register(subject_type="public")
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    user = await runtime.services.users.get_by_username("alice")
    assert user is not None
    assert (await _claims(http, tokens["id_token"]))["sub"] == user.user_id


async def test_id_token_claims(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    login_time = int(clock.now())
    clock.advance(5)
    tokens = await flow.tokens(issued)
    claims = await _claims(http, tokens["id_token"])
    assert claims["iss"] == ISSUER
    assert claims["aud"] == client["client_id"]
    assert claims["iat"] == int(clock.now())
    assert claims["exp"] == int(clock.now()) + 3600
    assert claims["auth_time"] == login_time
    assert claims["nonce"] == issued.params["nonce"]
    assert claims["acr"] == "simple_password_auth"
    assert claims["amr"] == ["pwd"]
    assert isinstance(claims["sid"], str) and len(claims["sid"]) == 36
    assert set(claims) == {
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "sid",
        "acr",
        "amr",
        "at_hash",
        "c_hash",
        "sub",
        "grant",
        "jansOpenIDConnectVersion",
    }


async def test_sid_is_the_same_across_codes_of_one_session(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    first = await _claims(
        http, (await flow.tokens(await flow.code(client["client_id"])))["id_token"]
    )
    second = await _claims(
        http, (await flow.tokens(await flow.code(client["client_id"])))["id_token"]
    )
    assert first["sid"] == second["sid"]
    assert first["nonce"] != second["nonce"]


async def test_userinfo_claims_follow_scopes(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"], scope="openid email"))
    info = (
        await http.get(USERINFO, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    ).json()
    assert set(info) == {"sub", "email", "email_verified"}
    tokens = await flow.tokens(await flow.code(client["client_id"], scope="openid profile"))
    info = (await http.post(USERINFO, data={"access_token": tokens["access_token"]})).json()
    assert info["name"] == "Alice Example"
    assert info["preferred_username"] == "alice"
    assert "email" not in info


async def test_userinfo_errors(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    missing = await http.get(USERINFO)
    assert missing.status_code == 401
    assert missing.json()["error"] == "invalid_token"
    assert missing.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    bogus = await http.get(USERINFO, headers={"Authorization": "Bearer nope"})
    assert bogus.status_code == 401
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    # tokens in the query string are ignored (RFC 9700 §4.3.2)
    in_query = await http.get(USERINFO, params={"access_token": tokens["access_token"]})
    assert in_query.status_code == 401
    # a refresh token is not an access token
    wrong_kind = await http.get(
        USERINFO, headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert wrong_kind.status_code == 401
    # no openid scope: insufficient_scope
    oauth_only = await flow.tokens(await flow.code(client["client_id"], scope="profile"))
    forbidden = await http.get(
        USERINFO, headers={"Authorization": f"Bearer {oauth_only['access_token']}"}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "insufficient_scope"
    # expiry (accessTokenLifetime 300 s)
    clock.advance(301)
    expired = await http.get(
        USERINFO, headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert expired.status_code == 401


async def test_signed_userinfo_for_a_client_that_registered_an_algorithm(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    """OIDC Core §5.3.2: ``application/jwt``, signed with the client's
    ``userinfo_signed_response_alg``, the same claims plus ``iss`` and ``aud``."""
    plain = await flow.register()
    signed = await flow.register(userinfo_signed_response_alg="ES256")
    assert signed["userinfo_signed_response_alg"] == "ES256"
    assert "userinfo_signed_response_alg" not in plain
    jwks = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    for method in ("GET", "POST"):
        tokens = await flow.tokens(await flow.code(signed["client_id"], scope="openid email"))
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        response = await http.request(method, USERINFO, headers=bearer)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/jwt"
        assert response.headers["cache-control"] == "no-store"
        decoded = jwt.decode(response.text, jwks, algorithms=["ES256"])
        assert decoded.header["alg"] == "ES256"
        claims = dict(decoded.claims)
        assert claims["iss"] == ISSUER and claims["aud"] == signed["client_id"]
        assert {"sub", "email", "email_verified"} <= set(claims)
        assert claims["sub"] == (await _claims(http, tokens["id_token"]))["sub"]
    tokens = await flow.tokens(await flow.code(plain["client_id"]))
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await http.get(USERINFO, headers=bearer)).headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("metadata", "member"),
    [
        ({"userinfo_signed_response_alg": "HS256"}, "userinfo_signed_response_alg"),
        ({"userinfo_signed_response_alg": "none"}, "userinfo_signed_response_alg"),
        ({"userinfo_encrypted_response_alg": "RSA-OAEP"}, "userinfo_encrypted_response_alg"),
        ({"id_token_encrypted_response_alg": "RSA-OAEP"}, "id_token_encrypted_response_alg"),
        ({"id_token_encrypted_response_enc": "A128GCM"}, "id_token_encrypted_response_enc"),
        ({"request_object_encryption_alg": "RSA-OAEP"}, "request_object_encryption_alg"),
        (
            {"introspection_encrypted_response_alg": "RSA-OAEP"},
            "introspection_encrypted_response_alg",
        ),
    ],
)
async def test_registration_refuses_what_cannot_be_given(
    http: httpx.AsyncClient, metadata: dict[str, object], member: str
) -> None:
    """An algorithm without a key, encryption with no key to encrypt to, an encrypted
    request object: the client would expect what it cannot get, so it is refused rather than
    ignored (tests/web/test_encrypted_responses.py has the encryption cases)."""
    await assert_registration_refused(http, metadata, member)


async def test_null_encryption_members_are_unset(http: httpx.AsyncClient) -> None:
    body = {**flow_registration_body(), "id_token_encrypted_response_alg": None}
    response = await http.post("/jans-auth/restv1/register", json=body)
    assert response.status_code == 201, response.text
