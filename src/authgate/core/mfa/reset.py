"""Removing a user's second factors (an administrator's reset, when the user lost them)."""

from __future__ import annotations

from authgate.core.mfa.methods import METHODS
from authgate.core.ports import Services
from authgate.core.security_events import EventKind, record


async def reset_factors(
    user_id: str, svc: Services, *, source: str | None = None, detail: str = "reset"
) -> dict[str, int]:
    """Remove everything the user enrolled, with every method (pending enrolments too);
    returns how many items each method removed. Records a ``factors_removed`` event when
    anything was removed. The user's live sessions stay: end them separately if the factors
    were compromised."""
    removed = {kind.value: await method.reset(user_id, svc) for kind, method in METHODS.items()}
    if any(removed.values()):
        summary = ", ".join(f"{kind} {count}" for kind, count in removed.items() if count)
        record(svc, EventKind.FACTORS_REMOVED, source=source, user_id=user_id,
               detail=f"{detail}: {summary}")  # fmt: skip
    return removed
