"""Brute-force protection of user codes on the device verification page (RFC 8628 §5.1).

A wrong user code is a failed guess, counted per source on one counter (family
``user_code``): the first ``maximumAllowedAttemptsWithoutDelay`` cost nothing, then each
further attempt from that source waits ``delayTime`` seconds, doubled per failure, up to
``maximumDelayTime`` (:mod:`.policy`). A refused attempt is not looked up at all. A guess
beyond the free ones records a ``user_code_throttled`` security event.

A right code does not clear the counter: anyone can obtain a valid code of their own from
the device authorization endpoint, so a success says nothing about the guesses before it.
"""

from __future__ import annotations

from authgate.core.device import user_codes
from authgate.core.ports import Services
from authgate.core.protection import attempts, guard
from authgate.core.security_events import EventKind, record
from authgate.core.types import DeviceAuthorization
from authgate.errors import UserCodeRejected


def attempt_of(source: str) -> attempts.Attempt:
    """The one counter a user code guess from ``source`` is judged by and counted on."""
    return attempts.Attempt(
        attempts.USER_CODE,
        "-",
        attempts.stored(source or attempts.UNKNOWN_SOURCE, attempts.SOURCE_MAX),
        pair_only=True,
    )


async def lookup(typed: str, svc: Services, *, source: str) -> DeviceAuthorization:
    """The device authorization request of the user code ``typed``, whatever its state.

    Raises:
        UserCodeRejected: this source must wait (nothing is looked up), or no request has
            that code (the failure is counted; ``retry_after`` says how long the next
            attempt must wait, if it must).
    """
    attempt = attempt_of(source)
    standing = await guard.screen(attempt, svc, fresh=True)
    if standing.refused:
        raise UserCodeRejected(standing.retry_after or None)
    code = user_codes.normalise(typed)
    found = None
    if code is not None:
        found = await svc.devices.find(user_codes.user_code_hash(code, svc.config.current))
    if found is not None:
        return found
    after = await guard.failed(attempt, svc)
    if after.retry_after or after.failures > guard.settings(svc).maximumAllowedAttemptsWithoutDelay:
        record(
            svc,
            EventKind.USER_CODE_THROTTLED,
            source=source,
            detail=f"wrong user codes from this source: {after.failures}; "
            f"the next attempt waits {after.retry_after} s",
        )
    raise UserCodeRejected(after.retry_after or None)
