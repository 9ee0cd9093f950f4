"""Single-use values: client assertion ``jti``s, pushed requests, DPoP proof ``jti``s
(``core.ports.AssertionStore``, ``ParStore``, ``ReplayCache``), as
:mod:`authgate.storage.assertions`, :mod:`~authgate.storage.par` and
:mod:`~authgate.storage.replay` keep them."""

from __future__ import annotations

import orjson

from authgate.core.types import PushedRequest
from tests.memory.stores.tables import Pushed, Tables, remember, require_new


class MemoryAssertionStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def remember(self, key: str, expires_at: float, now: float) -> bool:
        """False while an unexpired record of ``key`` exists; a lapsed one is replaced."""
        return remember(self._t.assertions, key, expires_at, now)


class MemoryReplayCache:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def remember(self, key: str, expires_at: float, now: float) -> bool:
        """False while an unexpired record of ``key`` exists; a lapsed one is replaced."""
        return remember(self._t.dpop_jtis, key, expires_at, now)


class MemoryParStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, request: PushedRequest) -> None:
        """Raises IntegrityViolation for a request_hash already taken."""
        require_new(self._t.pushed, [request.request_hash], "par_requests")
        params = orjson.dumps(dict(request.params))
        self._t.pushed[request.request_hash] = Pushed(request.client_id, params, request.expires_at)

    async def consume(self, request_hash: str, client_id: str, now: float) -> PushedRequest | None:
        """None for an unknown, used, expired (``expires_at <= now``) or other client's
        request; else the request, now used."""
        row = self._t.pushed.get(request_hash)
        if row is None or row.client_id != client_id or row.used_at is not None:
            return None
        if row.expires_at <= now:
            return None
        row.used_at = now
        return PushedRequest(request_hash, client_id, orjson.loads(row.params), row.expires_at)
