"""Initial access tokens (``core.ports.InitialAccessTokenStore``), as
:mod:`authgate.storage.initial_tokens` keeps them."""

from __future__ import annotations

import dataclasses

from authgate.core.types import InitialAccessToken
from tests.memory.stores.tables import Tables, require_new


class MemoryInitialAccessTokenStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _by_hash(self, token_hash: str) -> InitialAccessToken | None:
        return next(
            (t for t in self._t.initial_tokens.values() if t.token_hash == token_hash), None
        )

    async def add(self, token: InitialAccessToken) -> None:
        """Raises IntegrityViolation for a token_id or token_hash already taken."""
        require_new(self._t.initial_tokens, [token.token_id], "initial_access_tokens")
        taken = {t.token_hash for t in self._t.initial_tokens.values()}
        require_new(taken, [token.token_hash], "initial_access_tokens")
        self._t.initial_tokens[token.token_id] = token

    async def find(self, token_hash: str) -> InitialAccessToken | None:
        return self._by_hash(token_hash)

    async def use(self, token_hash: str, now: float) -> bool:
        token = self._by_hash(token_hash)
        if token is None or not token.usable(now):
            return False
        self._t.initial_tokens[token.token_id] = dataclasses.replace(token, uses=token.uses + 1)
        return True

    async def list(self, limit: int = 100, offset: int = 0) -> list[InitialAccessToken]:
        ordered = sorted(self._t.initial_tokens.values(), key=lambda t: (-t.created_at, t.token_id))
        return ordered[offset : offset + limit]

    async def revoke(self, token_id: str, now: float) -> bool:
        token = self._t.initial_tokens.get(token_id)
        if token is None or token.revoked_at is not None:
            return False
        self._t.initial_tokens[token_id] = dataclasses.replace(token, revoked_at=now)
        return True
