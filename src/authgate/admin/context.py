"""What the admin use cases work on: the running server's ports, and who is acting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from authgate.admin.ports import (
    AdminFailures,
    AdminInitialTokens,
    AdminKeys,
    AdminSessions,
    AdminStore,
    AuditLog,
    ConfigurationStore,
    KeySchedule,
    KeyStore,
)
from authgate.core.ports import Services


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change, as written to the audit log (``client:<id>``, ``cli:<user>``), and
    the source address of the request it came in (None from the CLI), for security events."""

    name: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class AdminContext:
    """The dependencies of the admin use cases; :mod:`authgate.assembly` builds one over a
    started runtime. ``reload`` makes this instance load the stored configuration and keys
    at once (other instances do within ``config_poll_interval`` seconds)."""

    services: Services
    config_store: ConfigurationStore
    key_store: KeyStore
    store: AdminStore
    sessions: AdminSessions
    keys: AdminKeys
    audit: AuditLog
    failures: AdminFailures
    key_schedule: KeySchedule
    initial_tokens: AdminInitialTokens
    reload: Callable[[], Awaitable[None]]

    def now(self) -> float:
        return self.services.clock.now()

    def forget(self, client_id: str | None) -> None:
        """Drop this instance's cached copies of a changed client (every client when None)
        and of the scopes; other instances' caches expire within seconds."""
        self.services.clients.forget(client_id)
        self.services.scopes.forget()
