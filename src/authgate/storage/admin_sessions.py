"""Administrative reads and writes of login sessions and signing keys, with audit entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, select, update

from authgate.admin_records import AuditEntry, SessionView
from authgate.crypto.keys import StoredKey
from authgate.storage import configuration
from authgate.storage.audit import record_step
from authgate.storage.engine import Database, Row, Step
from authgate.storage.models import SESSIONS, TOKENS, USERS

_sessions = SESSIONS
_users = USERS
_tokens = TOKENS

_LIVE = (
    select(_sessions, _users.c.username)
    .join(_users, _users.c.user_id == _sessions.c.user_id, isouter=True)
    .where(_sessions.c.ended_at.is_(None), _sessions.c.expires_at > bindparam("now"))
    .order_by(_sessions.c.auth_time.desc(), _sessions.c.sid)
)
LIST = _LIVE.limit(bindparam("limit")).offset(bindparam("offset"))
LIST_FOR_USER = (
    _LIVE.where(_sessions.c.user_id == bindparam("user_id"))
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
DELETE_SESSION = delete(_sessions).where(_sessions.c.sid == bindparam("sid"))
REVOKE_SESSION_TOKENS = (
    update(_tokens)
    .where(_tokens.c.sid == bindparam("sid"), _tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)


def _session(row: Row) -> SessionView:
    amr = row["amr"]
    loaded = orjson.loads(amr) if isinstance(amr, str | bytes) else amr
    return SessionView(
        sid=row["sid"],
        user_id=row["user_id"],
        username=row["username"],
        auth_time=int(row["auth_time"]),
        expires_at=int(row["expires_at"]),
        acr=row["acr"],
        amr=tuple(loaded or ()),
    )


class SqlAdminSessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(
        self, now: float, *, user_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[SessionView]:
        """Live (not ended, not expired) sessions, newest login first."""
        params: dict[str, Any] = {"now": now, "limit": limit, "offset": offset}
        if user_id is None:
            rows = await self._db.fetch_all(LIST, params)
        else:
            rows = await self._db.fetch_all(LIST_FOR_USER, params | {"user_id": user_id})
        return [_session(r) for r in rows]

    async def revoke(self, sid: str, audit: AuditEntry) -> bool:
        """End the session and revoke every token issued under it."""
        steps = [
            Step(DELETE_SESSION, {"sid": sid}, expect=1),
            Step(REVOKE_SESSION_TOKENS, {"sid": sid, "now": audit.at}),
            record_step(audit),
        ]
        return (await self._db.transact(steps)).applied


class SqlAdminKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def rotate(
        self, successors: Sequence[tuple[StoredKey, Sequence[str], int | None]], audit: AuditEntry
    ) -> bool:
        """Delete expired keys, then add each successor and give the keys it supersedes their
        expiry, with the audit entry, in one transaction. False (nothing written) when another
        instance superseded one of those keys first (compare-and-set, as the upkeep does)."""
        steps = [Step(configuration.DELETE_EXPIRED_KEYS, {"now": audit.at})]
        for key, supersedes, retire_at in successors:
            steps += [
                Step(configuration.SUPERSEDE_KEY, {"kid": kid, "expires_at": retire_at}, expect=1)
                for kid in supersedes
            ]
            steps.append(Step(configuration.INSERT_KEY, configuration._key_params(key)))
        steps.append(record_step(audit))
        return (await self._db.transact(steps)).applied
