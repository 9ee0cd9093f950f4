"""Users and scopes (implement ``core.ports.UserStore`` and ``ScopeStore``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.core.types import Scope, User
from authgate.storage.models import ScopeRow, UserRow, table_of

_users = table_of(UserRow)
_scopes = table_of(ScopeRow)


def _user(row: Any) -> User:
    return User(**{f.name: getattr(row, f.name) for f in dataclasses.fields(User)})


class SqlUserStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, user: User) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(_users).values(**dataclasses.asdict(user)))

    async def get(self, user_id: str) -> User | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(_users).where(_users.c.user_id == user_id))).first()
        return _user(row) if row else None

    async def get_by_username(self, username: str) -> User | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(_users).where(_users.c.username == username))).first()
        return _user(row) if row else None

    async def set_password(self, user_id: str, password_hash: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_users)
                .where(_users.c.user_id == user_id)
                .values(password_hash=password_hash)
            )
        return result.rowcount == 1

    async def list(self, limit: int = 100, offset: int = 0) -> list[User]:
        query = select(_users).order_by(_users.c.username).limit(limit).offset(offset)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_user(r) for r in rows]

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(_users))).scalar_one())


class SqlScopeStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> list[Scope]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(_scopes).order_by(_scopes.c.scope_id))).all()
        return [
            Scope(r.scope_id, r.description, tuple(r.claims or ()), r.registrable) for r in rows
        ]

    async def add(self, scope: Scope) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(_scopes).values(
                    scope_id=scope.scope_id,
                    description=scope.description,
                    claims=list(scope.claims),
                    registrable=scope.registrable,
                )
            )
