"""prompt, max_age / default_max_age, login_hint and acr_values (OIDC Core §3.1.2.1), and
auth_time in every id_token (§2, require_auth_time)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support import (
    SQLITE_ONLY,
    FakeClock,
    Flow,
    authorize_params,
    fragment_of,
    hidden_form,
    new_verifier,
    s256,
    token_form,
)


async def _claims(http: httpx.AsyncClient, id_token: str) -> dict[str, Any]:
    jwks = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    return dict(jwt.decode(id_token, jwks).claims)


async def _login(flow: Flow, client_id: str, **extra: str) -> tuple[list[str], dict[str, Any]]:
    """Run the code flow; the pages shown and the token response."""
    verifier = new_verifier()
    params = authorize_params(client_id, s256(verifier), "S256", **extra)
    result = await flow.browser.authorize(params)
    assert "code" in result.params, result.params
    response = await flow.token(token_form(client_id, result.params["code"], verifier))
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return result.pages, tokens


async def test_auth_time_is_the_login_time_everywhere(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register(require_auth_time=True)
    assert client["grant_types"] == ["implicit", "refresh_token", "authorization_code"]
    login_time = int(clock.now())
    _, tokens = await _login(flow, client["client_id"])
    assert (await _claims(http, tokens["id_token"]))["auth_time"] == login_time
    clock.advance(30)
    pages, sso = await _login(flow, client["client_id"])  # single sign-on, no new login
    assert pages == []
    assert (await _claims(http, sso["id_token"]))["auth_time"] == login_time
    refreshed = await flow.token(
        {
            "grant_type": "refresh_token",
            "client_id": client["client_id"],
            "refresh_token": tokens["refresh_token"],
        }
    )
    assert (await _claims(http, refreshed.json()["id_token"]))["auth_time"] == login_time


async def test_max_age_reauthenticates_and_moves_auth_time(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    first_login = int(clock.now())
    await _login(flow, client["client_id"])
    clock.advance(100)
    pages, tokens = await _login(flow, client["client_id"], max_age="300")
    assert pages == []
    assert (await _claims(http, tokens["id_token"]))["auth_time"] == first_login
    pages, tokens = await _login(flow, client["client_id"], max_age="60")
    assert pages == ["login"]
    assert (await _claims(http, tokens["id_token"]))["auth_time"] == int(clock.now())


async def test_max_age_zero_always_reauthenticates(flow: Flow) -> None:
    client = await flow.register()
    await _login(flow, client["client_id"])
    pages, _ = await _login(flow, client["client_id"], max_age="0")
    assert pages == ["login"]


async def test_default_max_age_of_the_client(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register(default_max_age=60)
    assert client["default_max_age"] == 60
    await _login(flow, client["client_id"])
    clock.advance(61)
    pages, tokens = await _login(flow, client["client_id"])
    assert pages == ["login"]
    assert (await _claims(http, tokens["id_token"]))["auth_time"] == int(clock.now())
    clock.advance(61)
    # the request's max_age overrides the default (OIDC Registration §2)
    pages, _ = await _login(flow, client["client_id"], max_age="3600")
    assert pages == []


async def test_max_age_exceeded_with_prompt_none(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    await _login(flow, client["client_id"])
    clock.advance(120)
    params = authorize_params(
        client["client_id"],
        s256(new_verifier()),
        "S256",
        response_type="id_token",
        prompt="none",
        max_age="60",
    )
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    error = fragment_of(response.headers["location"])
    assert error["error"] == "login_required"


async def test_prompt_login_moves_auth_time(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    await _login(flow, client["client_id"])
    clock.advance(10)
    pages, tokens = await _login(flow, client["client_id"], prompt="login")
    assert pages == ["login"]
    assert (await _claims(http, tokens["id_token"]))["auth_time"] == int(clock.now())


async def test_login_hint_prefills_the_username(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256", login_hint="alice")
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    page = await http.get(response.headers["location"])
    assert 'name="username" value="alice"' in page.text
    # the hint is only a hint: another user may still sign in (here: a wrong password)
    action, fields = hidden_form(page.text)
    fields |= {"username": "mallory", "password": "x"}
    assert (await http.post(action, data=fields)).status_code == 401


async def test_login_hint_is_escaped(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    hint = '"><script>alert(1)</script>'
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256", login_hint=hint)
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    page = await http.get(response.headers["location"])
    assert "<script>alert(1)</script>" not in page.text


@SQLITE_ONLY
@pytest.mark.parametrize(
    "acr_values", ["simple_password_auth", "urn:example:mfa simple_password_auth", "loa3"]
)
async def test_acr_values_are_voluntary(
    http: httpx.AsyncClient, flow: Flow, acr_values: str
) -> None:
    """Values the server does not offer are ignored (acr_values is voluntary), and the first
    offered value decides: here simple_password_auth, which the password alone satisfies."""
    client = await flow.register()
    _, tokens = await _login(flow, client["client_id"], acr_values=acr_values)
    claims = await _claims(http, tokens["id_token"])
    assert claims["acr"] == "simple_password_auth"
    assert claims["amr"] == ["pwd"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "bad",
    ["-1", "abc", "1.5", "²", "٣", "9" * 400],
    ids=["negative", "letters", "fraction", "superscript two", "arabic-indic three", "huge"],
)
async def test_bad_max_age(http: httpx.AsyncClient, flow: Flow, bad: str) -> None:
    client = await flow.register(administered=True)
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256", max_age=bad)
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    assert response.status_code == 302
    assert "error=invalid_request" in response.headers["location"]
