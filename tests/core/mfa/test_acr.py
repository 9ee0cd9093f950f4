"""acr decisions: what a request asks, what policy adds, what a session satisfies, and what
``decide`` answers for a live session."""

from __future__ import annotations

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.authorize import request as authorize
from authgate.core.authorize.request import Approved, NeedLogin, NeedSecondFactor
from authgate.core.mfa import acr
from authgate.core.mfa.acr import MFA, PASSWORD, AcrRequest
from authgate.errors import InteractionRequired, RedirectError, UnmetAuthenticationRequirements
from tests.memory import add_client, add_session, add_user, advance, make_services
from tests.memory.doubles import StaticConfig
from tests.support import authorize_params, s256


@pytest.mark.parametrize(
    ("values", "level"),
    [
        ((), 0),
        (("mfa",), MFA),
        (("simple_password_auth",), PASSWORD),
        (("loa3", "mfa", "simple_password_auth"), MFA),
        (("simple_password_auth", "mfa"), PASSWORD),  # the first offered value decides
        (("loa3", "urn:example:gold"), 0),
    ],
)
def test_requested_level_is_the_first_offered_value(values: tuple[str, ...], level: int) -> None:
    assert acr.requested_level(AcrRequest(values)) == level


def test_an_essential_request_for_nothing_offered_fails() -> None:
    with pytest.raises(UnmetAuthenticationRequirements) as caught:
        acr.requested_level(AcrRequest(("loa3",), essential=True))
    assert caught.value.error == "unmet_authentication_requirements"
    assert "simple_password_auth mfa" in caught.value.description
    assert acr.requested_level(AcrRequest(("loa3", "mfa"), essential=True)) == MFA
    assert acr.requested_level(AcrRequest((), essential=True)) == 0


@pytest.mark.parametrize(
    ("policy", "clients", "asked", "level"),
    [
        ("optional", [], (), PASSWORD),
        ("optional", [], ("mfa",), MFA),
        ("required", [], (), MFA),
        ("required", [], ("simple_password_auth",), MFA),
        ("optional", ["app"], (), MFA),
        ("optional", ["other"], (), PASSWORD),
    ],
)
def test_policy_raises_the_level(
    policy: str, clients: list[str], asked: tuple[str, ...], level: int
) -> None:
    config = AppConfiguration.from_document(
        AppConfiguration().to_document() | {"mfaPolicy": policy, "mfaRequiredClients": clients}
    )
    assert acr.required_level("app", config, AcrRequest(asked)) == level


def test_sessions_satisfy_levels_up_to_their_own() -> None:
    assert acr.satisfies("mfa", MFA) and acr.satisfies("mfa", PASSWORD)
    assert acr.satisfies("simple_password_auth", PASSWORD)
    assert not acr.satisfies("simple_password_auth", MFA)
    assert not acr.satisfies("unknown", PASSWORD)
    assert acr.supported() == ["simple_password_auth", "mfa", "phr", "phrh"]
    assert acr.with_second_factor(("pwd",), ("otp",)) == ("pwd", "otp", "mfa")
    assert acr.with_second_factor(("pwd", "otp", "mfa"), ("otp",)) == ("pwd", "otp", "mfa")
    assert acr.context_of(("pwd",)) == "simple_password_auth"
    assert acr.context_of(("pwd", "otp", "mfa")) == "mfa"


async def test_decide_asks_a_password_session_for_a_second_factor() -> None:
    config = StaticConfig()
    svc = make_services(config=config)
    client = await add_client(svc)
    user = await add_user(svc)
    session, _cookie = await add_session(svc, user)
    await svc.consents.grant(user.user_id, client.client_id, ("openid",), svc.clock.now())
    state = await svc.sessions.state(session.session_hash, client.client_id)
    params = authorize_params(client.client_id, s256("v" * 64), "S256", scope="openid")

    plain, _ = await authorize.validate(params, svc)
    assert await authorize.decide(plain, state, svc) == Approved()
    stepped, _ = await authorize.validate(params | {"acr_values": "mfa"}, svc)
    assert await authorize.decide(stepped, state, svc) == NeedSecondFactor()
    silent, _ = await authorize.validate(params | {"acr_values": "mfa", "prompt": "none"}, svc)
    with pytest.raises(RedirectError) as caught:
        await authorize.decide(silent, state, svc)
    assert isinstance(caught.value.cause, InteractionRequired)

    config.update(mfaRequiredClients=[client.client_id])
    assert await authorize.decide(plain, state, svc) == NeedSecondFactor()
    config.update(mfaRequiredClients=[], mfaPolicy="required")
    assert await authorize.decide(plain, state, svc) == NeedSecondFactor()
    # max_age still applies first: a session too old signs in again from the password
    advance(svc, 120)
    aged, _ = await authorize.validate(params | {"max_age": "60"}, svc)
    assert await authorize.decide(aged, state, svc) == NeedLogin()
