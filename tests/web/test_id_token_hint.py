"""``id_token_hint`` at the authorization endpoint (OIDC Core §3.1.2.1): only the session of
the user the hint names answers; another user's session asks for a login (or answers
``login_required`` with ``prompt=none``), and a login as yet another user ends in
``login_required``. A hint must be an ID Token this server issued to the client; an
expired one is accepted."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from authgate.core.types import User
from authgate.runtime import Runtime
from tests.support import (
    ISSUER,
    SQLITE_ONLY,
    FakeClock,
    Flow,
    IssuedCode,
    authorize_params,
    new_verifier,
    query_of,
    s256,
)

AUTHORIZE = "/jans-auth/restv1/authorize"
BOB, BOB_PASSWORD = "bob", "another horse battery staple"


async def _add_bob(runtime: Runtime, clock: FakeClock) -> None:
    svc = runtime.services
    await svc.users.add(
        User(
            user_id=str(uuid.uuid4()),
            username=BOB,
            password_hash=svc.passwords.hash(BOB_PASSWORD),
            email="bob@example.com",
            email_verified=True,
            created_at=int(clock.now()),
        )
    )


async def _sub(http: httpx.AsyncClient, id_token: str) -> str:
    keys = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    return str(jwt.decode(id_token, keys).claims["sub"])


def _params(client_id: str, **extra: str) -> dict[str, str]:
    return authorize_params(client_id, s256(new_verifier()), "S256", **extra)


async def _answer(http: httpx.AsyncClient, params: dict[str, str]) -> httpx.Response:
    return await http.get(AUTHORIZE + "?" + urlencode(params))


async def test_the_hinted_users_session_answers_silently(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    silent = _params(client["client_id"], prompt="none", id_token_hint=tokens["id_token"])
    response = await _answer(http, silent)
    assert response.status_code == 302
    assert "code" in query_of(response.headers["location"]), response.headers["location"]


async def test_another_users_session_does_not_answer(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    """Alice's hint, Bob's session: prompt=none gets login_required; without it the login
    page comes back, and signing in as Alice answers with her subject."""
    await _add_bob(runtime, clock)
    client = await flow.register(administered=True)
    alice_tokens = await flow.tokens(await flow.code(client["client_id"]))
    alice = await _sub(http, alice_tokens["id_token"])
    # the browser's session is now Bob's
    as_bob = await flow.browser.authorize(
        _params(client["client_id"], prompt="login"), username=BOB, password=BOB_PASSWORD
    )
    assert "code" in as_bob.params
    hint = alice_tokens["id_token"]
    silent = _params(client["client_id"], prompt="none", id_token_hint=hint)
    error = query_of((await _answer(http, silent)).headers["location"])
    assert error["error"] == "login_required"
    assert error["state"] == silent["state"]
    verifier = new_verifier()
    params = authorize_params(client["client_id"], s256(verifier), "S256", id_token_hint=hint)
    result = await flow.browser.authorize(params)  # signs in as Alice
    assert result.pages[0] == "login"
    issued = IssuedCode(result.params["code"], verifier, params, client["client_id"])
    assert await _sub(http, (await flow.tokens(issued))["id_token"]) == alice


async def test_signing_in_as_another_user_ends_in_login_required(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    await _add_bob(runtime, clock)
    client = await flow.register(administered=True)
    alice_tokens = await flow.tokens(await flow.code(client["client_id"]))
    params = _params(client["client_id"], prompt="login", id_token_hint=alice_tokens["id_token"])
    result = await flow.browser.authorize(params, username=BOB, password=BOB_PASSWORD)
    assert result.pages == ["login"]
    assert result.params["error"] == "login_required"
    assert "id_token_hint" in result.params["error_description"]
    assert "code" not in result.params


async def test_an_expired_hint_is_still_a_hint(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    clock.advance(3600 * 2)  # past the id_token's lifetime, within the session's
    result = await flow.browser.authorize(
        _params(client["client_id"], id_token_hint=tokens["id_token"])
    )
    assert "code" in result.params


def _foreign_id_token(client_id: str) -> str:
    key = RSAKey.generate_key(2048)
    claims = {"iss": ISSUER, "aud": client_id, "sub": "someone", "exp": 2_000_000_000}
    return jwt.encode({"alg": "RS256", "kid": "not-ours"}, claims, key)


@SQLITE_ONLY
@pytest.mark.parametrize("kind", ["garbage", "foreign key", "another client's"])
async def test_an_unusable_hint_is_invalid_request(
    http: httpx.AsyncClient, flow: Flow, kind: str
) -> None:
    client = await flow.register(administered=True)
    other = await flow.register()
    hints: dict[str, Any] = {
        "garbage": "not.a.jwt",
        "foreign key": _foreign_id_token(client["client_id"]),
        "another client's": (await flow.tokens(await flow.code(other["client_id"])))["id_token"],
    }
    params = _params(client["client_id"], id_token_hint=hints[kind])
    response = await _answer(http, params)
    assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert error["error_description"].startswith("id_token_hint")
    assert error["state"] == params["state"]


@SQLITE_ONLY
async def test_a_pushed_request_carries_its_hint(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    await _add_bob(runtime, clock)
    client = await flow.register(administered=True)
    alice_tokens = await flow.tokens(await flow.code(client["client_id"]))
    await flow.browser.authorize(
        _params(client["client_id"], prompt="login"), username=BOB, password=BOB_PASSWORD
    )
    pushed = await http.post(
        "/jans-auth/restv1/par",
        data=_params(client["client_id"], prompt="none", id_token_hint=alice_tokens["id_token"]),
    )
    assert pushed.status_code == 201, pushed.text
    response = await _answer(
        http, {"client_id": client["client_id"], "request_uri": pushed.json()["request_uri"]}
    )
    assert query_of(response.headers["location"])["error"] == "login_required"
