"""Values the administration use cases exchange with their stores: audit entries and records,
live login sessions and brute-force protection's failure counters as an administrator sees
them.

They live outside :mod:`authgate.admin` because the stores that implement the admin ports
(:mod:`authgate.admin.ports`), in :mod:`authgate.storage`, never import the admin package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.core.types import FailureCount


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change to record. ``before``/``after`` are JSON objects (None: did not exist)."""

    actor: str
    action: str
    target_type: str
    target_id: str
    at: float
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A stored audit entry."""

    entry_id: int
    entry: AuditEntry


@dataclass(frozen=True, slots=True)
class SessionView:
    """A live login session as the admin sees it (never the cookie or its hash)."""

    sid: str
    user_id: str
    username: str | None
    auth_time: int
    expires_at: int
    acr: str
    amr: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FailureView:
    """A failure counter of brute-force protection as the admin sees it: for a login counter,
    the username when the account exists (the counter itself keeps only a keyed hash)."""

    count: FailureCount
    username: str | None = None
