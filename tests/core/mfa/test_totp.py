"""TOTP (RFC 6238): codes, the one-step window each way, single use of a step, sealed seeds."""

from __future__ import annotations

import base64

import pyotp
import pytest

from authgate.core.mfa import enrolment
from authgate.core.mfa.methods import FactorContext, TotpMethod, seed_of
from authgate.crypto import totp
from tests.memory import add_user, advance, make_services
from tests.mfa_support import code, enrol_totp, wrong_code

NOW = 1_800_000_015.0


def test_codes_match_an_independent_implementation() -> None:
    seed = totp.new_seed()
    assert len(base64.b32decode(seed)) == 20  # 160 bits
    assert totp.code_at(seed, totp.step_at(NOW)) == pyotp.TOTP(seed).at(int(NOW))
    # RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 in 8 digits, so 287082 in 6
    rfc_seed = base64.b32encode(b"12345678901234567890").decode()
    assert totp.code_at(rfc_seed, 59 // 30) == "287082"


@pytest.mark.parametrize(("offset", "accepted"), [(-60, False), (-30, True), (0, True),
                                                   (30, True), (60, False)])  # fmt: skip
def test_window_is_one_step_each_way(offset: int, accepted: bool) -> None:
    seed = totp.new_seed()
    typed = code(seed, NOW + offset)
    found = totp.matching_step(seed, typed, NOW)
    assert (found is not None) is accepted
    if accepted:
        assert found == totp.step_at(NOW + offset)


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5x"])
def test_malformed_codes_never_match(typed: str) -> None:
    assert totp.matching_step(totp.new_seed(), typed, NOW) is None


def test_spaces_in_a_code_are_ignored() -> None:
    seed = totp.new_seed()
    typed = code(seed, NOW)
    assert totp.matching_step(seed, f" {typed[:3]} {typed[3:]} ", NOW) == totp.step_at(NOW)


def test_a_sealed_seed_opens_only_with_its_key_and_factor() -> None:
    seed = totp.new_seed()
    sealed = totp.seal_seed("k" * 43, "factor-1", seed)
    assert seed not in sealed
    assert totp.unseal_seed("k" * 43, "factor-1", sealed) == seed
    assert totp.unseal_seed("k" * 43, "factor-2", sealed) is None
    assert totp.unseal_seed("x" * 43, "factor-1", sealed) is None


async def test_a_code_is_accepted_once_and_an_older_step_after_a_newer_never() -> None:
    svc = make_services()
    user = await add_user(svc)
    seed = await enrol_totp(svc, user)
    method = TotpMethod()
    context = FactorContext(user.user_id, "ix")
    now = svc.clock.now()
    assert await method.verify(context, {"code": code(seed, now)}, svc)
    assert not await method.verify(context, {"code": code(seed, now)}, svc)  # replay
    assert not await method.verify(context, {"code": code(seed, now - 30)}, svc)  # older step
    advance(svc, 30)
    assert await method.verify(context, {"code": code(seed, now + 30)}, svc)
    assert not await method.verify(context, {"code": wrong_code(seed, now + 30)}, svc)


async def test_enrolment_stores_the_seed_sealed_and_reuses_a_pending_one() -> None:
    svc = make_services()
    user = await add_user(svc)
    first = await enrolment.start_totp(user, svc)
    again = await enrolment.start_totp(user, svc)
    assert (again.factor_id, again.seed) == (first.factor_id, first.seed)
    assert first.uri.startswith("otpauth://totp/authgate:")
    assert f"secret={first.seed}" in first.uri
    [factor] = await svc.factors.list(user.user_id)
    assert factor.confirmed_at is None
    assert first.seed not in factor.secret
    assert seed_of(factor, svc.config.current) == first.seed
    assert not await TotpMethod().enrolled(user.user_id, svc)
    now = svc.clock.now()
    wrong = wrong_code(first.seed, now)
    assert not await enrolment.confirm_totp(user.user_id, wrong, svc, source=None)
    assert await enrolment.confirm_totp(user.user_id, code(first.seed, now), svc, source=None)
    assert await TotpMethod().enrolled(user.user_id, svc)
    # the confirming code is used: it cannot sign in
    context = FactorContext(user.user_id, "ix")
    assert not await TotpMethod().verify(context, {"code": code(first.seed, now)}, svc)
