"""The audit log of administrative changes: written inside the change's own transaction.

Every admin mutation in :mod:`authgate.storage.admin` calls :func:`record` on the connection
that carries the change, so the change and its audit entry are committed together or not at
all. Payloads arrive already redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authgate.storage.models import AuditRow, table_of

_audit = table_of(AuditRow)


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


async def record(conn: AsyncConnection, entry: AuditEntry) -> None:
    """Append ``entry`` inside the caller's transaction."""
    await conn.execute(
        insert(_audit).values(
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            before=entry.before,
            after=entry.after,
        )
    )


class SqlAuditLog:
    """Reading the audit log, newest first."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(
        self, *, limit: int = 50, offset: int = 0, target_type: str | None = None
    ) -> list[AuditRecord]:
        query = select(_audit).order_by(_audit.c.entry_id.desc()).limit(limit).offset(offset)
        if target_type is not None:
            query = query.where(_audit.c.target_type == target_type)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            AuditRecord(
                r.entry_id,
                AuditEntry(
                    actor=r.actor,
                    action=r.action,
                    target_type=r.target_type,
                    target_id=r.target_id,
                    at=r.at,
                    before=r.before,
                    after=r.after,
                ),
            )
            for r in rows
        ]
