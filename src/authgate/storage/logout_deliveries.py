"""Back-channel logout deliveries not yet done (implements
``authgate.outbound.backchannel.DeliveryStore``).

A row lives from the logout that submitted it until its token is delivered, refused or given
up. ``due_at`` is when the next attempt may start. A process takes a row for an attempt with
a guarded update (``due_at <= now``, setting ``holder`` and ``due_at`` to the end of its
lease), so of several processes (instances on PostgreSQL, workers on one SQLite file) exactly
one attempts it; the row is another's again only once that lease has run out, that is if the
holder died mid-attempt. Results are written only by the holder.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, delete, func, insert, select, update

from authgate.core.types import LogoutDelivery, LogoutNotice
from authgate.storage.engine import Database, Row, Step
from authgate.storage.models import LOGOUT_DELIVERIES

_deliveries = LOGOUT_DELIVERIES
_COLUMNS = [c.name for c in _deliveries.columns]
_this = _deliveries.c.delivery_id == bindparam("delivery_id")
_held = _deliveries.c.holder == bindparam("holder")

INSERT = insert(_deliveries).values({c: bindparam(c) for c in _COLUMNS})
DUE = (
    select(_deliveries)
    .where(_deliveries.c.due_at <= bindparam("now"))
    .order_by(_deliveries.c.due_at)
    .limit(bindparam("limit"))
)
CLAIM = (
    update(_deliveries)
    .where(_this, _deliveries.c.due_at <= bindparam("now"))
    .values(holder=bindparam("holder"), due_at=bindparam("until"))
)
RETRY = (
    update(_deliveries)
    .where(_this, _held)
    .values(attempts=bindparam("attempts"), due_at=bindparam("due_at"))
)
FINISH = delete(_deliveries).where(_this, _held)
COUNT = select(func.count()).select_from(_deliveries)


def _delivery(row: Row) -> LogoutDelivery:
    notice = LogoutNotice(row["client_id"], row["uri"], row["logout_token"])
    return LogoutDelivery(
        row["delivery_id"], notice, int(row["attempts"]), float(row["created_at"])
    )


class SqlLogoutDeliveryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, deliveries: Sequence[LogoutDelivery], holder: str, until: float) -> None:
        """Keep ``deliveries``, taken by ``holder`` until ``until`` (their first attempt)."""
        if not deliveries:
            return
        rows = [
            {
                "delivery_id": d.delivery_id,
                "client_id": d.notice.client_id,
                "uri": d.notice.uri,
                "logout_token": d.notice.logout_token,
                "attempts": d.attempts,
                "due_at": until,
                "holder": holder,
                "created_at": d.created_at,
            }
            for d in deliveries
        ]
        await self._db.transact([Step(INSERT, rows)])

    async def due(self, now: float, limit: int) -> list[LogoutDelivery]:
        """Deliveries whose next attempt may start (and nobody is attempting), oldest first."""
        rows = await self._db.fetch_all(DUE, {"now": now, "limit": limit})
        return [_delivery(r) for r in rows]

    async def claim(self, delivery_id: str, holder: str, now: float, until: float) -> bool:
        """Take a due delivery for an attempt until ``until``; False if it is not due (taken
        by another process, or done)."""
        params = {"delivery_id": delivery_id, "holder": holder, "now": now, "until": until}
        return (await self._db.transact([Step(CLAIM, params, expect=1)])).applied

    async def retry(self, delivery_id: str, holder: str, attempts: int, due_at: float) -> bool:
        """Record a failed attempt and when the next may start; False if ``holder`` lost it."""
        params = {
            "delivery_id": delivery_id,
            "holder": holder,
            "attempts": attempts,
            "due_at": due_at,
        }
        return (await self._db.transact([Step(RETRY, params, expect=1)])).applied

    async def finish(self, delivery_id: str, holder: str) -> bool:
        """Forget a delivery that is done (delivered, refused or given up)."""
        params = {"delivery_id": delivery_id, "holder": holder}
        return (await self._db.transact([Step(FINISH, params, expect=1)])).applied

    async def count(self) -> int:
        """Deliveries not yet done."""
        row = await self._db.fetch_one(COUNT, {})
        return int(row[0]) if row else 0  # type: ignore[index]
