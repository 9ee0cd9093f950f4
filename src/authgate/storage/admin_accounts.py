"""Administrative changes to a user's approved apps, each with its audit entry
(``admin.ports.AdminAccounts``)."""

from __future__ import annotations

from authgate.admin_records import AuditEntry
from authgate.core.types import AppRevocation
from authgate.storage.accounts import revoke_approval_steps
from authgate.storage.audit import record_step
from authgate.storage.engine import Database


class SqlAdminAccounts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def revoke_grant(self, user_id: str, client_id: str, audit: AuditEntry) -> AppRevocation:
        steps = revoke_approval_steps(user_id, client_id, audit.at)
        outcome = await self._db.transact(steps)
        deleted, revoked = outcome.rowcounts[:2]
        result = AppRevocation(approval=deleted > 0, tokens=revoked)
        if result.approval or result.tokens:
            await self.record(audit)
        return result

    async def record(self, audit: AuditEntry) -> None:
        await self._db.transact([record_step(audit)])
