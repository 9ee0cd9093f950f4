"""Brute-force protection of the login page's password check.

Order: the user is looked up (one read); a device cookie for that user makes the browser the
source; the counters are read; an attempt that must wait, a locked account or a page out of
attempts is refused *before* the password hash is computed; otherwise the password is
checked and a failure counted, or a success clears the failures it had.

Every refusal is :class:`~authgate.errors.LoginFailed`, the same answer as a wrong password.
It may say how long to wait, which depends only on the counters of this source for the
username typed, whether or not that username exists; a lockout is never mentioned, and a
locked attempt takes as long as a password check, so neither its text nor its timing tells
that an account exists or is locked.
"""

from __future__ import annotations

import asyncio
import time

from authgate.core.ports import Services
from authgate.core.protection import attempts, device, guard
from authgate.core.protection.policy import Standing
from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent, User
from authgate.errors import InteractionExhausted, LoginFailed


class _Pace:
    """How long a password check takes here (a moving average), to answer a locked attempt
    no faster than a checked one without spending the CPU."""

    def __init__(self, initial: float = 0.1) -> None:
        self.seconds = initial

    def observe(self, seconds: float) -> None:
        self.seconds = 0.8 * self.seconds + 0.2 * min(seconds, 5.0)


PACE = _Pace()


def _event(svc: Services, kind: EventKind, source: str, user: User | None, detail: str) -> None:
    svc.events.record(
        SecurityEvent(
            at=svc.clock.now(),
            kind=kind,
            source=source,
            user_id=user.user_id if user else None,
            detail=detail,
        )
    )


async def _checked(user: User | None, password: str, svc: Services) -> bool:
    started = time.perf_counter()
    ok = await svc.passwords.verify(user.password_hash if user else None, password)
    PACE.observe(time.perf_counter() - started)
    return ok and user is not None and user.enabled


async def verify_password(
    username: str,
    password: str,
    svc: Services,
    *,
    source: str,
    devices: str | None = None,
    interaction_id: str | None = None,
) -> User:
    """The user whose password this is, checked under brute-force protection.

    Args:
        username: As typed (trimmed here).
        source: The request's source address.
        devices: The browser's device cookie, if any.
        interaction_id: The login page's interaction (its attempts are bounded).

    Raises:
        LoginFailed: wrong username or password, a disabled user, or a refused attempt
            (with ``retry_after`` when this source must wait).
        InteractionExhausted: the login page has used up its attempts.
    """
    user = await svc.users.get_by_username(username.strip())
    if not guard.settings(svc).bruteForceProtectionEnabled:
        if not await _checked(user, password, svc):
            _event(svc, EventKind.LOGIN_FAILED, source, user, "wrong username or password")
            raise LoginFailed()
        assert user is not None  # _checked is True only for a user
        return user
    trusted = device.trusted(devices, user.user_id, svc) if user else None
    attempt = attempts.attempt(
        attempts.LOGIN,
        attempts.account_subject(username, svc.config.current),
        source,
        device=trusted,
        interaction=interaction_id,
    )
    standing = await guard.screen(attempt, svc, fresh=True)
    if standing.exhausted:
        raise InteractionExhausted()
    if standing.retry_after:
        raise LoginFailed(retry_after=standing.retry_after)
    if standing.locked_until is not None:
        await asyncio.sleep(PACE.seconds)
        raise LoginFailed()
    if not await _checked(user, password, svc):
        after = await guard.failed(attempt, svc, user_id=user.user_id if user else None)
        _failure_events(svc, source, user, standing, after)
        raise LoginFailed(retry_after=after.retry_after or None)
    await guard.succeeded(standing, svc)
    assert user is not None
    _event(svc, EventKind.LOGIN_SUCCEEDED, source, user, "password login")
    return user


def _failure_events(
    svc: Services, source: str, user: User | None, before: Standing, after: Standing
) -> None:
    _event(svc, EventKind.LOGIN_FAILED, source, user, "wrong username or password")
    if after.retry_after:
        _event(svc, EventKind.LOGIN_THROTTLED, source, user,
               f"next attempt from this source waits {after.retry_after} s")  # fmt: skip
    if after.locked_until is not None and before.locked_until is None:
        _event(svc, EventKind.LOCKOUT, source, user, "account locked after repeated failures")
