"""The audit log of administrative changes: written in the same transaction as the change.

Every admin mutation in :mod:`authgate.storage.admin` appends :func:`record_step` to the steps
of its transaction, so the change and its audit entry are committed together or not at all.
Payloads arrive already redacted.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import bindparam, insert, select

from authgate.admin_records import AuditEntry, AuditRecord
from authgate.storage.engine import Database, Row, Step
from authgate.storage.models import AUDIT_LOG

_audit = AUDIT_LOG
_FIELDS = ("at", "actor", "action", "target_type", "target_id", "before", "after")

INSERT = insert(_audit).values({name: bindparam(name) for name in _FIELDS})
_PAGE = select(_audit).order_by(_audit.c.entry_id.desc())
LIST = _PAGE.limit(bindparam("limit")).offset(bindparam("offset"))
LIST_BY_TYPE = (
    _PAGE.where(_audit.c.target_type == bindparam("target_type"))
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _load(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    loaded: dict[str, Any] = orjson.loads(value) if isinstance(value, str | bytes) else value
    return loaded


def record_step(entry: AuditEntry) -> Step:
    """The step that appends ``entry`` (to put in the change's own transaction)."""
    return Step(
        INSERT,
        {
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "before": _dump(entry.before),
            "after": _dump(entry.after),
        },
    )


def _record(row: Row) -> AuditRecord:
    return AuditRecord(
        int(row["entry_id"]),
        AuditEntry(
            actor=row["actor"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=row["target_id"],
            at=float(row["at"]),
            before=_load(row["before"]),
            after=_load(row["after"]),
        ),
    )


class SqlAuditLog:
    """Reading the audit log, newest first."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(
        self, *, limit: int = 50, offset: int = 0, target_type: str | None = None
    ) -> list[AuditRecord]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if target_type is None:
            rows = await self._db.fetch_all(LIST, params)
        else:
            rows = await self._db.fetch_all(LIST_BY_TYPE, params | {"target_type": target_type})
        return [_record(r) for r in rows]
