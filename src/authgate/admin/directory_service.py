"""Use cases on scopes and users."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import Conflict, NotFound
from authgate.admin.redact import redact
from authgate.admin.schemas import PasswordIn, ScopeIn, ScopeUpdate, UserIn, UserUpdate
from authgate.admin.scopes import ADMIN_SCOPES
from authgate.admin_records import AuditEntry
from authgate.core.types import Scope, User
from authgate.errors import AlreadyExists, InvalidRequest

#: Scopes the server itself depends on: they cannot be deleted.
PROTECTED_SCOPES = frozenset({"openid", *ADMIN_SCOPES})


def _scope_view(scope: Scope | None) -> dict[str, object] | None:
    return None if scope is None else dataclasses.asdict(scope)


def _user_view(user: User | None) -> dict[str, object] | None:
    if user is None:
        return None
    view: dict[str, object] = redact(dataclasses.asdict(user))
    return view


class ScopeAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def _entry(
        self, actor: Actor, action: str, sid: str, before: Scope | None, after: Scope | None
    ) -> AuditEntry:
        return AuditEntry(
            actor.name,
            action,
            "scope",
            sid,
            self._ctx.now(),
            _scope_view(before),
            _scope_view(after),
        )

    async def list(self, pattern: str | None = None) -> list[Scope]:
        scopes = await self._ctx.services.scopes.all()
        if pattern:
            scopes = [s for s in scopes if pattern.lower() in s.scope_id.lower()]
        return scopes

    async def get(self, scope_id: str) -> Scope:
        scope = await self._ctx.store.get_scope(scope_id)
        if scope is None:
            raise NotFound(f"No scope {scope_id!r}")
        return scope

    async def create(self, body: ScopeIn, actor: Actor) -> Scope:
        scope = Scope(body.scope_id, body.description, tuple(body.claims), body.registrable)
        try:
            await self._ctx.store.add_scope(
                scope, self._entry(actor, "scope.create", scope.scope_id, None, scope)
            )
        except AlreadyExists:
            raise Conflict(f"Scope {body.scope_id!r} already exists") from None
        await self._ctx.scopes_changed()
        return scope

    async def update(self, scope_id: str, body: ScopeUpdate, actor: Actor) -> Scope:
        current = await self.get(scope_id)
        if scope_id in ADMIN_SCOPES and body.registrable:
            raise InvalidRequest("registrable: Config API scopes can never be registrable")
        scope = Scope(scope_id, body.description, tuple(body.claims), body.registrable)
        if not await self._ctx.store.replace_scope(
            scope, self._entry(actor, "scope.update", scope_id, current, scope)
        ):
            raise NotFound(f"No scope {scope_id!r}")
        await self._ctx.scopes_changed()
        return scope

    async def delete(self, scope_id: str, actor: Actor) -> None:
        if scope_id in PROTECTED_SCOPES:
            raise InvalidRequest(f"Scope {scope_id!r} is required by the server")
        current = await self.get(scope_id)
        if not await self._ctx.store.delete_scope(
            scope_id, self._entry(actor, "scope.delete", scope_id, current, None)
        ):
            raise NotFound(f"No scope {scope_id!r}")
        await self._ctx.scopes_changed()


class UserAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def _entry(
        self, actor: Actor, action: str, uid: str, before: User | None, after: User | None
    ) -> AuditEntry:
        return AuditEntry(
            actor.name,
            action,
            "user",
            uid,
            self._ctx.now(),
            _user_view(before),
            _user_view(after),
        )

    async def list(
        self, pattern: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[User]:
        """Users whose username, id, email or name contains ``pattern``."""
        return await self._ctx.store.search_users(pattern, limit, offset)

    async def get(self, user_id: str) -> User:
        """A user by id, or by username."""
        users = self._ctx.services.users
        user = await users.get(user_id) or await users.get_by_username(user_id)
        if user is None:
            raise NotFound(f"There is no user {user_id!r}")
        return user

    async def _same_name(self, username: str) -> User | None:
        """A user whose username equals ``username`` ignoring case."""
        folded, offset, page = username.casefold(), 0, 500
        while True:
            found = await self._ctx.store.search_users(username, page, offset)
            for user in found:
                if user.username.casefold() == folded:
                    return user
            if len(found) < page:
                return None
            offset += page

    async def create(self, body: UserIn, actor: Actor) -> User:
        """Add a user; a username taken, or differing from a taken one only in case, is a
        conflict (the login page would take one for the other)."""
        existing = await self._same_name(body.username)
        if existing is not None:
            raise Conflict(
                f"A user {existing.username!r} already exists"
                + ("" if existing.username == body.username else " (names differ only in case)")
            )
        svc = self._ctx.services
        user = User(
            user_id=str(uuid.uuid4()),
            username=body.username,
            password_hash=await asyncio.to_thread(svc.passwords.hash, body.password),
            email=body.email,
            email_verified=body.email_verified,
            name=body.name,
            given_name=body.given_name,
            family_name=body.family_name,
            enabled=body.enabled,
            created_at=int(self._ctx.now()),
        )
        try:
            await self._ctx.store.add_user(
                user, self._entry(actor, "user.create", user.user_id, None, user)
            )
        except AlreadyExists:
            raise Conflict(f"A user {body.username!r} already exists") from None
        return user

    async def update(self, user_id: str, body: UserUpdate, actor: Actor) -> User:
        """Change the members present in ``body``; disabling ends sessions and tokens."""
        current = await self.get(user_id)
        changes = {name: getattr(body, name) for name in body.model_fields_set}
        for name in ("email_verified", "enabled"):
            if name in changes and changes[name] is None:
                raise InvalidRequest(f"{name}: must be true or false")
        user = dataclasses.replace(current, **changes)
        action = "user.disable" if current.enabled and not user.enabled else "user.update"
        if not await self._ctx.store.replace_user(
            user, self._entry(actor, action, user.user_id, current, user)
        ):
            raise NotFound(f"There is no user {user_id!r}")
        return user

    async def set_password(self, user_id: str, body: PasswordIn, actor: Actor) -> User:
        current = await self.get(user_id)
        hashed = await asyncio.to_thread(self._ctx.services.passwords.hash, body.password)
        user = dataclasses.replace(current, password_hash=hashed)
        if not await self._ctx.store.replace_user(
            user, self._entry(actor, "user.set_password", user.user_id, current, user)
        ):
            raise NotFound(f"There is no user {user_id!r}")
        return user
