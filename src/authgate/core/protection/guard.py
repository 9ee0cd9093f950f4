"""Checking an attempt against its counters before the secret is checked, and counting the
outcome afterwards.

:func:`screen` reads the counters (through :class:`~authgate.core.ports.FailureStore`, which
may skip the read for keys with no known failure), :func:`failed` counts a failure on every
key of the attempt, :func:`succeeded` clears the pair counter, and writes only when it had
failures. With ``bruteForceProtectionEnabled`` off none of them touches the store.
"""

from __future__ import annotations

from authgate.appconfig_protection import AuthenticationProtectionConfiguration
from authgate.core.ports import Services
from authgate.core.protection import policy
from authgate.core.protection.attempts import Attempt
from authgate.core.protection.policy import FREE, Standing


def settings(svc: Services) -> AuthenticationProtectionConfiguration:
    return svc.config.current.authenticationProtectionConfiguration


async def screen(attempt: Attempt, svc: Services, *, fresh: bool = False) -> Standing:
    """The attempt's standing now; read ``fresh`` from the database, or let the store skip
    the read for keys it knows no failure of."""
    p = settings(svc)
    if not p.bruteForceProtectionEnabled:
        return FREE
    now = svc.clock.now()
    counts = await svc.failures.read(attempt.counters(), policy.since(p, now), fresh=fresh)
    return policy.judge(attempt, counts, p, now) if counts else FREE


async def failed(attempt: Attempt, svc: Services, *, user_id: str | None = None) -> Standing:
    """Count a failure of ``attempt``; returns its standing right after (the wait it starts).

    Only attempts that were actually checked are counted: refused ones never reach here.
    """
    p = settings(svc)
    if not p.bruteForceProtectionEnabled:
        return FREE
    now = svc.clock.now()
    counts = await svc.failures.add(
        attempt.counters(),
        now,
        policy.since(p, now),
        keep_until=now + p.attemptExpiration,
        user_id=user_id,
    )
    return policy.judge(attempt, counts, p, now)


async def succeeded(standing: Standing, svc: Services) -> None:
    """After a success: forget the pair counter's failures, if it had any (no write else)."""
    if standing.clear:
        await svc.failures.clear(standing.clear)
