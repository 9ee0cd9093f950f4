"""Second factors in tests: enrol a user's TOTP through the core, and compute codes with
pyotp (what an authenticator app does)."""

from __future__ import annotations

import pyotp

from authgate.core.mfa import enrolment
from authgate.core.ports import Services
from authgate.core.types import User


def code(seed: str, at: float) -> str:
    """The code an authenticator app shows at ``at`` (pyotp, independent of authgate)."""
    return pyotp.TOTP(seed).at(int(at))


async def enrol_totp(svc: Services, user: User, *, at: float | None = None) -> str:
    """Enrol and confirm a TOTP factor for ``user`` with the code of ``at`` (default: 60 s
    before now, so that the current step is still unused); returns the seed."""
    started = await enrolment.start_totp(user, svc)
    when = svc.clock.now() - 60 if at is None else at
    step = int(when) // 30
    factor = await enrolment.pending_totp(user.user_id, svc)
    assert factor is not None
    assert await svc.factors.confirm(factor.factor_id, step, when)
    return started.seed


def wrong_code(seed: str, at: float) -> str:
    """A well-formed code that no step of the window around ``at`` has."""
    window = {code(seed, at + offset) for offset in (-30, 0, 30)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)
