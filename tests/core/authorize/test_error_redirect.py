"""Authorization errors for dynamically registered clients (RFC 9700 §4.11.2): shown on the
error page unless the signed-in user approved the client before; clients created by an
administrator keep the redirect of RFC 6749 §4.1.2.1."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core.authorize import error_redirect, interaction
from authgate.core.authorize import request as authorize
from authgate.core.ports import Services
from authgate.core.tokens.endpoint import token
from authgate.core.types import Client, ClientMetadata, SessionState, User
from authgate.errors import (
    AccessDenied,
    ConsentRequired,
    InvalidRequest,
    LoginRequired,
    OAuthError,
    RedirectError,
)
from tests.core.flow_support import code_form, issue_code
from tests.memory import add_client, add_session, add_user, advance, make_services
from tests.support import authorize_params, s256

CHALLENGE = s256("v" * 64)
SCOPE = ("openid", "profile", "email")


def _params(client: Client, **extra: str) -> dict[str, str]:
    return authorize_params(client.client_id, CHALLENGE, "S256", **extra)


async def _dynamic(svc: Services) -> Client:
    return await add_client(svc, registration_token="registration-access-token")


async def _signed_in(
    svc: Services, user: User, client: Client, *, approved: bool
) -> tuple[str, SessionState]:
    """A login session of ``user`` (who approved ``client`` or not): its hash and state."""
    session, _cookie = await add_session(svc, user)
    if approved:
        await svc.consents.grant(user.user_id, client.client_id, SCOPE, svc.clock.now())
    state = await svc.sessions.state(session.session_hash, client.client_id)
    assert state is not None
    return session.session_hash, state


async def _validation_error(svc: Services, client: Client, session_hash: str | None) -> Exception:
    bad = _params(client, prompt="bogus")
    with pytest.raises((RedirectError, OAuthError)) as caught:
        await authorize.validate(bad, svc, session_hash=session_hash)
    return caught.value


def test_registration_token_marks_a_dynamic_client() -> None:
    admin = Client("a", ClientMetadata(), 0)
    assert not admin.registered_dynamically
    assert dataclasses.replace(admin, registration_token_hash="h").registered_dynamically


async def test_administrator_clients_get_the_redirect_without_a_session() -> None:
    svc = make_services()
    client = await add_client(svc)
    error = await _validation_error(svc, client, None)
    assert isinstance(error, RedirectError)
    assert isinstance(error.cause, InvalidRequest)


async def test_dynamic_client_error_goes_to_the_page_for_a_visitor() -> None:
    svc = make_services()
    client = await _dynamic(svc)
    error = await _validation_error(svc, client, None)
    assert not isinstance(error, RedirectError)
    assert isinstance(error, InvalidRequest)
    assert error.description.startswith("Unsupported prompt value(s): bogus")


async def test_dynamic_client_error_goes_to_the_page_until_the_user_approved_it() -> None:
    svc = make_services()
    client = await _dynamic(svc)
    user = await add_user(svc)
    session_hash, _ = await _signed_in(svc, user, client, approved=False)
    assert isinstance(await _validation_error(svc, client, session_hash), InvalidRequest)
    await svc.consents.grant(user.user_id, client.client_id, SCOPE, svc.clock.now())
    error = await _validation_error(svc, client, session_hash)
    assert isinstance(error, RedirectError)
    assert isinstance(error.cause, InvalidRequest)


async def test_approval_of_another_client_does_not_count() -> None:
    svc = make_services()
    client, other = await _dynamic(svc), await _dynamic(svc)
    session_hash, _ = await _signed_in(svc, await add_user(svc), other, approved=True)
    assert isinstance(await _validation_error(svc, client, session_hash), InvalidRequest)


async def test_an_ended_session_or_a_disabled_user_does_not_count() -> None:
    svc = make_services()
    client = await _dynamic(svc)
    user = await add_user(svc)
    session_hash, state = await _signed_in(svc, user, client, approved=True)
    assert error_redirect.approved_by_user(state, client.client_id)
    disabled = dataclasses.replace(state, user_enabled=False)
    assert not error_redirect.approved_by_user(disabled, client.client_id)
    assert not error_redirect.approved_by_user(None, client.client_id)
    advance(svc, svc.config.current.sessionIdLifetime)
    assert isinstance(await _validation_error(svc, client, session_hash), InvalidRequest)


async def test_a_client_that_completed_an_approved_authorization_gets_redirects() -> None:
    """Once a user's approval led to tokens, errors go to the client for every visitor (a
    signed-out user's silent ``prompt=none`` gets ``login_required`` at the client)."""
    svc = make_services()
    client = await _dynamic(svc)
    user = await add_user(svc)
    assert isinstance(await _validation_error(svc, client, None), InvalidRequest)
    issued = await issue_code(svc, client, user=user)
    await token(code_form(issued), None, svc)
    error = await _validation_error(svc, client, None)
    assert isinstance(error, RedirectError)
    request, _ = await authorize.validate(_params(client, prompt="none"), svc)
    with pytest.raises(RedirectError) as caught:
        await authorize.decide(request, None, svc)
    assert isinstance(caught.value.cause, LoginRequired)


async def test_prompt_none_for_a_dynamic_client() -> None:
    svc = make_services()
    client = await _dynamic(svc)
    request, _ = await authorize.validate(_params(client, prompt="none"), svc)
    with pytest.raises(LoginRequired):  # nobody signed in: the page, not the client
        await authorize.decide(request, None, svc)
    user = await add_user(svc)
    _, state = await _signed_in(svc, user, client, approved=False)
    with pytest.raises(ConsentRequired):
        await authorize.decide(request, state, svc)
    # approved some scopes before: a request for more gets consent_required at the client
    await svc.consents.grant(user.user_id, client.client_id, ("openid",), svc.clock.now())
    state = dataclasses.replace(state, consented=frozenset({"openid"}))
    with pytest.raises(RedirectError) as caught:
        await authorize.decide(request, state, svc)
    assert isinstance(caught.value.cause, ConsentRequired)


async def test_denied_consent_for_a_dynamic_client() -> None:
    svc = make_services()
    client = await _dynamic(svc)
    user = await add_user(svc)
    session, _cookie = await add_session(svc, user)
    request, _ = await authorize.validate(_params(client), svc)
    started, _secret = await interaction.begin(request, session, None, svc)
    with pytest.raises(AccessDenied):  # never approved: the error page
        await interaction.consent(started, session, False, svc)
    # approved before (this time prompt=consent asks again): the denial goes to the client
    await svc.consents.grant(user.user_id, client.client_id, SCOPE, svc.clock.now())
    request, _ = await authorize.validate(_params(client, prompt="consent"), svc)
    started, _secret = await interaction.begin(request, session, None, svc)
    with pytest.raises(RedirectError) as caught:
        await interaction.consent(started, session, False, svc)
    assert isinstance(caught.value.cause, AccessDenied)
