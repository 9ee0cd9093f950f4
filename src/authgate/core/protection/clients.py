"""Brute-force protection of client credentials and registration access tokens.

:func:`protect` wraps a credential check: it refuses an attempt that must wait (or a locked
client) before the check runs, counts a failed check, and clears the failures of a success
that had any. On the token endpoint, where this runs on every request of a confidential
client, the screen reads nothing unless the store knows of recent failures for the client or
the source (:meth:`authgate.core.ports.FailureStore.read`), and a success writes nothing
unless there were failures to clear.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from authgate.core.ports import Services
from authgate.core.protection import attempts, guard
from authgate.core.protection.policy import Standing
from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.errors import OAuthError

T = TypeVar("T")
E = TypeVar("E", bound=OAuthError)
#: The error a refused attempt gets, from the standing that refused it.
Refusal = Callable[[Standing], OAuthError]


def retry_hint(exc: E, retry_after: int) -> E:
    """``exc`` with a ``Retry-After`` header (RFC 9110 §10.2.3)."""
    if retry_after:
        exc.headers["Retry-After"] = str(retry_after)
    return exc


def _record(svc: Services, kind: EventKind, family: str, client_id: str, source: str,
            detail: str) -> None:  # fmt: skip
    svc.events.record(
        SecurityEvent(
            at=svc.clock.now(),
            kind=kind,
            source=source,
            client_id=client_id,
            detail=f"{family}: {detail}",
        )
    )


async def protect(
    family: str,
    client_id: str,
    source: str,
    svc: Services,
    check: Callable[[], Awaitable[T]],
    *,
    counted: type[OAuthError],
    refusal: Refusal,
) -> T:
    """Run ``check`` (a credential check of ``client_id``) under brute-force protection.

    Args:
        family: ``client`` (client authentication) or ``registration`` (RFC 7592 tokens).
        counted: The error of ``check`` that is a failed guess (``InvalidClient``,
            ``InvalidToken``); it gets ``Retry-After`` when the failure starts a wait.
        refusal: The error for an attempt refused before the check.
    """
    p = guard.settings(svc)
    if not (p.bruteForceProtectionEnabled and p.clientAuthenticationProtectionEnabled):
        return await check()
    attempt = attempts.attempt(family, client_id, source)
    standing = await guard.screen(attempt, svc)
    if standing.refused:
        raise refusal(standing)
    try:
        result = await check()
    except counted as exc:
        after = await guard.failed(attempt, svc)
        _record(svc, EventKind.CLIENT_AUTH_FAILED, family, client_id, source, "wrong credentials")
        if after.retry_after:
            _record(svc, EventKind.CLIENT_AUTH_THROTTLED, family, client_id, source,
                    f"next attempt from this source waits {after.retry_after} s")  # fmt: skip
        if after.locked_until is not None and standing.locked_until is None:
            _record(svc, EventKind.LOCKOUT, family, client_id, source,
                    "client locked after repeated failures")  # fmt: skip
        retry_hint(exc, after.retry_after)
        raise
    await guard.succeeded(standing, svc)
    return result
