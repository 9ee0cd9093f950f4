"""The account page's sign-in as a relying party of the server: the authorization request it
makes, no consent for the first-party client, and the checks of the response."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from authgate.core.account import signin
from authgate.core.account.signin import PendingSignIn, safe_next
from authgate.core.authorize import request as authorize
from authgate.core.authorize.request import Approved, NeedLogin
from authgate.core.authorize.response import issue
from authgate.core.ports import Services
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidGrant, InvalidRequest
from tests.memory.services import add_session, add_user, make_services


async def _authorized(
    fresh: bool = False,
) -> tuple[Services, dict[str, str], PendingSignIn, dict[str, str]]:
    svc = make_services()
    user = await add_user(svc)
    session, _ = await add_session(svc, user)
    location, pending = await signin.begin(svc, "/account/security/passkeys", fresh=fresh)
    params = dict(parse_qsl(urlsplit(location).query))
    request, client = await authorize.validate(params, svc)
    state = await svc.sessions.state(session.session_hash, client.client_id)
    decision = await authorize.decide(request, state, svc)
    if fresh:
        assert isinstance(decision, NeedLogin)
        return svc, params, pending, {}
    assert isinstance(decision, Approved)  # no consent page for the first-party client
    issued = await issue(request, session, client, svc)
    return svc, params, pending, dict(issued.params)


async def test_begin_asks_for_a_code_with_pkce_state_and_nonce() -> None:
    _svc, params, pending, _ = await _authorized()
    assert params["client_id"] == "authgate-account"
    assert params["redirect_uri"] == "http://127.0.0.1:8080/account/callback"
    assert params["response_type"] == "code"
    assert params["scope"] == "openid"
    assert params["code_challenge_method"] == "S256"
    assert params["state"] == pending.state
    assert params["nonce"] == pending.nonce
    assert "prompt" not in params
    assert pending.next_path == "/account/security/passkeys"
    assert PendingSignIn.decode(pending.encode()) == pending


async def test_a_fresh_sign_in_asks_to_log_in_again() -> None:
    _svc, params, _pending, _ = await _authorized(fresh=True)
    assert params["prompt"] == "login"
    assert params["max_age"] == "0"


async def test_complete_redeems_the_code_for_the_account_token() -> None:
    svc, _params, pending, response = await _authorized()
    done = await signin.complete(svc, response, pending, source="127.0.0.1")
    assert done.next_path == "/account/security/passkeys"
    held = await svc.grants.get_token(handle_hash(done.access_token))
    assert held is not None
    assert held.client_id == "authgate-account"
    assert done.expires_in in (1799, 1800)


async def test_complete_refuses_a_foreign_state_no_pending_and_a_replayed_code() -> None:
    svc, _params, pending, response = await _authorized()
    with pytest.raises(InvalidRequest):
        await signin.complete(svc, response | {"state": "other"}, pending, source="x")
    with pytest.raises(InvalidRequest):
        await signin.complete(svc, response, None, source="x")
    with pytest.raises(InvalidRequest):
        denied = {"state": pending.state, "error": "access_denied"}
        await signin.complete(svc, denied, pending, source="x")
    await signin.complete(svc, response, pending, source="x")
    with pytest.raises(InvalidGrant):
        await signin.complete(svc, response, pending, source="x")


async def test_a_wrong_nonce_is_refused() -> None:
    svc, _params, pending, response = await _authorized()
    other = PendingSignIn(pending.state, "another-nonce", pending.verifier, pending.next_path)
    with pytest.raises(InvalidRequest):
        await signin.complete(svc, response, other, source="x")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/account", "/account"),
        ("/account/security/passkeys", "/account/security/passkeys"),
        ("https://evil.example/account", "/account"),
        ("//evil.example/account", "/account"),
        ("/accountant", "/account"),
        ("/account//evil", "/account"),
        ("/account/\\evil", "/account"),
        (None, "/account"),
        ("", "/account"),
    ],
)
def test_next_stays_on_the_account_pages(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected
