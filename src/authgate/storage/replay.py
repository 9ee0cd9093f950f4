"""The DPoP ``jti`` replay cache (implements ``core.ports.ReplayCache``, RFC 9449 §11.1).

The database is the source of truth, so several instances sharing it refuse a proof replayed
to any of them: remembering a value is an ``INSERT`` that loses on the primary key when the
value is already there. Rows live only while a proof could still be accepted (its ``iat`` plus
``dpopTimeframe``), so the table stays as small as the traffic of one window; expired rows are
skipped by the guard and deleted by :mod:`authgate.storage.janitor`.

The in-process fast path answers a replay to the same instance without a database round trip.
Requests without DPoP never touch this cache.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert

from authgate.storage.engine import Database, IntegrityViolation, Step
from authgate.storage.models import DPOP_JTIS

_jtis = DPOP_JTIS

DROP_STALE = delete(_jtis).where(
    _jtis.c.jti_hash == bindparam("jti_hash"), _jtis.c.expires_at <= bindparam("now")
)
INSERT = insert(_jtis).values(jti_hash=bindparam("jti_hash"), expires_at=bindparam("expires_at"))
LOCAL_LIMIT = 100_000


class SqlReplayCache:
    def __init__(self, db: Database, local_limit: int = LOCAL_LIMIT) -> None:
        self._db = db
        self._local: dict[str, float] = {}
        self._limit = local_limit

    async def remember(self, key: str, expires_at: float, now: float) -> bool:
        seen = self._local.get(key)
        if seen is not None and seen > now:
            return False
        params = {"jti_hash": key, "expires_at": expires_at, "now": now}
        try:
            await self._db.transact([Step(DROP_STALE, params), Step(INSERT, params)])
        except IntegrityViolation:
            # Not kept locally: this call's expires_at is not the stored record's, and a
            # replay is rare enough to ask the database again.
            return False
        self._keep(key, expires_at, now)
        return True

    def _keep(self, key: str, expires_at: float, now: float) -> None:
        if len(self._local) >= self._limit:
            self._local = {k: v for k, v in self._local.items() if v > now}
            if len(self._local) >= self._limit:  # a burst: the database still answers
                self._local.clear()
        self._local[key] = expires_at
