"""The second-factor step of sign-in on memory services: password then TOTP, replay,
recovery codes, enrolment under policy, step-up of a live session, brute-force protection,
events and the administrator's reset."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core.authorize import interaction
from authgate.core.authorize import request as authorize
from authgate.core.authorize.request import AuthorizationResponse, NeedConsent, NeedSecondFactor
from authgate.core.mfa import step
from authgate.core.mfa.reset import reset_factors
from authgate.core.ports import Services
from authgate.core.security_events import EventKind
from authgate.core.tokens.endpoint import token
from authgate.core.types import Interaction, User
from authgate.errors import FactorFailed, InteractionError
from tests.memory import StaticConfig, add_client, add_session, add_user, advance, double
from tests.memory import make_services as memory_services
from tests.memory.doubles import RecordingSecurityEvents
from tests.mfa_support import code, enrol_totp, wrong_code
from tests.support import PASSWORD, USERNAME, authorize_params, s256

VERIFIER = "v" * 64
SOURCE = "198.51.100.7"


def make_services(**config: Any) -> Services:
    static = StaticConfig()
    if config:
        static.update(**config)
    return memory_services(config=static)


async def _signed_in_with_password(svc: Services, **extra: str) -> Interaction:
    """A login page for client ``app`` whose password was just checked; the second factor is
    due (SecondFactorRequired)."""
    client = await svc.clients.get("app") or await add_client(svc, client_id="app")
    params = authorize_params(client.client_id, s256(VERIFIER), "S256", **extra)
    request, _ = await authorize.validate(params, svc)
    started, _browser = await interaction.begin(request, None, None, svc)
    with pytest.raises(interaction.SecondFactorRequired) as caught:
        await interaction.login(started, USERNAME, PASSWORD, svc, source=SOURCE)
    waiting = caught.value.interaction
    assert (waiting.user_id, waiting.session_hash, waiting.login_done) == (
        (await svc.users.get_by_username(USERNAME)).user_id,  # type: ignore[union-attr]
        None,
        True,
    )
    return waiting


async def _id_token_claims(svc: Services, ix: Interaction, session: Any) -> dict[str, Any]:
    issued = await interaction.advance(ix, session, svc)
    if isinstance(issued, NeedConsent):
        issued = await interaction.consent(ix, session, True, svc)
    assert isinstance(issued, AuthorizationResponse)
    form = {
        "grant_type": "authorization_code",
        "client_id": ix.request.client_id,
        "code": issued.params["code"],
        "redirect_uri": ix.request.redirect_uri,
        "code_verifier": VERIFIER,
    }
    body = await token(form, None, svc)
    return svc.keys.verify(body["id_token"])


def _events(svc: Services) -> RecordingSecurityEvents:
    return double(svc.events, RecordingSecurityEvents)


async def test_password_then_totp_opens_an_mfa_session() -> None:
    svc = make_services()
    user = await add_user(svc)
    seed = await enrol_totp(svc, user)
    ix = await _signed_in_with_password(svc)
    now = svc.clock.now()
    with pytest.raises(FactorFailed) as caught:
        await step.verify(ix, "totp", {"code": wrong_code(seed, now)}, svc, source=SOURCE)
    assert str(caught.value) == "That code is not valid."
    ix, session, _cookie = await step.verify(ix, "totp", {"code": code(seed, now)}, svc)
    assert (session.acr, session.amr) == ("mfa", ("pwd", "otp", "mfa"))
    assert ix.session_hash == session.session_hash
    claims = await _id_token_claims(svc, ix, session)
    assert (claims["acr"], claims["amr"]) == ("mfa", ["pwd", "otp", "mfa"])
    kinds = _events(svc).kinds()
    assert kinds.count(EventKind.FACTOR_FAILED) == 1
    assert EventKind.FACTOR_SUCCEEDED in kinds
    for event in _events(svc).events:
        assert seed not in event.detail and code(seed, now) not in event.detail


async def test_a_replayed_code_is_refused_in_another_sign_in() -> None:
    svc = make_services()
    user = await add_user(svc)
    seed = await enrol_totp(svc, user)
    typed = code(seed, svc.clock.now())
    first = await _signed_in_with_password(svc)
    await step.verify(first, "totp", {"code": typed}, svc)
    second = await _signed_in_with_password(svc)
    with pytest.raises(FactorFailed):
        await step.verify(second, "totp", {"code": typed}, svc)
    advance(svc, 30)
    await step.verify(second, "totp", {"code": code(seed, svc.clock.now())}, svc)


async def test_required_policy_walks_the_user_through_enrolment_and_recovery() -> None:
    svc = make_services(mfaPolicy="required")
    user = await add_user(svc)
    ix = await _signed_in_with_password(svc)
    with pytest.raises(FactorFailed):  # not enrolled: nothing verifies
        await step.verify(ix, "totp", {"code": "123456"}, svc)
    enrolment = await step.start_enrolment(ix, svc)
    with pytest.raises(FactorFailed):
        await step.enrol(ix, wrong_code(enrolment.seed, svc.clock.now()), svc)
    ix, session, _cookie, codes = await step.enrol(
        ix, code(enrolment.seed, svc.clock.now()), svc, source=SOURCE
    )
    assert len(codes) == 10 and len(set(codes)) == 10
    assert session.acr == "mfa"
    assert await svc.factors.recovery_codes_left(user.user_id) == 10
    assert EventKind.FACTOR_ENROLLED in _events(svc).kinds()
    assert EventKind.RECOVERY_CODES_GENERATED in _events(svc).kinds()
    claims = await _id_token_claims(svc, ix, session)
    assert claims["acr"] == "mfa"
    # enrolled now: a second enrolment in a later sign-in is refused
    later = await _signed_in_with_password(svc)
    with pytest.raises(InteractionError):
        await step.start_enrolment(later, svc)

    # a recovery code signs in once
    ix, session, _cookie = await step.verify(later, "recovery", {"code": codes[3].upper()}, svc)
    assert session.amr == ("pwd", "otp", "mfa")
    assert await svc.factors.recovery_codes_left(user.user_id) == 9
    assert EventKind.RECOVERY_CODE_USED in _events(svc).kinds()
    again = await _signed_in_with_password(svc)
    with pytest.raises(FactorFailed):
        await step.verify(again, "recovery", {"code": codes[3]}, svc)
    for event in _events(svc).events:
        assert all(c not in event.detail for c in codes)


async def test_an_unknown_method_counts_as_a_failure() -> None:
    svc = make_services()
    await enrol_totp(svc, await add_user(svc))
    ix = await _signed_in_with_password(svc)
    for kind in ("webauthn", "sms", ""):
        with pytest.raises(FactorFailed):
            await step.verify(ix, kind, {"code": "123456"}, svc)
    assert _events(svc).kinds().count(EventKind.FACTOR_FAILED) == 3


async def test_step_up_elevates_the_live_session_in_place() -> None:
    svc = make_services()
    client = await add_client(svc, client_id="app")
    user = await add_user(svc)
    seed = await enrol_totp(svc, user)
    session, _cookie = await add_session(svc, user)  # password only
    await svc.consents.grant(user.user_id, client.client_id, ("openid",), svc.clock.now())
    params = authorize_params("app", s256(VERIFIER), "S256", scope="openid", acr_values="mfa")
    request, _ = await authorize.validate(params, svc)
    state = await svc.sessions.state(session.session_hash, "app")
    assert await authorize.decide(request, state, svc) == NeedSecondFactor()
    ix, _browser = await interaction.begin(request, session, None, svc)
    advance(svc, 10)
    ix, stronger, _new_cookie = await step.verify(
        ix, "totp", {"code": code(seed, svc.clock.now())}, svc
    )
    assert stronger.sid == session.sid
    assert stronger.session_hash != session.session_hash
    assert await svc.sessions.get(session.session_hash) is None  # the old cookie is dead
    assert (stronger.acr, stronger.amr) == ("mfa", ("pwd", "otp", "mfa"))
    assert stronger.auth_time == int(svc.clock.now())
    claims = await _id_token_claims(svc, ix, stronger)
    assert (claims["acr"], claims["sid"]) == ("mfa", session.sid)


async def test_step_up_of_a_user_without_factor_is_enrolment() -> None:
    svc = make_services()
    await add_client(svc, client_id="app")
    user = await add_user(svc)
    session, _cookie = await add_session(svc, user)
    request, _ = await authorize.validate(
        authorize_params("app", s256(VERIFIER), "S256", acr_values="mfa"), svc
    )
    ix, _browser = await interaction.begin(request, session, None, svc)
    enrolment = await step.start_enrolment(ix, svc)
    _ix, stronger, _c, _codes = await step.enrol(ix, code(enrolment.seed, svc.clock.now()), svc)
    assert stronger.sid == session.sid and stronger.acr == "mfa"


async def test_an_interaction_without_a_checked_password_has_no_factor_step() -> None:
    svc = make_services()
    await add_client(svc, client_id="app")
    await enrol_totp(svc, await add_user(svc))
    request, _ = await authorize.validate(authorize_params("app", s256(VERIFIER), "S256"), svc)
    ix, _browser = await interaction.begin(request, None, None, svc)
    with pytest.raises(InteractionError):
        await step.verify(ix, "totp", {"code": "123456"}, svc)
    with pytest.raises(InteractionError):
        await step.start_enrolment(ix, svc)


async def test_wrong_codes_make_the_next_attempt_wait_before_any_check() -> None:
    svc = make_services()
    svc.config.update(  # type: ignore[attr-defined]
        authenticationProtectionConfiguration={
            "maximumAllowedAttemptsWithoutDelay": 2,
            "delayTime": 10,
            "maximumAttemptsPerInteraction": 50,
        }
    )
    user = await add_user(svc)
    seed = await enrol_totp(svc, user)
    ix = await _signed_in_with_password(svc)
    now = svc.clock.now()
    for _ in range(3):
        with pytest.raises(FactorFailed):
            await step.verify(ix, "totp", {"code": wrong_code(seed, now)}, svc, source=SOURCE)
    right = code(seed, now)
    with pytest.raises(FactorFailed) as caught:
        await step.verify(ix, "totp", {"code": right}, svc, source=SOURCE)
    assert caught.value.retry_after == 10
    assert "Try again in 10 seconds" in str(caught.value)
    assert EventKind.FACTOR_THROTTLED in _events(svc).kinds()
    advance(svc, 10)  # the refused attempt did not use the code's step: still good
    _ix, session, _cookie = await step.verify(ix, "totp", {"code": right}, svc, source=SOURCE)
    assert session.acr == "mfa"


async def test_reset_removes_every_factor_and_the_next_sign_in_is_password_only() -> None:
    svc = make_services()
    user = await add_user(svc)
    await enrol_totp(svc, user)
    await svc.factors.replace_recovery_codes(user.user_id, ["a" * 64, "b" * 64], 0)
    removed = await reset_factors(user.user_id, svc, source=None)
    assert removed == {"totp": 1, "webauthn": 0, "recovery": 2}
    assert await svc.factors.list(user.user_id) == []
    assert EventKind.FACTORS_REMOVED in _events(svc).kinds()
    client = await add_client(svc, client_id="app")
    request, _ = await authorize.validate(
        authorize_params(client.client_id, s256(VERIFIER), "S256"), svc
    )
    started, _browser = await interaction.begin(request, None, None, svc)
    _ix, session, _cookie = await interaction.login(started, USERNAME, PASSWORD, svc)
    assert (session.acr, session.amr) == ("simple_password_auth", ("pwd",))
    assert await reset_factors(user.user_id, svc) == {"totp": 0, "webauthn": 0, "recovery": 0}


async def test_a_user_disabled_meanwhile_cannot_finish() -> None:
    svc = make_services()
    user = await add_user(svc)
    seed = await enrol_totp(svc, user)
    ix = await _signed_in_with_password(svc)
    svc_users: Any = svc.users
    svc_users._t.users[user.user_id] = User(**{**_fields(user), "enabled": False})
    with pytest.raises(InteractionError):
        await step.verify(ix, "totp", {"code": code(seed, svc.clock.now())}, svc)


def _fields(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in User.__dataclass_fields__}
