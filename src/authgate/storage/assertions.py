"""Used client assertion ``jti`` values (implements ``core.ports.AssertionStore``)."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert

from authgate.storage.engine import Database, IntegrityViolation, Step
from authgate.storage.models import CLIENT_ASSERTIONS

_assertions = CLIENT_ASSERTIONS

DROP_EXPIRED_KEY = delete(_assertions).where(
    _assertions.c.assertion_hash == bindparam("assertion_hash"),
    _assertions.c.expires_at <= bindparam("now"),
)
INSERT = insert(_assertions).values(
    assertion_hash=bindparam("assertion_hash"), expires_at=bindparam("expires_at")
)


class SqlAssertionStore:
    """Single use through the primary key: a second insert of one key fails."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, key: str, expires_at: float, now: float) -> bool:
        steps = [
            # an expired record of the same key no longer protects anything: replace it
            Step(DROP_EXPIRED_KEY, {"assertion_hash": key, "now": now}),
            Step(INSERT, {"assertion_hash": key, "expires_at": expires_at}),
        ]
        try:
            await self._db.transact(steps)
        except IntegrityViolation:
            return False
        return True
