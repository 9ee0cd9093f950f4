"""A user's approved apps and login sessions, for the account page and the administrators
(``core.ports.AccountStore``)."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select, update

from authgate.core.types import AppRevocation, Approval, LoginSession
from authgate.storage.engine import Database, Step
from authgate.storage.models import CLIENTS, CONSENTS, SESSIONS, TOKENS
from authgate.storage.sessions import session_of

_consents = CONSENTS
_clients = CLIENTS
_sessions = SESSIONS
_tokens = TOKENS

LIST_APPROVALS = (
    select(_consents, _clients.c.client_name)
    .select_from(_consents.join(_clients, _clients.c.client_id == _consents.c.client_id))
    .where(_consents.c.user_id == bindparam("user_id"))
    .order_by(_consents.c.granted_at.desc(), _consents.c.client_id)
)
DELETE_APPROVAL = delete(_consents).where(
    _consents.c.user_id == bindparam("user_id"), _consents.c.client_id == bindparam("client_id")
)
# By client_id (indexed), then the user: a client holds few users' tokens next to all tokens.
REVOKE_CLIENT_USER_TOKENS = (
    update(_tokens)
    .where(
        _tokens.c.client_id == bindparam("client_id"),
        _tokens.c.user_id == bindparam("user_id"),
        _tokens.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
)
LIST_SESSIONS = (
    select(_sessions)
    .where(
        _sessions.c.user_id == bindparam("user_id"),
        _sessions.c.ended_at.is_(None),
        _sessions.c.expires_at > bindparam("now"),
    )
    .order_by(_sessions.c.auth_time.desc(), _sessions.c.sid)
)
GET_BY_SID = select(_sessions).where(
    _sessions.c.sid == bindparam("sid"), _sessions.c.ended_at.is_(None)
)
TOUCH_SESSION = (
    update(_sessions)
    .where(_sessions.c.session_hash == bindparam("session_hash"))
    .values(last_used_at=bindparam("now"))
)


def revoke_approval_steps(user_id: str, client_id: str, now: float) -> list[Step]:
    """The consent's deletion, then the tokens' revocation (row counts in that order)."""
    key = {"user_id": user_id, "client_id": client_id}
    return [
        Step(DELETE_APPROVAL, key),
        Step(REVOKE_CLIENT_USER_TOKENS, key | {"now": now}),
    ]


class SqlAccountStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def approvals(self, user_id: str) -> list[Approval]:
        rows = await self._db.fetch_all(LIST_APPROVALS, {"user_id": user_id})
        return [
            Approval(
                client_id=r["client_id"],
                client_name=r["client_name"] or "",
                scope=tuple(r["scope"].split()),
                granted_at=float(r["granted_at"]),
            )
            for r in rows
        ]

    async def revoke_approval(self, user_id: str, client_id: str, now: float) -> AppRevocation:
        outcome = await self._db.transact(revoke_approval_steps(user_id, client_id, now))
        deleted, revoked = outcome.rowcounts[:2]
        return AppRevocation(approval=deleted > 0, tokens=revoked)

    async def sessions(self, user_id: str, now: float) -> list[LoginSession]:
        rows = await self._db.fetch_all(LIST_SESSIONS, {"user_id": user_id, "now": now})
        return [session_of(r) for r in rows]

    async def session_by_sid(self, sid: str) -> LoginSession | None:
        row = await self._db.fetch_one(GET_BY_SID, {"sid": sid})
        return None if row is None else session_of(row)

    async def touch(self, session_hash: str, now: float) -> None:
        params = {"session_hash": session_hash, "now": int(now)}
        await self._db.transact([Step(TOUCH_SESSION, params)])
