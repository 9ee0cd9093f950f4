"""What the admin use cases work on: the running server's ports, and who is acting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from authgate.admin.ports import (
    AdminAccounts,
    AdminFailures,
    AdminFederation,
    AdminInitialTokens,
    AdminKeys,
    AdminSessions,
    AdminStore,
    AuditLog,
    ConfigurationStore,
    KeySchedule,
    KeyStore,
)
from authgate.changes import SCOPES, ChangePublisher, NoChangePublisher, client_topic
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
    at once; ``changes`` tells the other processes sharing the database, after a commit, to
    drop or reload what they cache (:mod:`authgate.changes`)."""

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
    accounts: AdminAccounts
    reload: Callable[[], Awaitable[None]]
    changes: ChangePublisher = field(default_factory=NoChangePublisher)
    federation: AdminFederation | None = None

    def now(self) -> float:
        return self.services.clock.now()

    async def client_changed(self, client_id: str) -> None:
        """After a committed change to a client: drop this process's copy, tell the others."""
        self.services.clients.forget(client_id)
        await self.changes.publish(client_topic(client_id))

    async def scopes_changed(self) -> None:
        """After a committed change to a scope: drop this process's list, tell the others."""
        self.services.scopes.forget()
        await self.changes.publish(SCOPES)

    async def reloaded(self, topic: str) -> None:
        """After a committed configuration (``CONFIG``) or key (``KEYS``) change: load it
        here at once, and tell the others to."""
        await self.reload()
        await self.changes.publish(topic)
