"""Users and scopes (``core.ports.UserStore``, ``ScopeStore``), as
:mod:`authgate.storage.users` keeps them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from authgate.core.types import Scope, User
from authgate.storage.engine import IntegrityViolation
from tests.memory.stores.tables import Tables, require_new


class MemoryUserStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, user: User) -> None:
        """Raises IntegrityViolation for a user_id or username already taken."""
        require_new(self._t.users, [user.user_id], "users")
        require_new({u.username for u in self._t.users.values()}, [user.username], "users")
        self._t.users[user.user_id] = user

    async def add_if_free(self, user: User) -> bool:
        try:
            await self.add(user)
        except IntegrityViolation:
            return False
        return True

    async def get(self, user_id: str) -> User | None:
        return self._t.users.get(user_id)

    async def get_by_username(self, username: str) -> User | None:
        return next((u for u in self._t.users.values() if u.username == username), None)

    async def set_password(self, user_id: str, password_hash: str) -> bool:
        """False for an unknown user."""
        user = self._t.users.get(user_id)
        if user is None:
            return False
        self._t.users[user_id] = dataclasses.replace(user, password_hash=password_hash)
        return True

    async def get_by_email(self, email: str) -> User | None:
        """Verified first, then the oldest, like ``SqlUserStore.get_by_email``."""
        wanted = email.lower()
        found = [u for u in self._t.users.values() if (u.email or "").lower() == wanted]
        found.sort(key=lambda u: (not u.email_verified, u.created_at, u.user_id))
        return found[0] if found else None

    async def set_name(self, user_id: str, name: str) -> bool:
        user = self._t.users.get(user_id)
        if user is None:
            return False
        self._t.users[user_id] = dataclasses.replace(user, name=name)
        return True

    async def list(self, limit: int = 100, offset: int = 0) -> list[User]:
        """By username, like ``SqlUserStore.list``."""
        users = sorted(self._t.users.values(), key=lambda u: u.username)
        return users[offset : offset + limit]

    async def count(self) -> int:
        return len(self._t.users)


class MemoryScopeStore:
    def __init__(self, tables: Tables, scopes: Iterable[Scope] = ()) -> None:
        """Args: scopes: stored at once (e.g. ``authgate.runtime.STANDARD_SCOPES``)."""
        self._t = tables
        for scope in scopes:
            self._insert(scope)

    async def all(self) -> list[Scope]:
        """By scope_id, like ``SqlScopeStore.all``."""
        return sorted(self._t.scopes.values(), key=lambda s: s.scope_id)

    def forget(self) -> None:
        """Nothing to drop: every read goes to the one table, so no copy can be stale."""

    async def add(self, scope: Scope) -> None:
        """Raises IntegrityViolation for a scope_id already taken."""
        self._insert(scope)

    def _insert(self, scope: Scope) -> None:
        require_new(self._t.scopes, [scope.scope_id], "scopes")
        self._t.scopes[scope.scope_id] = dataclasses.replace(
            scope, claims=tuple(str(c) for c in scope.claims), registrable=bool(scope.registrable)
        )
