"""What the admin use cases work on: the running server's stores, and who is acting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from authgate.core.ports import Services
from authgate.storage.admin import SqlAdminStore
from authgate.storage.admin_sessions import SqlAdminKeys, SqlAdminSessions
from authgate.storage.audit import SqlAuditLog
from authgate.storage.clients import SqlClientStore
from authgate.storage.configuration import SqlConfigurationStore, SqlKeyStore
from authgate.storage.users import SqlScopeStore
from authgate.upkeep import KeyUpkeep

if TYPE_CHECKING:
    from authgate.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change, as written to the audit log (``client:<id>``, ``cli:<user>``)."""

    name: str


@dataclass(frozen=True, slots=True)
class AdminContext:
    """The dependencies of the admin use cases, built from a started runtime."""

    services: Services
    config_store: SqlConfigurationStore
    key_store: SqlKeyStore
    store: SqlAdminStore
    sessions: SqlAdminSessions
    keys: SqlAdminKeys
    audit: SqlAuditLog
    key_upkeep: KeyUpkeep
    reload: Callable[[], Awaitable[None]]
    forget: Callable[[str | None], None]
    poll_interval: float

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> AdminContext:
        db = runtime.db
        clients, scopes = runtime.services.clients, runtime.services.scopes

        def forget(client_id: str | None) -> None:
            """Drop this instance's cached copies after a change (others expire in 2 s)."""
            if isinstance(clients, SqlClientStore):
                clients.forget(client_id)
            if isinstance(scopes, SqlScopeStore):
                scopes.forget()

        return cls(
            services=runtime.services,
            config_store=runtime.config_store,
            key_store=runtime.key_store,
            store=SqlAdminStore(db),
            sessions=SqlAdminSessions(db),
            keys=SqlAdminKeys(db),
            audit=SqlAuditLog(db),
            key_upkeep=runtime.key_upkeep,
            reload=runtime.refresh,
            forget=forget,
            poll_interval=runtime.settings.config_poll_interval,
        )

    def now(self) -> float:
        return self.services.clock.now()
