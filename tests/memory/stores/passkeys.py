"""Users' passkeys (``core.ports.PasskeyStore``), as :mod:`authgate.storage.passkeys` keeps
them."""

from __future__ import annotations

import dataclasses

from authgate.core.passkeys.credential import PasskeyCredential
from tests.memory.stores.tables import Tables


class MemoryPasskeyStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, credential: PasskeyCredential) -> bool:
        if credential.credential_id in self._t.passkeys or credential.user_id not in self._t.users:
            return False
        self._t.passkeys[credential.credential_id] = credential
        return True

    async def get(self, credential_id: str) -> PasskeyCredential | None:
        return self._t.passkeys.get(credential_id)

    async def for_user(self, user_id: str) -> list[PasskeyCredential]:
        mine = (p for p in self._t.passkeys.values() if p.user_id == user_id)
        return sorted(mine, key=lambda p: (p.created_at, p.credential_id))

    async def record_use(
        self,
        credential_id: str,
        *,
        expected_count: int,
        sign_count: int,
        backup_state: bool,
        now: float,
    ) -> bool:
        held = self._t.passkeys.get(credential_id)
        if held is None or held.sign_count != expected_count:
            return False
        self._t.passkeys[credential_id] = dataclasses.replace(
            held, sign_count=sign_count, backup_state=backup_state, last_used_at=now
        )
        return True

    def _owned(self, user_id: str, credential_id: str) -> PasskeyCredential | None:
        held = self._t.passkeys.get(credential_id)
        return held if held is not None and held.user_id == user_id else None

    async def rename(self, user_id: str, credential_id: str, name: str) -> bool:
        held = self._owned(user_id, credential_id)
        if held is None:
            return False
        self._t.passkeys[credential_id] = dataclasses.replace(held, name=name)
        return True

    async def remove(self, user_id: str, credential_id: str) -> bool:
        if self._owned(user_id, credential_id) is None:
            return False
        del self._t.passkeys[credential_id]
        return True
