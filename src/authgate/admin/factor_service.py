"""Use cases on users' second factors (docs/sign-in.md): list what a user enrolled, and
reset it when the user lost the authenticator and the recovery codes.

Nothing here shows a secret: a factor is listed by kind, label and dates, recovery codes by
how many are left. The Config API, the CLI and the TUI call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import NotFound
from authgate.core.mfa.methods import SecondFactorKind
from authgate.core.mfa.reset import reset_factors
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


class FactorAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def _user(self, user: str) -> User:
        users = self._ctx.services.users
        found = await users.get(user) or await users.get_by_username(user.strip())
        if found is None:
            raise NotFound("No such user")
        return found

    async def list(self, user: str) -> UserFactors:
        """The factors of a user named by id or username.

        Raises:
            NotFound: no such user.
        """
        found = await self._user(user)
        factors = self._ctx.services.factors
        views = [
            FactorView(
                f.factor_id,
                f.kind,
                f.label,
                f.created_at,
                f.confirmed_at is not None,
                f.last_used_at,
            )
            for f in await factors.list(found.user_id)
        ]
        left = await factors.recovery_codes_left(found.user_id)
        return UserFactors(found.user_id, found.username, views, left)

    async def reset(self, user: str, actor: Actor) -> dict[str, int]:
        """Remove every factor and recovery code of a user named by id or username; returns
        how many items of each kind were removed. The next sign-in then goes as for a user
        who never enrolled (with ``mfaPolicy`` ``required``: enrolment).

        Raises:
            NotFound: no such user.
        """
        found = await self._user(user)
        removed = await reset_factors(
            found.user_id,
            self._ctx.services,
            source=actor.source,
            detail="reset by an administrator",
        )
        return {kind.value: removed.get(kind.value, 0) for kind in SecondFactorKind} | removed
