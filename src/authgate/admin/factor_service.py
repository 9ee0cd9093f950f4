"""Use cases on users' second factors (docs/sign-in.md, docs/account.md): list what a user
enrolled (authenticator apps, passkeys, recovery codes), remove one authenticator app, and
reset everything when the user lost the authenticator and the recovery codes.

Nothing here shows a secret: a factor is listed by kind, label and dates, a passkey by name
and counters, recovery codes by how many are left. Every change is in the audit log and is a
security event naming the administrator. The Config API, the CLI and the TUI call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import NotFound
from authgate.admin_records import AuditEntry
from authgate.core.mfa import factors as user_factors
from authgate.core.mfa.methods import SecondFactorKind
from authgate.core.mfa.reset import reset_factors
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.types import User


@dataclass(frozen=True, slots=True)
class FactorView:
    """One enrolled factor as the admin sees it (no secret)."""

    factor_id: str
    kind: str
    label: str
    created_at: float
    confirmed: bool
    last_used_at: float | None


@dataclass(frozen=True, slots=True)
class UserFactors:
    user_id: str
    username: str
    factors: list[FactorView]
    recovery_codes_left: int
    passkeys: tuple[PasskeyCredential, ...] = ()


class FactorAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def _user(self, user: str) -> User:
        users = self._ctx.services.users
        found = await users.get(user) or await users.get_by_username(user.strip())
        if found is None:
            raise NotFound("No such user")
        return found

    async def _audit(
        self, actor: Actor, action: str, user_id: str, after: dict[str, object]
    ) -> None:
        entry = AuditEntry(actor.name, action, "user", user_id, self._ctx.now(), None, after)
        await self._ctx.accounts.record(entry)

    async def list(self, user: str) -> UserFactors:
        """The factors of a user named by id or username.

        Raises:
            NotFound: no such user.
        """
        found = await self._user(user)
        svc = self._ctx.services
        views = [
            FactorView(
                f.factor_id,
                f.kind,
                f.label,
                f.created_at,
                f.confirmed_at is not None,
                f.last_used_at,
            )
            for f in await svc.factors.list(found.user_id)
        ]
        left = await svc.factors.recovery_codes_left(found.user_id)
        passkeys = tuple(await svc.passkeys.for_user(found.user_id))
        return UserFactors(found.user_id, found.username, views, left, passkeys)

    async def reset(self, user: str, actor: Actor) -> dict[str, int]:
        """Remove every factor, passkey and recovery code of a user named by id or username;
        returns how many items of each kind were removed. The next sign-in then goes as for
        a user who never enrolled (with ``mfaPolicy`` ``required``: enrolment).

        Raises:
            NotFound: no such user.
        """
        found = await self._user(user)
        removed = await reset_factors(
            found.user_id,
            self._ctx.services,
            source=actor.source,
            detail=f"reset by an administrator ({actor.name})",
        )
        counts = {kind.value: removed.get(kind.value, 0) for kind in SecondFactorKind} | removed
        await self._audit(actor, "factors.reset", found.user_id, {"removed": counts})
        return counts

    async def remove(self, user: str, factor_id: str, actor: Actor) -> None:
        """Remove one authenticator app of a user (an administrator may remove the last
        one; the user then enrols again when policy requires a factor).

        Raises:
            NotFound: no such user, or the user has no such factor.
        """
        found = await self._user(user)
        svc = self._ctx.services
        mine = {f.factor_id for f in await svc.factors.list(found.user_id)}
        if factor_id not in mine or not await user_factors.remove_authenticator(
            found.user_id,
            factor_id,
            svc,
            source=actor.source,
            by=f"an administrator ({actor.name})",
            policy=False,
        ):
            raise NotFound(f"User {found.username!r} has no such factor")
        await self._audit(actor, "factor.remove", found.user_id, {"factor_id": factor_id})
