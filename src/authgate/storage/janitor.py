"""Deleting expired rows in small batches, so tables and indexes stay proportional to live data.

Consumed authorization codes are kept for ``replay_window`` seconds after they expire, so a late
replay is still recognised and the tokens minted from the code are revoked (RFC 6749 §4.1.2).
Rotated refresh tokens expire with their grant (they keep its absolute expiry), so reuse
detection is unaffected.
"""

from __future__ import annotations

from sqlalchemy import Delete, bindparam, delete, select

from authgate.storage.database import Database, Step
from authgate.storage.models import (
    AuthorizationCodeRow,
    InteractionRow,
    SessionRow,
    TokenRow,
    table_of,
)

BATCH = 1000


def _purge(model: type, key: str) -> Delete:
    table = table_of(model)
    expired = select(table.c[key]).where(table.c.expires_at < bindparam("before")).limit(BATCH)
    return delete(table).where(table.c[key].in_(expired.scalar_subquery()))


PURGES = (
    ("authorization_codes", _purge(AuthorizationCodeRow, "code_hash"), True),
    ("tokens", _purge(TokenRow, "token_hash"), False),
    ("interactions", _purge(InteractionRow, "interaction_id"), False),
    ("sessions", _purge(SessionRow, "session_hash"), False),
)


async def purge_expired(db: Database, now: float, replay_window: float = 3600.0) -> dict[str, int]:
    """Delete expired codes, tokens, interactions and sessions; returns counts per table."""
    counts: dict[str, int] = {}
    for name, statement, keep_for_replay in PURGES:
        before = now - replay_window if keep_for_replay else now
        total = 0
        while True:
            outcome = await db.transact([Step(statement, {"before": before})])
            total += outcome.rowcounts[0]
            if outcome.rowcounts[0] < BATCH:
                break
        counts[name] = total
    return counts
