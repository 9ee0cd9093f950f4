"""The rules of brute-force protection, as pure functions of the counters and the settings.

* The *pair* counter (one subject from one source): the first
  ``maximumAllowedAttemptsWithoutDelay`` failures cost nothing; after failure number
  ``allowed + n`` the next attempt must wait ``delayTime * 2**(n-1)`` seconds from that
  failure, at most ``maximumDelayTime``.
* The *source* counter (every subject from one source): the same, beyond
  ``maximumAllowedFailuresPerSource`` failures (0: never).
* The *subject* counter (one subject from every source), with ``lockoutEnabled``: from
  ``lockoutThreshold`` failures the subject is locked for ``lockoutDuration`` seconds after
  the last one.
* The *interaction* counter: a login page takes ``maximumAttemptsPerInteraction`` checks.

Only attempts that were checked count; refused ones do not, so hammering a waiting key does
not make the wait longer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from authgate.appconfig_protection import AuthenticationProtectionConfiguration
from authgate.core.protection.attempts import Attempt
from authgate.core.types import FailureCount, FailureKey

#: Beyond this many doublings the wait is the cap whatever the settings.
_MAX_DOUBLINGS = 40


def backoff(failures: int, allowed: int, p: AuthenticationProtectionConfiguration) -> float:
    """Seconds the next attempt must wait after ``failures`` consecutive failures."""
    if failures <= allowed:
        return 0.0
    doublings = min(failures - allowed - 1, _MAX_DOUBLINGS)
    return float(min(p.maximumDelayTime, p.delayTime * 2**doublings))


def since(p: AuthenticationProtectionConfiguration, now: float) -> float:
    """Failures at or before this time are forgotten."""
    return now - p.attemptExpiration


@dataclass(frozen=True, slots=True)
class Standing:
    """What the counters say about an attempt at one moment."""

    #: Seconds this source (or device) must still wait before it may try; 0: it may.
    retry_after: int = 0
    #: Until when the subject is locked out (lockout), if it is.
    locked_until: float | None = None
    #: The login page has used up its attempts.
    exhausted: bool = False
    #: Counters with failures that a success from here clears (pair only).
    clear: tuple[FailureKey, ...] = ()
    #: The pair counter's failures (0: none live).
    failures: int = 0

    @property
    def refused(self) -> bool:
        return self.retry_after > 0 or self.locked_until is not None or self.exhausted


FREE = Standing()


def judge(
    attempt: Attempt,
    counts: Iterable[FailureCount],
    p: AuthenticationProtectionConfiguration,
    now: float,
) -> Standing:
    """The standing of ``attempt`` at ``now`` given its live counters."""
    found = {count.key: count for count in counts}
    until = 0.0
    pair = found.get(attempt.pair)
    if pair is not None:
        until = pair.last_at + backoff(pair.failures, p.maximumAllowedAttemptsWithoutDelay, p)
    spray = found.get(attempt.whole_source) if attempt.whole_source else None
    if spray is not None and p.maximumAllowedFailuresPerSource > 0:
        wait = backoff(spray.failures, p.maximumAllowedFailuresPerSource, p)
        until = max(until, spray.last_at + wait)
    locked_until = None
    subject = found.get(attempt.whole_subject) if attempt.whole_subject else None
    if p.lockoutEnabled and subject is not None and subject.failures >= p.lockoutThreshold:
        end = subject.last_at + p.lockoutDuration
        locked_until = end if end > now else None
    page = found.get(attempt.page) if attempt.page else None
    return Standing(
        retry_after=math.ceil(until - now) if until > now else 0,
        locked_until=locked_until,
        exhausted=page is not None and page.failures >= p.maximumAttemptsPerInteraction,
        clear=(attempt.pair,) if pair is not None else (),
        failures=pair.failures if pair is not None else 0,
    )
