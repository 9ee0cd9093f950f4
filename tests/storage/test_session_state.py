"""The authorize endpoint's one read: a session, its user's standing and consent for a client."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, update

from authgate.core.authorize import request as authorize
from authgate.core.authorize.request import Approved, NeedConsent, NeedLogin
from authgate.core.types import AuthorizationRequest, LoginSession, User
from authgate.runtime import Runtime
from authgate.storage.engine import Step
from authgate.storage.models import USERS
from tests.support import Flow

USERS = USERS
DISABLE = update(USERS).where(USERS.c.user_id == bindparam("u")).values(enabled=False)


def _session(user_id: str, name: str = "h1") -> LoginSession:
    return LoginSession(
        session_hash=name, sid=f"sid-{name}", user_id=user_id, auth_time=1, expires_at=2**40
    )


def _request(client_id: str, scope: tuple[str, ...]) -> AuthorizationRequest:
    return AuthorizationRequest(
        client_id=client_id,
        redirect_uri="https://app.example/cb",
        redirect_uri_given=True,
        response_type="code",
        scope=scope,
        state=None,
        nonce=None,
        response_mode="query",
        prompt=frozenset(),
        max_age=None,
        code_challenge=None,
        code_challenge_method=None,
        login_hint=None,
        acr_values=(),
    )


async def _user(runtime: Runtime, user_id: str) -> None:
    user = User(user_id=f"st-{user_id}", username=f"st-{user_id}", password_hash="x")
    await runtime.services.users.add(user)


async def _clients(flow: Flow, n: int) -> list[str]:
    return [(await flow.register())["client_id"] for _ in range(n)]


async def test_state_carries_the_session_user_and_that_clients_consent(
    runtime: Runtime, flow: Flow
) -> None:
    svc = runtime.services
    app1, app2, app3 = await _clients(flow, 3)
    await _user(runtime, "alice")
    await svc.sessions.add(_session("st-alice"))
    await svc.consents.grant("st-alice", app1, ["openid", "email"], 1.0)
    await svc.consents.grant("st-alice", app2, ["profile"], 1.0)

    state = await svc.sessions.state("h1", app1)
    assert state is not None
    assert state.session == await svc.sessions.get("h1")
    assert state.client_id == app1
    assert state.user_enabled is True
    assert state.consented == frozenset({"openid", "email"})

    other = await svc.sessions.state("h1", app3)
    assert other is not None and other.consented == frozenset()
    assert await svc.sessions.state("no-such-session", app1) is None


async def test_a_disabled_or_missing_user_is_not_enabled(runtime: Runtime) -> None:
    svc = runtime.services
    await _user(runtime, "bob")
    await svc.sessions.add(_session("st-bob", "hb"))
    await svc.sessions.add(_session("st-ghost", "hg"))  # no such user
    await runtime.db.transact([Step(DISABLE, {"u": "st-bob"})])
    bob = await svc.sessions.state("hb", "any-client")
    ghost = await svc.sessions.state("hg", "any-client")
    assert bob is not None and bob.user_enabled is False
    assert ghost is not None and ghost.user_enabled is False


async def test_decide_answers_from_the_state(runtime: Runtime, flow: Flow) -> None:
    svc = runtime.services
    (app1,) = await _clients(flow, 1)
    await _user(runtime, "carol")
    await svc.sessions.add(_session("st-carol", "hc"))
    await svc.consents.grant("st-carol", app1, ["openid"], 1.0)
    state = await svc.sessions.state("hc", app1)
    assert state is not None

    asked = _request(app1, ("openid",))
    assert isinstance(await authorize.decide(asked, state, svc), Approved)
    more = _request(app1, ("openid", "email"))
    assert isinstance(await authorize.decide(more, state, svc), NeedConsent)

    await runtime.db.transact([Step(DISABLE, {"u": "st-carol"})])
    stale_enabled = await svc.sessions.state("hc", app1)
    assert stale_enabled is not None
    assert isinstance(await authorize.decide(asked, stale_enabled, svc), NeedLogin)


async def test_decide_refuses_a_state_read_for_another_client(runtime: Runtime, flow: Flow) -> None:
    svc = runtime.services
    app1, app2 = await _clients(flow, 2)
    await _user(runtime, "dave")
    await svc.sessions.add(_session("st-dave", "hd"))
    await svc.consents.grant("st-dave", app1, ["openid"], 1.0)
    state = await svc.sessions.state("hd", app1)
    assert state is not None
    # app-2 has no consent: a state read for app-1 must never answer app-2's request
    other = _request(app2, ("openid",))
    with pytest.raises(ValueError, match="another client"):
        await authorize.decide(other, state, svc)
