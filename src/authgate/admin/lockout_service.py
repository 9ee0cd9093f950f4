"""Use cases on brute-force protection's counters: see who is throttled or locked out, and
clear it (docs/security.md, "Brute-force protection").

A counter is listed with what it means now under the configuration in force: ``throttled``
(attempts from its source must wait until ``blocked_until``), ``locked`` (the account or
client is locked out until then) or ``counting`` (failures that impose nothing yet). Login
counters are keyed by a keyed hash of the username; the listing names the account when it
exists, and clearing by username computes the same key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from authgate.admin.context import Actor, AdminContext
from authgate.admin_records import AuditEntry, FailureView
from authgate.appconfig_protection import AuthenticationProtectionConfiguration
from authgate.core.protection import attempts
from authgate.core.protection.policy import backoff, since
from authgate.core.security_events import EventKind
from authgate.core.types import FailureKey, SecurityEvent
from authgate.errors import InvalidRequest

State = Literal["counting", "throttled", "locked"]
#: Families an administrator manages (login page counters are left to expire).
FAMILIES = (attempts.LOGIN, attempts.CLIENT, attempts.REGISTRATION)


@dataclass(frozen=True, slots=True)
class LockoutView:
    """One counter as the admin sees it. ``source``/``subject`` None: every one."""

    id: str
    family: str
    subject: str | None
    source: str | None
    username: str | None
    client_id: str | None
    failures: int
    first_failure_at: float
    last_failure_at: float
    state: State
    blocked_until: float | None


@dataclass(frozen=True, slots=True)
class LockoutSelector:
    """Which counters to clear: by ``id`` (one listed counter), or by any combination of
    ``username`` (login counters of that username), ``client_id`` (counters of that
    client) and ``source`` (counters of that address)."""

    id: str | None = None
    username: str | None = None
    client_id: str | None = None
    source: str | None = None


def counter_id(key: FailureKey) -> str:
    """An opaque id naming one counter (its key, encoded)."""
    raw = "\n".join((key.family, key.subject, key.source)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_of(counter: str) -> FailureKey:
    """The key an id names.

    Raises:
        InvalidRequest: not an id of :func:`counter_id`.
    """
    try:
        raw = base64.urlsafe_b64decode(counter + "=" * (-len(counter) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest("Not a lockout id") from None
    parts = raw.split("\n")
    if len(parts) != 3 or parts[0] not in FAMILIES:
        raise InvalidRequest("Not a lockout id")
    return FailureKey(*parts)


def standing(key: FailureKey, view: FailureView, p: AuthenticationProtectionConfiguration,
             now: float) -> tuple[State, float | None]:  # fmt: skip
    """What a counter imposes at ``now`` (the rules of :mod:`authgate.core.protection.policy`)."""
    count = view.count
    if key.source == "":  # one subject from every source: the lockout
        end = count.last_at + p.lockoutDuration
        if p.lockoutEnabled and count.failures >= p.lockoutThreshold and end > now:
            return "locked", end
        return "counting", None
    allowed = p.maximumAllowedAttemptsWithoutDelay
    if key.subject == "":  # every subject from one source
        if p.maximumAllowedFailuresPerSource == 0:
            return "counting", None
        allowed = p.maximumAllowedFailuresPerSource
    until = count.last_at + backoff(count.failures, allowed, p)
    return ("throttled", until) if until > now else ("counting", None)


class LockoutAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def _settings(self) -> AuthenticationProtectionConfiguration:
        return self._ctx.services.config.current.authenticationProtectionConfiguration

    async def list(
        self, family: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[LockoutView]:
        """Live counters, the most recent failure first.

        Raises:
            InvalidRequest: an unknown family.
        """
        if family is not None and family not in FAMILIES:
            raise InvalidRequest(f"family: must be one of {', '.join(FAMILIES)}")
        p = self._settings()
        now = self._ctx.now()
        found = await self._ctx.failures.list(
            since(p, now), family=family, exclude=attempts.INTERACTION, limit=limit, offset=offset
        )
        return [self._view(f, p, now) for f in found]

    def _view(
        self, found: FailureView, p: AuthenticationProtectionConfiguration, now: float
    ) -> LockoutView:
        key = found.count.key
        state, until = standing(key, found, p, now)
        is_client = key.family != attempts.LOGIN and key.subject != ""
        return LockoutView(
            id=counter_id(key),
            family=key.family,
            subject=key.subject or None,
            source=None if key.source == "" else key.source,
            username=found.username,
            client_id=key.subject if is_client else None,
            failures=found.count.failures,
            first_failure_at=found.count.first_at,
            last_failure_at=found.count.last_at,
            state=state,
            blocked_until=until,
        )

    async def clear(self, selector: LockoutSelector, actor: Actor) -> int:
        """Delete the selected counters; returns how many there were.

        Raises:
            InvalidRequest: nothing selected, ``id`` with other selectors, or both
                ``username`` and ``client_id``.
        """
        matches, target = self._matches(selector)
        now = self._ctx.now()
        entry = AuditEntry(actor.name, "lockouts.clear", "lockout", target, now, None,
                           {"matches": [dict(m) for m in matches]})  # fmt: skip
        cleared = await self._ctx.failures.clear(matches, entry)
        if cleared:
            user = None
            if selector.username:
                user = await self._ctx.services.users.get_by_username(selector.username.strip())
            self._ctx.services.events.record(
                SecurityEvent(
                    at=now,
                    kind=EventKind.LOCKOUT_CLEARED,
                    source=selector.source,
                    client_id=selector.client_id,
                    user_id=user.user_id if user else None,
                    detail="failure counters cleared by an administrator",
                )
            )
        return cleared

    def _matches(self, selector: LockoutSelector) -> tuple[Sequence[dict[str, str]], str]:
        if selector.id is not None:
            if selector.username or selector.client_id or selector.source:
                raise InvalidRequest("Select counters by id alone")
            key = key_of(selector.id)
            match = {"family": key.family, "subject": key.subject, "source": key.source}
            return [match], selector.id
        if selector.username and selector.client_id:
            raise InvalidRequest("Select by username or by client_id, not both")
        source = {"source": attempts.stored(selector.source, attempts.SOURCE_MAX)} if (
            selector.source
        ) else {}  # fmt: skip
        if selector.username:
            config = self._ctx.services.config.current
            subject = attempts.account_subject(selector.username, config)
            match = {"family": attempts.LOGIN, "subject": subject, **source}
            return [match], f"username:{selector.username}"
        if selector.client_id:
            subject = attempts.stored(selector.client_id)
            return [
                {"family": family, "subject": subject, **source}
                for family in (attempts.CLIENT, attempts.REGISTRATION)
            ], f"client:{selector.client_id}"
        if source:
            return [
                {"family": family, **source} for family in FAMILIES
            ], f"source:{selector.source}"
        raise InvalidRequest("Select the counters to clear: id, username, client_id or source")
