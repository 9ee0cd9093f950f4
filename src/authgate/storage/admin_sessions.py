"""Administrative reads and writes of login sessions and signing keys, with audit entries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.crypto.keys import StoredKey
from authgate.storage.audit import AuditEntry, record
from authgate.storage.models import SessionRow, SigningKeyRow, TokenRow, UserRow, table_of

_sessions = table_of(SessionRow)
_users = table_of(UserRow)
_tokens = table_of(TokenRow)
_keys = table_of(SigningKeyRow)


@dataclass(frozen=True, slots=True)
class SessionView:
    """A live login session as the admin sees it (never the cookie or its hash)."""

    sid: str
    user_id: str
    username: str | None
    auth_time: int
    expires_at: int
    acr: str
    amr: tuple[str, ...]


class SqlAdminSessions:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(
        self, now: float, *, user_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[SessionView]:
        """Live (not ended, not expired) sessions, newest login first."""
        query = (
            select(_sessions, _users.c.username)
            .join(_users, _users.c.user_id == _sessions.c.user_id, isouter=True)
            .where(_sessions.c.ended_at.is_(None), _sessions.c.expires_at > now)
            .order_by(_sessions.c.auth_time.desc(), _sessions.c.sid)
            .limit(limit)
            .offset(offset)
        )
        if user_id is not None:
            query = query.where(_sessions.c.user_id == user_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            SessionView(
                sid=r.sid,
                user_id=r.user_id,
                username=r.username,
                auth_time=r.auth_time,
                expires_at=r.expires_at,
                acr=r.acr,
                amr=tuple(r.amr or ()),
            )
            for r in rows
        ]

    async def revoke(self, sid: str, audit: AuditEntry) -> bool:
        """End the session and revoke every token issued under it."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(_sessions).where(_sessions.c.sid == sid))
            if result.rowcount != 1:
                return False
            await conn.execute(
                update(_tokens)
                .where(_tokens.c.sid == sid, _tokens.c.revoked_at.is_(None))
                .values(revoked_at=audit.at)
            )
            await record(conn, audit)
        return True


class SqlAdminKeys:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def rotate(self, new_key: StoredKey, retire_at: int, audit: AuditEntry) -> list[str]:
        """Add ``new_key``; schedule older keys to retire at ``retire_at``; drop retired keys.

        Keys whose retirement time has passed are deleted (they no longer verify anything
        that is still valid). Returns the kids that were deleted.
        """
        now = int(audit.at)
        async with self._engine.begin() as conn:
            expired = (
                (
                    await conn.execute(
                        select(_keys.c.kid).where(
                            _keys.c.expires_at.is_not(None), _keys.c.expires_at <= now
                        )
                    )
                )
                .scalars()
                .all()
            )
            if expired:
                await conn.execute(delete(_keys).where(_keys.c.kid.in_(expired)))
            await conn.execute(
                update(_keys).where(_keys.c.expires_at.is_(None)).values(expires_at=retire_at)
            )
            await conn.execute(
                insert(_keys).values(
                    kid=new_key.kid,
                    alg=new_key.alg,
                    private_pem=new_key.private_pem,
                    created_at=new_key.created_at,
                    expires_at=None,
                )
            )
            await record(conn, audit)
        return list(expired)
