"""The passkey ceremonies without a browser: enrolment, passwordless sign-in, the second
factor, and every refusal, over memory stores with a software authenticator (a real P-256
key signing real authenticator data)."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import pytest

from authgate.core.authorize import interaction as flow
from authgate.core.authorize.request import NeedSecondFactor
from authgate.core.mfa import step
from authgate.core.mfa.acr import MFA
from authgate.core.mfa.methods import SecondFactorKind
from authgate.core.passkeys import challenges, enrolment, signin
from authgate.core.passkeys.errors import PasskeyMalformed, PasskeyRejected, Reason
from authgate.core.ports import Services
from authgate.core.security_events import EventKind
from authgate.core.types import AuthorizationRequest, Interaction, LoginSession, User
from authgate.errors import (
    FactorFailed,
    InteractionExhausted,
    RedirectError,
    UnmetAuthenticationRequirements,
)
from tests.memory.doubles import RecordingSecurityEvents
from tests.memory.services import add_client, add_session, add_user, advance, double, make_services
from tests.mfa_support import code, enrol_totp
from tests.passkey_authenticator import SoftAuthenticator
from tests.support import ISSUER, PASSWORD, REDIRECT_URI, USERNAME

RP_ID = "127.0.0.1"


@pytest.fixture
def svc() -> Services:
    return make_services()


async def _enrol(
    svc: Services, user: User, session: LoginSession, **authenticator: object
) -> SoftAuthenticator:
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID, **authenticator)  # type: ignore[arg-type]
    options = await enrolment.registration_options(session, user, svc)
    await enrolment.register(session, user, device.create(options), "My laptop", svc, source=None)
    return device


async def _interaction(svc: Services, **request: object) -> Interaction:
    client = await add_client(svc)
    ix, _ = await flow.begin(
        AuthorizationRequest(
            client_id=client.client_id,
            redirect_uri=REDIRECT_URI,
            redirect_uri_given=True,
            response_type="code",
            scope=("openid",),
            **request,  # type: ignore[arg-type]
        ),
        None,
        None,
        svc,
    )
    return ix


async def _enrolled(svc: Services, **authenticator: object) -> tuple[User, SoftAuthenticator]:
    user = await add_user(svc)
    session, _ = await add_session(svc, user)
    return user, await _enrol(svc, user, session, **authenticator)


async def test_registration_options_follow_the_issuer_and_the_passkey_policy(svc: Services) -> None:
    user = await add_user(svc, name="Alice Example")
    session, _ = await add_session(svc, user)
    options = await enrolment.registration_options(session, user, svc)
    assert options["rp"] == {"id": RP_ID, "name": "authgate"}
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["user"]["name"] == user.username
    assert options["user"]["displayName"] == "Alice Example"
    assert user.user_id not in options["user"]["id"]  # the handle names no one
    assert options["excludeCredentials"] == []


async def test_an_enrolled_passkey_is_stored_and_excluded_from_the_next_enrolment(
    svc: Services,
) -> None:
    user, device = await _enrolled(svc)
    [stored] = await svc.passkeys.for_user(user.user_id)
    assert stored.credential_id == device.id
    assert stored.name == "My laptop"
    assert stored.transports == ("internal",)
    assert stored.aaguid == "00000000-0000-0000-0000-000000000000"
    assert (stored.backup_eligible, stored.sign_count) == (False, 0)
    session, _ = await add_session(svc, user)
    options = await enrolment.registration_options(session, user, svc)
    assert [c["id"] for c in options["excludeCredentials"]] == [device.id]
    assert "passkey_added" in double(svc.events, RecordingSecurityEvents).kinds()


async def test_a_registration_challenge_works_for_its_session_only(svc: Services) -> None:
    user = await add_user(svc)
    mine, _ = await add_session(svc, user)
    other, _ = await add_session(svc, user)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    response = device.create(await enrolment.registration_options(mine, user, svc))
    with pytest.raises(PasskeyRejected) as refused:
        await enrolment.register(other, user, response, "x", svc, source=None)
    assert refused.value.why is Reason.CHALLENGE_FOREIGN
    await enrolment.register(mine, user, response, "x", svc, source=None)
    with pytest.raises(PasskeyRejected) as again:
        await enrolment.register(mine, user, response, "x", svc, source=None)
    assert again.value.why is Reason.CHALLENGE_REPLAYED


async def test_a_registration_from_another_origin_or_rp_id_is_refused(svc: Services) -> None:
    user = await add_user(svc)
    session, _ = await add_session(svc, user)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    options = await enrolment.registration_options(session, user, svc)
    with pytest.raises(PasskeyRejected) as origin:
        await enrolment.register(
            session, user, device.create(options, origin="https://evil.example"), "x", svc,
            source=None,
        )  # fmt: skip
    assert origin.value.why is Reason.WRONG_ORIGIN
    options = await enrolment.registration_options(session, user, svc)
    with pytest.raises(PasskeyRejected) as rp:
        await enrolment.register(
            session, user, device.create(options, rp_id="evil.example"), "x", svc, source=None
        )
    assert rp.value.why is Reason.WRONG_RP_ID
    assert await svc.passkeys.for_user(user.user_id) == []


async def test_passwordless_sign_in_opens_a_session_with_the_passkey_amr(svc: Services) -> None:
    user, device = await _enrolled(svc)
    ix = await _interaction(svc)
    response = device.get(signin.login_options(ix, svc))
    ix, session, cookie = await signin.sign_in(ix, response, svc, source="198.51.100.7")
    assert session.user_id == user.user_id
    assert (session.acr, session.amr) == ("phrh", ("hwk", "user"))
    assert ix.login_done and ix.session_hash == session.session_hash
    stored = await svc.passkeys.get(device.id)
    assert stored is not None and stored.sign_count == 1 and stored.last_used_at is not None
    assert await svc.sessions.get(session.session_hash) == session and cookie


async def test_a_synced_passkey_is_swk_and_phr(svc: Services) -> None:
    _, device = await _enrolled(svc, backup_eligible=True)
    ix = await _interaction(svc)
    _, session, _ = await signin.sign_in(ix, device.get(signin.login_options(ix, svc)), svc)
    assert (session.acr, session.amr) == ("phr", ("swk", "user"))


async def test_a_passkey_without_user_verification_is_one_factor_only(svc: Services) -> None:
    """No PIN or biometric: the key alone, one factor, which satisfies the password level
    and no more; a request for mfa then asks for a second factor (step-up)."""
    _, device = await _enrolled(svc)
    device.user_verified = False
    ix = await _interaction(svc)
    ix, session, _ = await signin.sign_in(ix, device.get(signin.login_options(ix, svc)), svc)
    assert (session.acr, session.amr) == ("simple_password_auth", ("hwk",))
    asks_mfa = await _interaction(svc, acr_values=("mfa",))
    asks_mfa = dataclasses.replace(asks_mfa, user_id=session.user_id,
                                   session_hash=session.session_hash, login_done=True)  # fmt: skip
    assert isinstance(await flow.advance(asks_mfa, session, svc), NeedSecondFactor)


async def _refusal(svc: Services, ix: Interaction, response: object) -> Reason:
    with pytest.raises(PasskeyRejected) as refused:
        await signin.sign_in(ix, response, svc)  # type: ignore[arg-type]
    return refused.value.why


async def test_each_bad_assertion_is_refused_with_its_reason(svc: Services) -> None:
    user, device = await _enrolled(svc)
    ix = await _interaction(svc)
    stranger = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID, user_handle=b"x" * 32)
    assert await _refusal(svc, ix, stranger.get(signin.login_options(ix, svc))) is (
        Reason.UNKNOWN_CREDENTIAL
    )
    options = signin.login_options(ix, svc)
    assert await _refusal(svc, ix, device.get(options, origin="https://evil.example")) is (
        Reason.WRONG_ORIGIN
    )
    options = signin.login_options(ix, svc)
    assert await _refusal(svc, ix, device.get(options, rp_id="evil.example")) is (
        Reason.WRONG_RP_ID
    )
    forged = dataclasses.replace(device, key=stranger.key)
    assert await _refusal(svc, ix, forged.get(signin.login_options(ix, svc))) is (
        Reason.BAD_SIGNATURE
    )
    other_ix = await _interaction(svc)
    assert await _refusal(svc, ix, device.get(signin.login_options(other_ix, svc))) is (
        Reason.CHALLENGE_FOREIGN
    )
    options = signin.login_options(ix, svc)
    advance(svc, 301)
    assert await _refusal(svc, ix, device.get(options)) is Reason.CHALLENGE_EXPIRED
    events = double(svc.events, RecordingSecurityEvents).kinds()
    assert events.count("passkey_failed") == 6
    assert (await svc.passkeys.for_user(user.user_id))[0].sign_count == 0


async def test_a_challenge_is_accepted_once(svc: Services) -> None:
    _, device = await _enrolled(svc)
    ix = await _interaction(svc)
    options = signin.login_options(ix, svc)
    await signin.sign_in(ix, device.get(options), svc)
    ix2 = dataclasses.replace(ix, session_hash=None, login_done=False)
    assert await _refusal(svc, ix2, device.get(options)) is Reason.CHALLENGE_REPLAYED


async def test_a_counter_that_goes_backwards_is_refused(svc: Services) -> None:
    _, device = await _enrolled(svc)
    ix = await _interaction(svc)
    await signin.sign_in(ix, device.get(signin.login_options(ix, svc)), svc)
    await signin.sign_in(ix, device.get(signin.login_options(ix, svc)), svc)
    options = signin.login_options(ix, svc)
    assert await _refusal(svc, ix, device.get(options, sign_count=1)) is Reason.SIGN_COUNT


async def test_a_removed_passkey_no_longer_signs_in(svc: Services) -> None:
    user, device = await _enrolled(svc)
    assert await enrolment.remove(user.user_id, device.id, svc, source=None)
    ix = await _interaction(svc)
    assert await _refusal(svc, ix, device.get(signin.login_options(ix, svc))) is (
        Reason.UNKNOWN_CREDENTIAL
    )
    assert "passkey_removed" in double(svc.events, RecordingSecurityEvents).kinds()


async def test_a_disabled_user_cannot_sign_in_with_a_passkey(svc: Services) -> None:
    user = await add_user(svc, enabled=False)
    session, _ = await add_session(svc, user)
    device = await _enrol(svc, user, session)
    ix = await _interaction(svc)
    assert await _refusal(svc, ix, device.get(signin.login_options(ix, svc))) is Reason.REFUSED


async def test_a_malformed_response_is_a_request_error(svc: Services) -> None:
    ix = await _interaction(svc)
    with pytest.raises(PasskeyMalformed):
        await signin.sign_in(ix, {"id": "x", "response": {}}, svc)
    with pytest.raises(PasskeyMalformed):
        await signin.sign_in(ix, "not json", svc)


async def test_failures_count_like_passwords_and_make_the_next_attempt_wait(
    svc: Services,
) -> None:
    _, device = await _enrolled(svc)
    ix = await _interaction(svc)
    allowed = svc.config.current.authenticationProtectionConfiguration
    free = allowed.maximumAllowedAttemptsWithoutDelay
    last: PasskeyRejected | None = None
    for _ in range(free + 1):
        options = signin.login_options(ix, svc)
        with pytest.raises(PasskeyRejected) as refused:
            await signin.sign_in(ix, device.get(options, origin="https://evil.example"), svc)
        last = refused.value
    assert last is not None and last.retry_after  # the failure that starts the wait says so
    with pytest.raises(PasskeyRejected) as waiting:  # even a good assertion waits now
        await signin.sign_in(ix, device.get(signin.login_options(ix, svc)), svc)
    assert waiting.value.why is Reason.THROTTLED and waiting.value.retry_after
    advance(svc, allowed.maximumDelayTime + 1)
    _, session, _ = await signin.sign_in(ix, device.get(signin.login_options(ix, svc)), svc)
    assert session.amr == ("hwk", "user")


async def test_a_page_out_of_attempts_ends_the_interaction(svc: Services) -> None:
    _, device = await _enrolled(svc)
    ix = await _interaction(svc)
    allowed = svc.config.current.authenticationProtectionConfiguration
    with pytest.raises(InteractionExhausted):
        for _ in range(allowed.maximumAttemptsPerInteraction + 1):
            options = signin.login_options(ix, svc)
            with pytest.raises(PasskeyRejected):
                await signin.sign_in(ix, device.get(options, origin="https://evil.example"), svc)
            advance(svc, allowed.maximumDelayTime + 1)  # past any wait of this source
    assert await svc.interactions.get(ix.interaction_id) is None


async def _password_checked(svc: Services, ix: Interaction) -> Interaction:
    with pytest.raises(flow.SecondFactorRequired) as due:
        await flow.login(ix, USERNAME, PASSWORD, svc)
    return due.value.interaction


async def test_the_second_factor_needs_the_users_own_passkey(svc: Services) -> None:
    """The passkey is a method of the one second-factor step: a user with a passkey is asked
    for it after the password, and only the user's own passkey answers."""
    user, device = await _enrolled(svc)
    mallory = await add_user(svc, username="mallory")
    other_session, _ = await add_session(svc, mallory)
    other = await _enrol(svc, mallory, other_session)
    ix = await _password_checked(svc, await _interaction(svc))
    assert await step.usable_methods(ix, user.user_id, svc) == [SecondFactorKind.WEBAUTHN]
    options = await signin.second_factor_options(ix, svc)
    with pytest.raises(FactorFailed):
        await step.verify(ix, "webauthn", {"credential": json.dumps(other.get(options))}, svc)
    assert any(
        e.kind == EventKind.PASSKEY_FAILED and e.detail.endswith("wrong_user")
        for e in double(svc.events, RecordingSecurityEvents).events
    )
    options = await signin.second_factor_options(ix, svc)
    assert [c["id"] for c in options["allowCredentials"]] == [device.id]
    answer = {"credential": json.dumps(device.get(options))}
    ix, session, _ = await step.verify(ix, "webauthn", answer, svc)
    assert session.amr == ("pwd", "hwk", "user", "mfa")
    assert session.acr == "phrh" and ix.login_done
    with pytest.raises(FactorFailed):  # the challenge was used
        await step.verify(ix, "webauthn", answer, svc)


async def test_a_request_for_phr_is_offered_the_passkey_not_the_authenticator_app(
    svc: Services,
) -> None:
    user, device = await _enrolled(svc, backup_eligible=True)
    await enrol_totp(svc, user)
    ix = await _password_checked(svc, await _interaction(svc))
    assert await step.usable_methods(ix, user.user_id, svc) == [
        SecondFactorKind.TOTP,
        SecondFactorKind.WEBAUTHN,
    ]
    ix = await _password_checked(svc, await _interaction(svc, acr_values=("phr",)))
    assert await step.usable_methods(ix, user.user_id, svc) == [SecondFactorKind.WEBAUTHN]
    options = await signin.second_factor_options(ix, svc)
    answer = {"credential": json.dumps(device.get(options))}
    ix, session, _ = await step.verify(ix, "webauthn", answer, svc)
    assert (session.acr, session.amr) == ("phr", ("pwd", "swk", "user", "mfa"))


async def test_phr_asked_of_a_user_without_a_passkey_is_capped_at_mfa(svc: Services) -> None:
    """acr_values are voluntary: a user with only an authenticator app gets mfa, not a loop."""
    user = await add_user(svc)
    await enrol_totp(svc, user)
    ix = await _interaction(svc, acr_values=("phrh",))
    assert await step.level_for(ix.request, user.user_id, svc) == MFA


def test_a_challenge_binds_its_purpose() -> None:
    assert challenges.LOGIN != challenges.SECOND_FACTOR != challenges.REGISTER


def _with_response(good: dict[str, Any], **members: object) -> dict[str, Any]:
    return {**good, "response": {**good["response"], **members}}


async def test_malformed_responses_are_refused_never_an_unexpected_error(svc: Services) -> None:
    _, device = await _enrolled(svc)
    ix = await _interaction(svc)
    good = device.get(signin.login_options(ix, svc))
    garbage: list[object] = [
        [],
        "null",
        {"id": 1},
        {**good, "response": None},
        {**good, "rawId": "!!"},
        {**good, "type": "other"},
        {**good, "id": "A" * 3000, "rawId": "A" * 3000},
        _with_response(good, clientDataJSON="!!!"),
        _with_response(good, clientDataJSON=base64.urlsafe_b64encode(b"[]").decode()),
        _with_response(good, authenticatorData="AA"),
        _with_response(good, signature="AA"),
        _with_response(good, userHandle=5),
    ]
    for response in garbage:
        ix_now = await svc.interactions.get(ix.interaction_id)
        assert ix_now is not None
        with pytest.raises((PasskeyRejected, PasskeyMalformed)):
            await signin.sign_in(ix_now, response, svc)  # type: ignore[arg-type]
        advance(svc, 301)  # past any wait these failures start


async def test_stepping_up_a_passkey_session_with_a_passkey_is_not_a_second_factor(
    svc: Services,
) -> None:
    """A session opened by a passkey without user verification, asked for mfa: the same
    passkey again is the same factor (no "mfa"); verified this time, it reaches phrh on its
    own. An authenticator app code is a real second factor."""
    user, device = await _enrolled(svc)
    device.user_verified = False
    ix = await _interaction(svc)
    ix, session, _ = await signin.sign_in(ix, device.get(signin.login_options(ix, svc)), svc)
    asks_mfa = await _interaction(svc, acr_values=("mfa",))
    pending = dataclasses.replace(
        asks_mfa, user_id=user.user_id, session_hash=session.session_hash, login_done=True
    )
    await svc.interactions.replace(pending)
    answer = {
        "credential": json.dumps(device.get(await signin.second_factor_options(pending, svc)))
    }
    pending, again, _ = await step.verify(pending, "webauthn", answer, svc)
    assert (again.acr, again.amr) == ("simple_password_auth", ("hwk",))
    assert isinstance(await flow.advance(pending, again, svc), NeedSecondFactor)

    device.user_verified = True
    answer = {
        "credential": json.dumps(device.get(await signin.second_factor_options(pending, svc)))
    }
    pending, verified, _ = await step.verify(pending, "webauthn", answer, svc)
    assert (verified.acr, verified.amr) == ("phrh", ("hwk", "user"))
    assert verified.sid == session.sid

    seed = await enrol_totp(svc, user)
    device.user_verified = False
    first = await _interaction(svc)
    _, weak, _ = await signin.sign_in(first, device.get(signin.login_options(first, svc)), svc)
    other = await _interaction(svc, acr_values=("mfa",))
    other = dataclasses.replace(
        other, user_id=user.user_id, session_hash=weak.session_hash, login_done=True
    )
    await svc.interactions.replace(other)
    typed = {"code": code(seed, svc.clock.now())}
    _, stronger, _ = await step.verify(other, "totp", typed, svc)
    assert (stronger.acr, stronger.amr) == ("mfa", ("hwk", "otp", "mfa"))


async def test_an_essential_acr_the_users_factors_cannot_reach_is_unmet(svc: Services) -> None:
    """The claims request marks phrh essential; a user with only an authenticator app gets
    unmet_authentication_requirements at the client rather than a sign-in that cannot end."""
    user = await add_user(svc)
    await enrol_totp(svc, user)
    ix = await _interaction(svc, acr_values=("phrh",), acr_essential=True)
    with pytest.raises(UnmetAuthenticationRequirements):
        await step.level_for(ix.request, user.user_id, svc)
    assert await step.usable_methods(ix, user.user_id, svc) == [SecondFactorKind.TOTP]
    session, _ = await add_session(svc, user)
    ix = dataclasses.replace(
        ix, user_id=user.user_id, session_hash=session.session_hash, login_done=True
    )
    with pytest.raises(RedirectError) as unmet:
        await flow.advance(ix, session, svc)
    assert unmet.value.cause.error == "unmet_authentication_requirements"
