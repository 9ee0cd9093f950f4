"""TOTP enrolment and recovery codes.

Enrolment has two steps: :func:`start_totp` makes a pending factor with a new seed (sealed
at rest) and returns what the page shows (the ``otpauth`` URI for the QR code, and the seed
for typing in); :func:`confirm_totp` confirms it with a first code from the app, which is
then used (its time step is recorded). A pending factor is replaced by the next
:func:`start_totp` of the same user. Recovery codes (:func:`new_recovery_codes`) are made
and shown once, replacing every earlier code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from authgate.core.mfa.methods import SecondFactorKind, recovery_key, seed_key, seed_of
from authgate.core.ports import Services
from authgate.core.security_events import EventKind, record
from authgate.core.types import SecondFactor, User
from authgate.crypto import recovery, totp


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """A pending TOTP factor, with what the enrolment page shows (to its user only)."""

    factor_id: str
    seed: str
    uri: str


async def pending_totp(user_id: str, svc: Services) -> SecondFactor | None:
    """The user's pending TOTP factor, if any."""
    for factor in await svc.factors.list(user_id):
        if factor.kind == SecondFactorKind.TOTP and factor.confirmed_at is None:
            return factor
    return None


async def start_totp(user: User, svc: Services) -> TotpEnrolment:
    """The user's pending TOTP enrolment: the one already started (a page reloaded), or a new
    one with a new seed."""
    config = svc.config.current
    factor = await pending_totp(user.user_id, svc)
    seed = None if factor is None else seed_of(factor, config)
    if factor is None or seed is None:
        factor_id = str(uuid.uuid4())
        seed = totp.new_seed()
        factor = SecondFactor(
            factor_id=factor_id,
            user_id=user.user_id,
            kind=SecondFactorKind.TOTP,
            secret=totp.seal_seed(seed_key(config), factor_id, seed),
            created_at=svc.clock.now(),
            label="Authenticator app",
        )
        await svc.factors.start(factor)
    uri = totp.provisioning_uri(seed, user.username, config.totpIssuerName)
    return TotpEnrolment(factor.factor_id, seed, uri)


async def confirm_totp(user_id: str, code: str, svc: Services, *, source: str | None) -> bool:
    """Confirm the user's pending TOTP factor with a code of its seed; True once."""
    factor = await pending_totp(user_id, svc)
    seed = None if factor is None else seed_of(factor, svc.config.current)
    if factor is None or seed is None:
        return False
    now = svc.clock.now()
    step = totp.matching_step(seed, code, now)
    if step is None or not await svc.factors.confirm(factor.factor_id, step, now):
        return False
    record(svc, EventKind.FACTOR_ENROLLED, source=source, user_id=user_id, detail="totp")
    return True


async def new_recovery_codes(user_id: str, svc: Services, *, source: str | None) -> list[str]:
    """Ten new recovery codes for the user, replacing every earlier one; the plaintext codes
    are returned to be shown once and are not kept."""
    codes = recovery.new_codes()
    key = recovery_key(svc.config.current)
    hashes = [recovery.code_hash(key, user_id, code) for code in codes]
    await svc.factors.replace_recovery_codes(user_id, hashes, svc.clock.now())
    record(
        svc,
        EventKind.RECOVERY_CODES_GENERATED,
        source=source,
        user_id=user_id,
        detail=f"{len(codes)} recovery codes replace any earlier ones",
    )
    return codes
