"""The arithmetic of brute-force protection: waits, windows, lockout, page attempts."""

from __future__ import annotations

import pytest

from authgate.appconfig_protection import AuthenticationProtectionConfiguration
from authgate.core.protection import attempts
from authgate.core.protection.policy import backoff, judge
from authgate.core.types import FailureCount, FailureKey

P = AuthenticationProtectionConfiguration()
NOW = 1_800_000_000.0
ATTEMPT = attempts.attempt(attempts.LOGIN, "subject", "198.51.100.1", interaction="ix-1")


def counted(key: FailureKey | None, failures: int, last_at: float = NOW) -> FailureCount:
    assert key is not None
    return FailureCount(key, failures, NOW - 100, last_at)


def test_five_failures_cost_nothing_then_the_wait_doubles_up_to_the_cap() -> None:
    waits = [backoff(n, P.maximumAllowedAttemptsWithoutDelay, P) for n in range(1, 16)]
    assert waits[:6] == [0, 0, 0, 0, 0, 2]  # the sixth failure starts the waits
    assert waits[6:12] == [4, 8, 16, 32, 64, 128]
    assert waits[12:] == [256, 300, 300]
    assert backoff(10_000, 5, P) == 300  # no overflow however long it goes on


def test_the_wait_runs_from_the_last_failure() -> None:
    standing = judge(ATTEMPT, [counted(ATTEMPT.pair, 7)], P, NOW + 1.5)
    assert standing.retry_after == 3  # 4 s after the failure, rounded up
    assert standing.refused
    assert standing.clear == (ATTEMPT.pair,)
    assert not judge(ATTEMPT, [counted(ATTEMPT.pair, 7)], P, NOW + 4).refused


def test_a_source_failing_on_many_accounts_waits_too() -> None:
    spray = counted(ATTEMPT.whole_source, P.maximumAllowedFailuresPerSource + 3)
    assert judge(ATTEMPT, [spray], P, NOW).retry_after == 8
    unlimited = P.model_copy(update={"maximumAllowedFailuresPerSource": 0})
    assert judge(ATTEMPT, [spray], unlimited, NOW).retry_after == 0
    assert judge(ATTEMPT, [spray], P, NOW).clear == ()  # nothing of the pair to clear


def test_lockout_only_when_enabled_and_only_for_its_duration() -> None:
    many = counted(ATTEMPT.whole_subject, 20)
    assert judge(ATTEMPT, [many], P, NOW).locked_until is None
    locking = P.model_copy(update={"lockoutEnabled": True})
    assert judge(ATTEMPT, [many], locking, NOW + 10).locked_until == NOW + 900
    assert judge(ATTEMPT, [counted(ATTEMPT.whole_subject, 19)], locking, NOW).locked_until is None
    assert judge(ATTEMPT, [many], locking, NOW + 900).locked_until is None


def test_a_trusted_device_is_judged_by_its_own_counter_only() -> None:
    device = attempts.attempt(attempts.LOGIN, "subject", "198.51.100.1", device="dev-1")
    assert device.counters() == (FailureKey("login", "subject", "device:dev-1"),)
    locking = P.model_copy(update={"lockoutEnabled": True})
    others = [
        counted(ATTEMPT.whole_subject, 50),
        counted(ATTEMPT.whole_source, 500),
        counted(ATTEMPT.pair, 30),
    ]
    assert not judge(device, others, locking, NOW).refused
    assert judge(device, [counted(device.pair, 6)], locking, NOW).retry_after == 2


def test_a_login_page_takes_a_bounded_number_of_checks() -> None:
    assert not judge(ATTEMPT, [counted(ATTEMPT.page, 9)], P, NOW).exhausted
    assert judge(ATTEMPT, [counted(ATTEMPT.page, 10)], P, NOW).exhausted


@pytest.mark.parametrize(
    "subject",
    ["", "x" * 500, "nul\x00in-id", "ünïcode", "tab\there"],
)
def test_any_input_makes_a_storable_key(subject: str) -> None:
    attempt = attempts.attempt(attempts.CLIENT, subject, "\x00" * 100)
    for key in attempt.counters():
        for value in (key.subject, key.source):
            assert value.isascii() and value.isprintable() and len(value) <= 128
    assert attempt.pair != attempt.whole_source  # an empty subject is not "every subject"


def test_usernames_are_keyed_by_a_keyed_hash() -> None:
    from authgate.appconfig import AppConfiguration

    config = AppConfiguration()
    alice = attempts.account_subject("alice", config)
    assert alice == attempts.account_subject("  ALICE ", config)
    assert "alice" not in alice and len(alice) == 64
    other = AppConfiguration(pairwiseCalculationKey="another-secret-of-enough-length")
    assert attempts.account_subject("alice", other) != alice


def test_settings_must_let_waits_and_lockouts_end_within_the_window() -> None:
    with pytest.raises(ValueError, match="maximumDelayTime"):
        AuthenticationProtectionConfiguration(attemptExpiration=60, maximumDelayTime=300)
    with pytest.raises(ValueError, match="lockoutDuration"):
        AuthenticationProtectionConfiguration(attemptExpiration=600, lockoutDuration=900)
    with pytest.raises(ValueError, match="delayTime"):
        AuthenticationProtectionConfiguration(delayTime=30, maximumDelayTime=10)
