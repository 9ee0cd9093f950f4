"""Named expiring leases: one instance at a time does a cluster-wide job (key generation).

A lease is one row. Taking it is a guarded ``UPDATE`` that succeeds only when the lease has
expired or is already ours; the first taker of a new lease inserts the row, and a concurrent
insert loses on the primary key. Correctness never depends on a lease alone (key rotation is
also a compare-and-set); the lease only keeps instances from doing the same work twice.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, or_, update

from authgate.storage.engine import Database, IntegrityViolation, Step
from authgate.storage.models import LEASES

_leases = LEASES

TAKE = (
    update(_leases)
    .where(
        _leases.c.name == bindparam("name"),
        or_(_leases.c.expires_at <= bindparam("now"), _leases.c.holder == bindparam("holder")),
    )
    .values(holder=bindparam("holder"), expires_at=bindparam("until"))
)
CREATE = insert(_leases).values(
    name=bindparam("name"), holder=bindparam("holder"), expires_at=bindparam("until")
)


class SqlLeaseStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def try_acquire(self, name: str, holder: str, now: float, ttl: float) -> bool:
        """Take (or extend) lease ``name`` for ``ttl`` seconds; False if another holds it."""
        params = {"name": name, "holder": holder, "now": now, "until": now + ttl}
        if (await self._db.transact([Step(TAKE, params, expect=1)])).applied:
            return True
        try:
            await self._db.transact([Step(CREATE, params)])
        except IntegrityViolation:
            return False
        return True
