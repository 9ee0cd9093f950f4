"""The passkey ceremonies without a browser: enrolment, passwordless sign-in, the second
factor, and every refusal, over memory stores with a software authenticator (a real P-256
key signing real authenticator data)."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest

from authgate.core.authorize import interaction as flow
from authgate.core.passkeys import challenges, enrolment, signin
from authgate.core.passkeys.errors import PasskeyMalformed, PasskeyRejected, Reason
from authgate.core.ports import Services
from authgate.core.types import AuthorizationRequest, Interaction, LoginSession, User
from authgate.errors import InteractionExhausted
from tests.memory.doubles import RecordingSecurityEvents
from tests.memory.services import add_client, add_session, add_user, advance, double, make_services
from tests.passkey_authenticator import SoftAuthenticator
from tests.support import ISSUER, REDIRECT_URI

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


async def test_a_synced_passkey_without_user_verification_is_swk_and_phr(svc: Services) -> None:
    _, device = await _enrolled(svc, backup_eligible=True)
    device.user_verified = False
    ix = await _interaction(svc)
    _, session, _ = await signin.sign_in(ix, device.get(signin.login_options(ix, svc)), svc)
    assert (session.acr, session.amr) == ("phr", ("swk",))


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


async def test_the_second_factor_needs_the_users_own_passkey(svc: Services) -> None:
    user, device = await _enrolled(svc)
    mallory = await add_user(svc, username="mallory")
    other_session, _ = await add_session(svc, mallory)
    other = await _enrol(svc, mallory, other_session)
    ix = await _interaction(svc, acr_values=("phr",))
    assert await signin.needs_second_factor(ix, user, svc)
    assert not await signin.needs_second_factor(ix, await add_user(svc, username="bob"), svc)
    ix = await signin.await_second_factor(ix, user, svc)
    with pytest.raises(PasskeyRejected) as wrong:
        await signin.second_factor(ix, other.get(await signin.second_factor_options(ix, svc)), svc)
    assert wrong.value.why is Reason.WRONG_USER
    options = await signin.second_factor_options(ix, svc)
    assert [c["id"] for c in options["allowCredentials"]] == [device.id]
    ix, session, _ = await signin.second_factor(ix, device.get(options), svc)
    assert session.amr == ("pwd", "hwk", "user", "mfa")
    assert session.acr == "phrh" and ix.login_done
    with pytest.raises(PasskeyRejected):  # no second factor awaited any more
        await signin.second_factor_options(ix, svc)


async def test_no_second_factor_unless_the_request_asks_for_one(svc: Services) -> None:
    user, _ = await _enrolled(svc)
    assert not await signin.needs_second_factor(await _interaction(svc), user, svc)
    client_default = await add_client(svc, default_acr_values=["mfa"])
    ix, _ = await flow.begin(
        AuthorizationRequest(
            client_id=client_default.client_id,
            redirect_uri=REDIRECT_URI,
            redirect_uri_given=True,
            response_type="code",
            scope=("openid",),
        ),
        None,
        None,
        svc,
    )
    assert await signin.needs_second_factor(ix, user, svc)


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
