"""A user's approved apps and login sessions (``core.ports.AccountStore``), as
:mod:`authgate.storage.accounts` keeps them."""

from __future__ import annotations

import dataclasses

from authgate.core.types import AppRevocation, Approval, LoginSession
from tests.memory.stores.tables import Tables


class MemoryAccountStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def approvals(self, user_id: str) -> list[Approval]:
        """Consents of clients that exist (the SQL join), newest first."""
        found = []
        for (uid, client_id), consent in self._t.consents.items():
            held = self._t.clients.get(client_id)
            if uid != user_id or held is None:
                continue
            found.append(
                Approval(
                    client_id=client_id,
                    client_name=held[0].metadata.client_name,
                    scope=tuple(sorted(consent.scope)),
                    granted_at=consent.granted_at,
                )
            )
        return sorted(found, key=lambda a: (-a.granted_at, a.client_id))

    async def revoke_approval(self, user_id: str, client_id: str, now: float) -> AppRevocation:
        deleted = self._t.consents.pop((user_id, client_id), None) is not None
        revoked = 0
        for token_hash, token in list(self._t.tokens.items()):
            if (
                token.client_id == client_id
                and token.user_id == user_id
                and token.revoked_at is None
            ):
                self._t.tokens[token_hash] = dataclasses.replace(token, revoked_at=now)
                revoked += 1
        return AppRevocation(approval=deleted, tokens=revoked)

    async def sessions(self, user_id: str, now: float) -> list[LoginSession]:
        live = [s for s in self._t.sessions.values() if s.user_id == user_id and s.expires_at > now]
        return sorted(live, key=lambda s: (-s.auth_time, s.sid))

    async def session_by_sid(self, sid: str) -> LoginSession | None:
        return next((s for s in self._t.sessions.values() if s.sid == sid), None)

    async def touch(self, session_hash: str, now: float) -> None:
        held = self._t.sessions.get(session_hash)
        if held is not None:
            self._t.sessions[session_hash] = dataclasses.replace(held, last_used_at=int(now))
