"""Administration of users' passkeys: list a user's passkeys, remove one.

Shared by the Config API, the CLI and the TUI. A removal takes effect at once (the next
sign-in with that passkey is refused as an unknown passkey), is in the audit log and is a
``passkey_removed`` security event naming the administrator.
Listings show no key material: the public key stays in the database.
"""

from __future__ import annotations

from typing import Any

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import NotFound
from authgate.admin_records import AuditEntry
from authgate.core.passkeys import enrolment
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.types import User


def passkey_view(passkey: PasskeyCredential) -> dict[str, Any]:
    """What an administrator sees of a passkey."""
    return {
        "credential_id": passkey.credential_id,
        "name": passkey.name,
        "created_at": passkey.created_at,
        "last_used_at": passkey.last_used_at,
        "sign_count": passkey.sign_count,
        "transports": list(passkey.transports),
        "backup_eligible": passkey.backup_eligible,
        "backup_state": passkey.backup_state,
        "aaguid": passkey.aaguid,
    }


class PasskeyAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def _user(self, user: str) -> User:
        users = self._ctx.services.users
        found = await users.get(user) or await users.get_by_username(user)
        if found is None:
            raise NotFound(f"There is no user {user!r}")
        return found

    async def list(self, user: str) -> list[PasskeyCredential]:
        """The passkeys of ``user`` (an id or a username), oldest first.

        Raises:
            NotFound: no such user.
        """
        return await self._ctx.services.passkeys.for_user((await self._user(user)).user_id)

    async def remove(self, user: str, credential_id: str, actor: Actor) -> None:
        """Remove one passkey of ``user``.

        Raises:
            NotFound: no such user, or the user has no such passkey.
        """
        owner = await self._user(user)
        if not await enrolment.remove(
            owner.user_id,
            credential_id,
            self._ctx.services,
            source=actor.source,
            by=f"an administrator ({actor.name})",
        ):
            raise NotFound(f"User {owner.username!r} has no such passkey")
        entry = AuditEntry(actor.name, "passkey.remove", "user", owner.user_id, self._ctx.now(),
                           None, {"credential_id": credential_id})  # fmt: skip
        await self._ctx.accounts.record(entry)
