"""The authorization endpoint's core on memory services: ``validate`` (which errors go to an
error page and which back to the client), ``decide`` from the browser's session state, and
``deny``."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core.authorize import interaction
from authgate.core.authorize import request as authorize
from authgate.core.authorize.request import Approved, NeedConsent, NeedLogin
from authgate.core.ports import Services
from authgate.core.types import AuthorizationRequest, Client, SessionState, User
from authgate.errors import (
    AccessDenied,
    ConsentRequired,
    InvalidRequest,
    LoginFailed,
    LoginRequired,
    OAuthError,
    RedirectError,
    UnauthorizedClient,
)
from tests.memory import add_client, add_session, add_user, advance, make_services
from tests.support import PASSWORD, REDIRECT_URI, USERNAME, authorize_params, s256

CHALLENGE = s256("v" * 64)
SCOPE = ("openid", "profile", "email")


def _params(client_id: str, **extra: str) -> dict[str, str]:
    return authorize_params(client_id, CHALLENGE, "S256", **extra)


async def _request(svc: Services, client: Client, **extra: str) -> AuthorizationRequest:
    request, _client = await authorize.validate(_params(client.client_id, **extra), svc)
    return request


async def _state(
    svc: Services, user: User, client: Client, *, consent: tuple[str, ...] = (), **kw: Any
) -> SessionState:
    """The browser's session state after ``user`` logged in (and approved ``consent``)."""
    session, _cookie = await add_session(svc, user, **kw)
    if consent:
        await svc.consents.grant(user.user_id, client.client_id, consent, svc.clock.now())
    state = await svc.sessions.state(session.session_hash, client.client_id)
    assert state is not None
    return state


@pytest.mark.parametrize(
    ("client_id", "error", "description"),
    [
        (None, InvalidRequest, "The request is missing the client_id parameter"),
        ("no-such-client", UnauthorizedClient, "Unknown, disabled or expired client_id"),
        ("disabled", UnauthorizedClient, "Unknown, disabled or expired client_id"),
        ("expired", UnauthorizedClient, "Unknown, disabled or expired client_id"),
    ],
)
async def test_unknown_client_is_an_error_page_not_a_redirect(
    client_id: str | None, error: type[OAuthError], description: str
) -> None:
    svc = make_services()
    await add_client(svc, client_id="disabled", disabled=True)
    await add_client(svc, client_id="expired", expires_at=int(svc.clock.now()))
    params = _params(client_id or "")
    if client_id is None:
        del params["client_id"]
    with pytest.raises(OAuthError) as caught:
        await authorize.validate(params, svc)
    assert type(caught.value) is error
    assert caught.value.description == description


@pytest.mark.parametrize(
    ("redirect_uri", "description"),
    [
        (REDIRECT_URI + "/", "redirect_uri does not exactly match"),
        (REDIRECT_URI.replace("127.0.0.1", "localhost"), "redirect_uri does not exactly match"),
        ("https://attacker.example/cb", "redirect_uri does not exactly match"),
        (None, "The request is missing redirect_uri and the client has several registered"),
    ],
)
async def test_bad_redirect_uri_is_not_redirected(
    redirect_uri: str | None, description: str
) -> None:
    svc = make_services()
    client = await add_client(svc, redirect_uris=[REDIRECT_URI, "https://rp.example/cb"])
    params = _params(client.client_id)
    if redirect_uri is None:
        del params["redirect_uri"]
    else:
        params["redirect_uri"] = redirect_uri
    with pytest.raises(InvalidRequest) as caught:  # an OAuthError, never a RedirectError
        await authorize.validate(params, svc)
    assert caught.value.description.startswith(description)


async def test_single_registered_redirect_uri_is_the_default() -> None:
    svc = make_services()
    client = await add_client(svc)
    params = _params(client.client_id)
    del params["redirect_uri"]
    request, loaded = await authorize.validate(params, svc)
    assert (request.redirect_uri, request.redirect_uri_given) == (REDIRECT_URI, False)
    assert loaded.client_id == client.client_id


@pytest.mark.parametrize(
    ("extra", "description"),
    [
        ({"prompt": "bogus"}, "Unsupported prompt value(s): bogus"),
        ({"prompt": "none login"}, "prompt=none cannot be combined with other prompt values"),
        ({"max_age": "-1"}, "max_age must be a non-negative integer number of seconds"),
    ],
)
async def test_errors_after_the_redirect_uri_is_trusted_go_back_to_the_client(
    extra: dict[str, str], description: str
) -> None:
    svc = make_services()
    client = await add_client(svc)
    params = _params(client.client_id, **extra)
    with pytest.raises(RedirectError) as caught:
        await authorize.validate(params, svc)
    error = caught.value
    assert isinstance(error.cause, InvalidRequest)
    assert error.cause.description.startswith(description)
    assert (error.redirect_uri, error.state, error.response_mode) == (
        REDIRECT_URI,
        params["state"],
        "query",
    )


async def test_scope_is_limited_to_the_client_registration() -> None:
    svc = make_services()
    client = await add_client(svc, scope=["openid", "email"])
    request = await _request(svc, client, scope="email openid profile email")
    assert request.scope == ("email", "openid")


async def test_no_session_needs_login() -> None:
    svc = make_services()
    client = await add_client(svc)
    assert await authorize.decide(await _request(svc, client), None, svc) == NeedLogin()


async def test_session_without_consent_needs_consent_then_remembered_consent_approves() -> None:
    svc = make_services()
    client = await add_client(svc)
    user = await add_user(svc)
    request = await _request(svc, client)
    state = await _state(svc, user, client)
    assert await authorize.decide(request, state, svc) == NeedConsent(SCOPE)
    assert await authorize.decide(request, state, svc, consented=True) == Approved()

    remembered = await _state(svc, user, client, consent=SCOPE)
    assert await authorize.decide(request, remembered, svc) == Approved()


async def test_consent_to_fewer_scopes_asks_again() -> None:
    svc = make_services()
    client = await add_client(svc)
    state = await _state(svc, await add_user(svc), client, consent=("openid",))
    request = await _request(svc, client)
    assert await authorize.decide(request, state, svc) == NeedConsent(SCOPE)
    narrow = await _request(svc, client, scope="openid")
    assert await authorize.decide(narrow, state, svc) == Approved()


@pytest.mark.parametrize(
    ("prompt", "fresh_login", "consented", "expected"),
    [
        ("login", False, False, NeedLogin()),
        ("login", True, False, Approved()),
        ("consent", False, False, NeedConsent(SCOPE)),
        ("consent", False, True, Approved()),
        ("select_account", False, False, Approved()),
    ],
)
async def test_prompt_with_a_consented_session(
    prompt: str, fresh_login: bool, consented: bool, expected: object
) -> None:
    svc = make_services()
    client = await add_client(svc)
    state = await _state(svc, await add_user(svc), client, consent=SCOPE)
    request = await _request(svc, client, prompt=prompt)
    decision = await authorize.decide(
        request, state, svc, fresh_login=fresh_login, consented=consented
    )
    assert decision == expected


async def test_prompt_none_without_session_redirects_login_required() -> None:
    svc = make_services()
    client = await add_client(svc)
    request = await _request(svc, client, prompt="none")
    with pytest.raises(RedirectError) as caught:
        await authorize.decide(request, None, svc)
    assert isinstance(caught.value.cause, LoginRequired)
    assert caught.value.cause.description == "The user is not logged in (prompt=none)"
    assert (caught.value.redirect_uri, caught.value.state) == (REDIRECT_URI, request.state)


async def test_prompt_none_without_consent_redirects_consent_required() -> None:
    svc = make_services()
    client = await add_client(svc)
    state = await _state(svc, await add_user(svc), client)
    request = await _request(svc, client, prompt="none")
    with pytest.raises(RedirectError) as caught:
        await authorize.decide(request, state, svc)
    assert isinstance(caught.value.cause, ConsentRequired)
    consented = await _state(svc, await add_user(svc, "bob"), client, consent=SCOPE)
    assert await authorize.decide(request, consented, svc) == Approved()


@pytest.mark.parametrize(
    ("max_age", "elapsed", "expected"),
    [
        ("60", 60, Approved()),
        ("60", 61, NeedLogin()),
        ("0", 0, NeedLogin()),
        (None, 10**6, Approved()),
    ],
)
async def test_max_age_counts_from_the_login(
    max_age: str | None, elapsed: int, expected: object
) -> None:
    svc = make_services()
    client = await add_client(svc)
    state = await _state(svc, await add_user(svc), client, consent=SCOPE)
    advance(svc, elapsed)
    extra = {} if max_age is None else {"max_age": max_age}
    request = await _request(svc, client, **extra)
    assert await authorize.decide(request, state, svc) == expected
    # a fresh login in this interaction satisfies max_age
    assert await authorize.decide(request, state, svc, fresh_login=True) == Approved()


async def test_client_default_max_age_applies_when_the_request_has_none() -> None:
    svc = make_services()
    client = await add_client(svc, default_max_age=30)
    state = await _state(svc, await add_user(svc), client, consent=SCOPE)
    advance(svc, 31)
    request = await _request(svc, client)
    assert request.max_age == 30
    assert await authorize.decide(request, state, svc) == NeedLogin()


async def test_disabled_user_must_log_in_again_and_cannot() -> None:
    svc = make_services()
    client = await add_client(svc)
    user = await add_user(svc, enabled=False)
    state = await _state(svc, user, client, consent=SCOPE)
    assert state.user_enabled is False
    request = await _request(svc, client)
    assert await authorize.decide(request, state, svc) == NeedLogin()
    assert await authorize.decide(request, state, svc, fresh_login=True) == NeedLogin()
    with pytest.raises(RedirectError) as caught:
        await authorize.decide(await _request(svc, client, prompt="none"), state, svc)
    assert isinstance(caught.value.cause, LoginRequired)
    started, _browser = await interaction.begin(request, None, None, svc)
    with pytest.raises(LoginFailed):
        await interaction.login(started, USERNAME, PASSWORD, svc)


async def test_state_read_for_another_client_is_refused() -> None:
    svc = make_services()
    client, other = await add_client(svc), await add_client(svc)
    state = await _state(svc, await add_user(svc), other)
    with pytest.raises(ValueError, match="another client"):
        await authorize.decide(await _request(svc, client), state, svc)


async def test_deny_is_access_denied_to_the_client() -> None:
    svc = make_services()
    client = await add_client(svc)
    request = await _request(svc, client, response_mode="form_post")
    session, _cookie = await add_session(svc, await add_user(svc))
    error = await authorize.deny(request, session, svc)
    assert isinstance(error, RedirectError)
    assert isinstance(error.cause, AccessDenied)
    assert error.cause.description == "The user denied the authorization request"
    assert (error.redirect_uri, error.state, error.response_mode) == (
        REDIRECT_URI,
        request.state,
        "form_post",
    )
