"""Initial access tokens for registration (implements ``core.ports.InitialAccessTokenStore``
and ``admin.ports.AdminInitialTokens``, RFC 7591 §3).

A use is one guarded ``UPDATE ... SET uses = uses + 1`` that matches only a live token with a
use left: the database serialises concurrent updates of the row (SQLite's single writer;
PostgreSQL re-checks the condition on the row version the first writer committed), so of two
registrations racing for a token's last use exactly one gets a row, whichever instance serves
it. Only the hash of a token's value is stored. The administrative writes (issue, revoke) are
committed with their audit entry; expired tokens are deleted by :mod:`authgate.storage.janitor`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from authgate.admin_records import AuditEntry
from authgate.core.types import InitialAccessToken
from authgate.errors import AlreadyExists
from authgate.storage.audit import record_step
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.models import INITIAL_ACCESS_TOKENS

_tokens = INITIAL_ACCESS_TOKENS
_FIELDS = tuple(f.name for f in dataclasses.fields(InitialAccessToken))

INSERT = insert(_tokens).values({name: bindparam(name) for name in _FIELDS})
FIND = select(_tokens).where(_tokens.c.token_hash == bindparam("token_hash"))
LIST = (
    select(_tokens)
    .order_by(_tokens.c.created_at.desc(), _tokens.c.token_id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
USE = (
    update(_tokens)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.revoked_at.is_(None),
        _tokens.c.expires_at > bindparam("now"),
        _tokens.c.uses < _tokens.c.max_uses,
    )
    .values(uses=_tokens.c.uses + 1)
)
REVOKE = (
    update(_tokens)
    .where(_tokens.c.token_id == bindparam("token_id"), _tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)


def _params(token: InitialAccessToken) -> dict[str, Any]:
    return {name: getattr(token, name) for name in _FIELDS}


def _token(row: Row) -> InitialAccessToken:
    revoked = row["revoked_at"]
    return InitialAccessToken(
        token_id=row["token_id"],
        token_hash=row["token_hash"],
        created_at=float(row["created_at"]),
        expires_at=float(row["expires_at"]),
        max_uses=int(row["max_uses"]),
        uses=int(row["uses"]),
        revoked_at=None if revoked is None else float(revoked),
        description=row["description"] or "",
        created_by=row["created_by"] or "",
    )


class SqlInitialAccessTokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- core.ports.InitialAccessTokenStore --------------------------------------------------

    async def add(self, token: InitialAccessToken) -> None:
        await self._db.transact([Step(INSERT, _params(token))])

    async def find(self, token_hash: str) -> InitialAccessToken | None:
        row = await self._db.fetch_one(FIND, {"token_hash": token_hash})
        return None if row is None else _token(row)

    async def use(self, token_hash: str, now: float) -> bool:
        guard = {"token_hash": token_hash, "now": now}
        return (await self._db.transact([Step(USE, guard, expect=1)])).applied

    async def list(self, limit: int = 100, offset: int = 0) -> list[InitialAccessToken]:
        rows = await self._db.fetch_all(LIST, {"limit": limit, "offset": offset})
        return [_token(row) for row in rows]

    async def revoke(self, token_id: str, now: float) -> bool:
        guard = {"token_id": token_id, "now": now}
        return (await self._db.transact([Step(REVOKE, guard, expect=1)])).applied

    # --- admin.ports.AdminInitialTokens: the same writes with their audit entry -----------

    async def issue(self, token: InitialAccessToken, audit: AuditEntry) -> None:
        """Store ``token`` and its audit entry in one transaction.

        Raises:
            AlreadyExists: its id or hash is taken (nothing written).
        """
        try:
            await self._db.transact([Step(INSERT, _params(token)), record_step(audit)])
        except IntegrityViolation as exc:
            raise AlreadyExists(str(exc)) from exc

    async def withdraw(self, token_id: str, now: float, audit: AuditEntry) -> bool:
        """Revoke the token and record ``audit``; False (nothing written) if there is no such
        token or it was already revoked."""
        guard = {"token_id": token_id, "now": now}
        steps = [Step(REVOKE, guard, expect=1), record_step(audit)]
        return (await self._db.transact(steps)).applied
