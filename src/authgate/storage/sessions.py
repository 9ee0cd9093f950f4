"""Login sessions, pending interactions and remembered consent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.core.types import AuthorizationRequest, Interaction, LoginSession
from authgate.storage.models import ConsentRow, InteractionRow, SessionRow, table_of

_sessions = table_of(SessionRow)
_interactions = table_of(InteractionRow)
_consents = table_of(ConsentRow)


class SqlSessionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, session: LoginSession) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(_sessions).values(
                    session_hash=session.session_hash,
                    sid=session.sid,
                    user_id=session.user_id,
                    auth_time=session.auth_time,
                    expires_at=session.expires_at,
                    acr=session.acr,
                    amr=list(session.amr),
                )
            )

    async def get(self, session_hash: str) -> LoginSession | None:
        query = select(_sessions).where(
            _sessions.c.session_hash == session_hash, _sessions.c.ended_at.is_(None)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return LoginSession(
            session_hash=row.session_hash,
            sid=row.sid,
            user_id=row.user_id,
            auth_time=row.auth_time,
            expires_at=row.expires_at,
            acr=row.acr,
            amr=tuple(row.amr or ()),
        )

    async def end(self, session_hash: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(_sessions).where(_sessions.c.session_hash == session_hash))


def _interaction_row(ix: Interaction) -> dict[str, Any]:
    return {
        "interaction_id": ix.interaction_id,
        "browser_hash": ix.browser_hash,
        "csrf_token": ix.csrf_token,
        "request": ix.request.to_json(),
        "user_id": ix.user_id,
        "session_hash": ix.session_hash,
        "login_done": ix.login_done,
        "created_at": ix.created_at,
        "expires_at": ix.expires_at,
    }


class SqlInteractionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, interaction: Interaction) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(_interactions).values(**_interaction_row(interaction)))

    async def get(self, interaction_id: str) -> Interaction | None:
        query = select(_interactions).where(_interactions.c.interaction_id == interaction_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return Interaction(
            interaction_id=row.interaction_id,
            browser_hash=row.browser_hash,
            csrf_token=row.csrf_token,
            request=AuthorizationRequest.from_json(row.request),
            expires_at=row.expires_at,
            user_id=row.user_id,
            session_hash=row.session_hash,
            login_done=row.login_done,
            created_at=row.created_at,
        )

    async def replace(self, interaction: Interaction) -> None:
        values = _interaction_row(interaction)
        del values["interaction_id"]
        async with self._engine.begin() as conn:
            await conn.execute(
                update(_interactions)
                .where(_interactions.c.interaction_id == interaction.interaction_id)
                .values(**values)
            )

    async def delete(self, interaction_id: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(_interactions).where(_interactions.c.interaction_id == interaction_id)
            )
        return result.rowcount == 1


class SqlConsentStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def granted(self, user_id: str, client_id: str) -> frozenset[str]:
        query = select(_consents.c.scope).where(
            _consents.c.user_id == user_id, _consents.c.client_id == client_id
        )
        async with self._engine.connect() as conn:
            value = (await conn.execute(query)).scalar_one_or_none()
        return frozenset(value.split()) if value else frozenset()

    async def grant(self, user_id: str, client_id: str, scope: Iterable[str], now: float) -> None:
        """Add ``scope`` to what the user has approved for the client (union, upsert)."""
        async with self._engine.begin() as conn:
            query = select(_consents.c.scope).where(
                _consents.c.user_id == user_id, _consents.c.client_id == client_id
            )
            existing = (await conn.execute(query)).scalar_one_or_none()
            merged = " ".join(sorted(set(scope) | set((existing or "").split())))
            if existing is None:
                await conn.execute(
                    insert(_consents).values(
                        user_id=user_id, client_id=client_id, scope=merged, granted_at=now
                    )
                )
            else:
                await conn.execute(
                    update(_consents)
                    .where(_consents.c.user_id == user_id, _consents.c.client_id == client_id)
                    .values(scope=merged, granted_at=now)
                )
