"""Security events (implements ``core.ports.SecurityEventLog``): kept in the database and
written to the log (logger ``authgate.security``) as they happen.

``record`` never waits for the database: events are buffered and written in one transaction
by a background task, so recording one costs a request nothing. A database failure loses the
buffered events (they are still in the log) and is logged once per failed write.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import bindparam, insert, select

from authgate.core.types import SecurityEvent
from authgate.storage.engine import Database, Row, Step
from authgate.storage.models import SECURITY_EVENTS

logger = logging.getLogger("authgate.security")
_errors = logging.getLogger(__name__)

_events = SECURITY_EVENTS
_FIELDS = ("at", "kind", "source", "client_id", "user_id", "detail")
_LIMITS = {"kind": 40, "source": 64, "client_id": 64, "user_id": 64, "detail": 255}

INSERT = insert(_events).values({name: bindparam(name) for name in _FIELDS})
_PAGE = select(_events).order_by(_events.c.event_id.desc())
LIST = _PAGE.limit(bindparam("limit")).offset(bindparam("offset"))
LIST_BY_KIND = (
    _PAGE.where(_events.c.kind == bindparam("kind"))
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
#: Events waiting for the database beyond this are dropped (they are still logged).
BUFFER_LIMIT = 10_000


def _printable(value: str | None, limit: int) -> str | None:
    """``value`` cut to its column, with anything unprintable replaced (it may be request input)."""
    if value is None:
        return None
    return "".join(c if c.isprintable() else "?" for c in value[:limit])


def _params(event: SecurityEvent) -> dict[str, object]:
    return {
        "at": event.at,
        "kind": _printable(event.kind, _LIMITS["kind"]),
        "source": _printable(event.source, _LIMITS["source"]),
        "client_id": _printable(event.client_id, _LIMITS["client_id"]),
        "user_id": _printable(event.user_id, _LIMITS["user_id"]),
        "detail": _printable(event.detail, _LIMITS["detail"]) or "",
    }


def _event(row: Row) -> SecurityEvent:
    return SecurityEvent(
        at=float(row["at"]),
        kind=row["kind"],
        source=row["source"],
        client_id=row["client_id"],
        user_id=row["user_id"],
        detail=row["detail"] or "",
    )


class SqlSecurityEventLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._buffer: list[dict[str, object]] = []
        self._writer: asyncio.Task[None] | None = None

    def record(self, event: SecurityEvent) -> None:
        params = _params(event)
        logger.info(
            "security event %s source=%s client_id=%s user_id=%s%s",
            params["kind"],
            params["source"] or "-",
            params["client_id"] or "-",
            params["user_id"] or "-",
            f" ({params['detail']})" if params["detail"] else "",
        )
        if len(self._buffer) >= BUFFER_LIMIT:
            return
        self._buffer.append(params)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        while self._buffer:
            batch, self._buffer = self._buffer, []
            try:
                await self._db.transact([Step(INSERT, params) for params in batch])
            except Exception:  # the events are in the log; keep serving
                _errors.exception("writing %d security events failed", len(batch))

    async def flush(self) -> None:
        """Wait until every recorded event is written (at shutdown, and in tests)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    async def list(
        self, limit: int = 100, offset: int = 0, kind: str | None = None
    ) -> list[SecurityEvent]:
        await self.flush()
        params: dict[str, object] = {"limit": limit, "offset": offset}
        if kind is None:
            rows = await self._db.fetch_all(LIST, params)
        else:
            rows = await self._db.fetch_all(LIST_BY_KIND, {**params, "kind": kind})
        return [_event(row) for row in rows]
