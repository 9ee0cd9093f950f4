"""Administrators' view of a user's account: the apps the user approved (grants) and the
user's login sessions, with revocation (docs/account.md, "For administrators").

The same core services as the account page (:mod:`authgate.core.account.service`): revoking
a grant revokes the client's tokens for the user at once; ending a session is logout with
back-channel Logout Tokens. Every change is in the audit log and is a security event naming
an administrator. Users are named by id or username.
"""

from __future__ import annotations

from authgate.admin.context import Actor, AdminContext
from authgate.admin.directory_service import UserAdmin
from authgate.admin.errors import NotFound
from authgate.admin_records import AuditEntry
from authgate.core.account import service
from authgate.core.types import AppRevocation, Approval, LoginSession, User


class UserAccountAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._users = UserAdmin(ctx)

    async def user(self, user: str) -> User:
        return await self._users.get(user)

    async def grants(self, user: str) -> list[Approval]:
        found = await self.user(user)
        return await service.connected_apps(self._ctx.services, found.user_id)

    async def revoke_grant(self, user: str, client_id: str, actor: Actor) -> AppRevocation:
        """Raises NotFound when the user approved nothing for the client and the client
        holds no live token of the user."""
        found = await self.user(user)
        svc = self._ctx.services
        entry = AuditEntry(actor.name, "grant.revoke", "user", found.user_id, self._ctx.now(),
                           {"client_id": client_id}, None)  # fmt: skip
        result = await self._ctx.accounts.revoke_grant(found.user_id, client_id, entry)
        if not (result.approval or result.tokens):
            raise NotFound(f"User {user!r} has no grant for client {client_id!r}")
        service.app_revoked(svc, found.user_id, client_id, result,
                            by="administrator", source=actor.source)  # fmt: skip
        return result

    async def revoke_grants(self, user: str, actor: Actor) -> list[str]:
        """Revoke every grant of the user; returns the client ids revoked."""
        revoked = []
        for grant in await self.grants(user):
            try:
                await self.revoke_grant(user, grant.client_id, actor)
            except NotFound:
                continue  # revoked meanwhile
            revoked.append(grant.client_id)
        return revoked

    async def sessions(self, user: str) -> list[LoginSession]:
        found = await self.user(user)
        return await service.live_sessions(self._ctx.services, found.user_id)

    async def end_session(self, user: str, sid: str, actor: Actor) -> None:
        """End one of the user's sessions as logout does (back-channel logout included).

        Raises:
            NotFound: the user has no live session ``sid``.
        """
        found = await self.user(user)
        svc = self._ctx.services
        if not await service.end_session(svc, found.user_id, sid, by="administrator",
                                         source=actor.source):  # fmt: skip
            raise NotFound(f"User {user!r} has no live session {sid!r}")
        await self._ctx.accounts.record(
            AuditEntry(
                actor.name,
                "session.end",
                "session",
                sid,
                self._ctx.now(),
                {"user_id": found.user_id},
                None,
            )
        )

    async def end_sessions(self, user: str, actor: Actor) -> int:
        """End every live session of the user; returns how many were ended."""
        ended = 0
        for session in await self.sessions(user):
            try:
                await self.end_session(user, session.sid, actor)
            except NotFound:
                continue  # ended meanwhile
            ended += 1
        return ended
