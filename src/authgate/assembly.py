"""The admin use cases over a started runtime: where their ports get concrete stores.

Part of the composition root with :mod:`authgate.runtime`: the Config API
(:mod:`authgate.web.config_api`) and the CLI's local mode (:mod:`authgate.cli_backends`) call
:func:`admin_service`; :mod:`authgate.admin` itself never imports storage or the runtime.
"""

from __future__ import annotations

from authgate.admin.context import AdminContext
from authgate.admin.service import AdminService
from authgate.runtime import Runtime
from authgate.storage.admin import SqlAdminStore
from authgate.storage.admin_accounts import SqlAdminAccounts
from authgate.storage.admin_sessions import SqlAdminKeys, SqlAdminSessions
from authgate.storage.audit import SqlAuditLog
from authgate.storage.failures import SqlFailureAdmin
from authgate.storage.federation import SqlFederationStore
from authgate.storage.initial_tokens import SqlInitialAccessTokenStore


def admin_context(runtime: Runtime) -> AdminContext:
    """The admin use cases' dependencies: the runtime's services and stores, and the SQL
    stores of administration over the runtime's database."""
    db = runtime.db
    return AdminContext(
        services=runtime.services,
        config_store=runtime.config_store,
        key_store=runtime.key_store,
        store=SqlAdminStore(db),
        sessions=SqlAdminSessions(db),
        keys=SqlAdminKeys(db),
        audit=SqlAuditLog(db),
        failures=SqlFailureAdmin(db),
        key_schedule=runtime.key_upkeep,
        initial_tokens=SqlInitialAccessTokenStore(db),
        accounts=SqlAdminAccounts(db),
        reload=runtime.refresh,
        changes=runtime.changes,
        federation=SqlFederationStore(db),
    )


def admin_service(runtime: Runtime) -> AdminService:
    """Every admin use case over ``runtime``."""
    return AdminService(admin_context(runtime))
