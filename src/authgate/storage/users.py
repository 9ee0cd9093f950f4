"""Users and scopes (implement ``core.ports.UserStore`` and ``ScopeStore``)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import orjson
from sqlalchemy import bindparam, func, insert, select, update

from authgate.core.types import Scope, User
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.models import SCOPES, USERS

_users = USERS
_scopes = SCOPES
_USER_FIELDS = [f.name for f in dataclasses.fields(User)]

GET_USER = select(_users).where(_users.c.user_id == bindparam("user_id"))
GET_USER_BY_NAME = select(_users).where(_users.c.username == bindparam("username"))
INSERT_USER = insert(_users).values({c: bindparam(c) for c in _USER_FIELDS})
SET_PASSWORD = (
    update(_users)
    .where(_users.c.user_id == bindparam("user_id"))
    .values(password_hash=bindparam("password_hash"))
)
GET_USER_BY_EMAIL = (
    select(_users)
    .where(func.lower(_users.c.email) == func.lower(bindparam("email")))
    .order_by(_users.c.email_verified.desc(), _users.c.created_at, _users.c.user_id)
    .limit(1)
)
SET_NAME = (
    update(_users).where(_users.c.user_id == bindparam("user_id")).values(name=bindparam("name"))
)
LIST_USERS = (
    select(_users).order_by(_users.c.username).limit(bindparam("limit")).offset(bindparam("offset"))
)
COUNT_USERS = select(func.count()).select_from(_users)
ALL_SCOPES = select(_scopes).order_by(_scopes.c.scope_id)
INSERT_SCOPE = insert(_scopes).values({c.name: bindparam(c.name) for c in _scopes.columns})


def _user(row: Row) -> User:
    values: dict[str, Any] = {name: row[name] for name in _USER_FIELDS}
    values["email_verified"] = bool(values["email_verified"])
    values["enabled"] = bool(values["enabled"])
    values["self_registered"] = bool(values["self_registered"])
    return User(**values)


class SqlUserStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user: User) -> None:
        await self._db.transact([Step(INSERT_USER, dataclasses.asdict(user))])

    async def add_if_free(self, user: User) -> bool:
        try:
            await self.add(user)
        except IntegrityViolation:
            return False
        return True

    async def get(self, user_id: str) -> User | None:
        row = await self._db.fetch_one(GET_USER, {"user_id": user_id})
        return _user(row) if row else None

    async def get_by_username(self, username: str) -> User | None:
        row = await self._db.fetch_one(GET_USER_BY_NAME, {"username": username})
        return _user(row) if row else None

    async def set_password(self, user_id: str, password_hash: str) -> bool:
        params = {"user_id": user_id, "password_hash": password_hash}
        return (await self._db.transact([Step(SET_PASSWORD, params, expect=1)])).applied

    async def get_by_email(self, email: str) -> User | None:
        row = await self._db.fetch_one(GET_USER_BY_EMAIL, {"email": email})
        return _user(row) if row else None

    async def set_name(self, user_id: str, name: str) -> bool:
        params = {"user_id": user_id, "name": name}
        return (await self._db.transact([Step(SET_NAME, params, expect=1)])).applied

    async def list(self, limit: int = 100, offset: int = 0) -> list[User]:
        rows = await self._db.fetch_all(LIST_USERS, {"limit": limit, "offset": offset})
        return [_user(r) for r in rows]

    async def count(self) -> int:
        row = await self._db.fetch_one(COUNT_USERS, {})
        return int(row[0]) if row else 0  # type: ignore[index]


class SqlScopeStore:
    """Scopes, cached for ``ttl`` seconds (read on every consent page, userinfo, discovery).

    Other processes drop the cache when told of a change (:mod:`authgate.changes`); a read
    under way while it is dropped does not put its possibly older list back.
    """

    def __init__(self, db: Database, ttl: float = 2.0) -> None:
        self._db = db
        self._ttl = ttl
        self._cached: tuple[float, list[Scope]] | None = None
        self._generation = 0

    async def all(self) -> list[Scope]:
        now = time.monotonic()
        if self._cached is not None and self._cached[0] > now:
            return self._cached[1]
        generation = self._generation
        rows = await self._db.fetch_all(ALL_SCOPES, {})
        scopes = [
            Scope(
                r["scope_id"], r["description"], tuple(_claims(r["claims"])), bool(r["registrable"])
            )
            for r in rows
        ]
        if generation == self._generation:
            self._cached = (now + self._ttl, scopes)
        return scopes

    def forget(self) -> None:
        """Drop the cached list (after an administrative change)."""
        self._generation += 1
        self._cached = None

    async def add(self, scope: Scope) -> None:
        params = {
            "scope_id": scope.scope_id,
            "description": scope.description,
            "claims": orjson.dumps(list(scope.claims)).decode(),
            "registrable": scope.registrable,
        }
        await self._db.transact([Step(INSERT_SCOPE, params)])
        self.forget()


def _claims(value: Any) -> list[str]:
    loaded = orjson.loads(value) if isinstance(value, str | bytes) else value
    return [str(v) for v in loaded or ()]
