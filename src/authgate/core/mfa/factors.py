"""A user's own second factors, as the account page manages them (docs/account.md): the
authenticator apps (TOTP) listed, renamed and removed, and the rule that keeps a user who
must use a second factor from removing the last one.

A user *must* use a second factor when ``mfaPolicy`` is ``required``, or when the user has
approved a client of ``mfaRequiredClients`` (its next sign-in would need one). Such a user's
last factor (an authenticator app or a passkey; recovery codes are a fallback, not a
factor of their own) cannot be removed from the account page: :func:`check_removal` refuses
it. An administrator's reset (:mod:`.reset`) may remove everything; the user is then walked
through enrolment at the next sign-in.
"""

from __future__ import annotations

from authgate.core.account.service import connected_apps
from authgate.core.mfa.methods import SecondFactorKind
from authgate.core.ports import Services
from authgate.core.security_events import EventKind, record
from authgate.core.types import SecondFactor

#: Longest name of an authenticator app.
LABEL_MAX = 64


class LastFactorRequired(Exception):
    """Removing this factor would leave a user who must use a second factor without one."""

    MESSAGE = (
        "This is your last second factor and your account must use one. "
        "Add another passkey or authenticator app first."
    )

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


async def authenticators(user_id: str, svc: Services) -> list[SecondFactor]:
    """The user's confirmed authenticator apps, oldest first."""
    return [
        f
        for f in await svc.factors.list(user_id)
        if f.kind == SecondFactorKind.TOTP and f.confirmed_at is not None
    ]


async def factor_count(user_id: str, svc: Services) -> int:
    """How many factors the user has: authenticator apps and passkeys."""
    return len(await authenticators(user_id, svc)) + len(await svc.passkeys.for_user(user_id))


async def must_use_factor(user_id: str, svc: Services) -> bool:
    """Whether policy requires a second factor of the user (see the module's text)."""
    config = svc.config.current
    if config.mfaPolicy == "required":
        return True
    required = set(config.mfaRequiredClients)
    return bool(required) and any(
        a.client_id in required for a in await connected_apps(svc, user_id)
    )


async def check_removal(user_id: str, svc: Services) -> None:
    """Raises LastFactorRequired when removing one factor would leave the user, who must
    use a second factor, with none."""
    if await factor_count(user_id, svc) <= 1 and await must_use_factor(user_id, svc):
        raise LastFactorRequired()


def clean_label(label: str) -> str:
    """A factor's name as stored: printable, trimmed, at most :data:`LABEL_MAX` characters."""
    spaced = " ".join(label.split())
    return "".join(ch for ch in spaced if ch.isprintable())[:LABEL_MAX].strip()


async def rename_authenticator(user_id: str, factor_id: str, label: str, svc: Services) -> bool:
    """Rename one of the user's authenticator apps; False for an empty name or no such app."""
    cleaned = clean_label(label)
    if not cleaned or factor_id not in {f.factor_id for f in await authenticators(user_id, svc)}:
        return False
    return await svc.factors.rename(user_id, factor_id, cleaned)


async def remove_authenticator(
    user_id: str,
    factor_id: str,
    svc: Services,
    *,
    source: str | None,
    by: str = "user",
    policy: bool = True,
) -> bool:
    """Remove one of the user's authenticator apps (a pending one too); False if there is
    no such app. ``policy``: refuse to remove the last factor of a user who must use one
    (an administrator's removal does not).

    Raises:
        LastFactorRequired: it is the last factor of a user who must use one.
    """
    mine = [f for f in await svc.factors.list(user_id) if f.kind == SecondFactorKind.TOTP]
    factor = next((f for f in mine if f.factor_id == factor_id), None)
    if factor is None:
        return False
    if policy and factor.confirmed_at is not None:
        await check_removal(user_id, svc)
    if not await svc.factors.remove_one(user_id, factor_id):
        return False
    record(svc, EventKind.FACTORS_REMOVED, source=source, user_id=user_id,
           detail=f"authenticator app removed by {by}")  # fmt: skip
    return True
