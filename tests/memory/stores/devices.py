"""Device authorization requests (``core.ports.DeviceAuthorizationStore``), as
:mod:`authgate.storage.devices` keeps them: each transition checks its guard and writes
without an ``await`` in between, so it happens once (see :mod:`tests.memory.stores.tables`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from authgate.core.types import DeviceAuthorization, TokenRecord
from tests.memory.stores.grants import _token
from tests.memory.stores.tables import Tables, require_new, words


class MemoryDeviceAuthorizationStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _by_user_code(self, user_code_hash: str) -> DeviceAuthorization | None:
        for request in self._t.devices.values():
            if request.user_code_hash == user_code_hash:
                return request
        return None

    async def add(self, request: DeviceAuthorization) -> bool:
        if request.device_code_hash in self._t.devices or self._by_user_code(
            request.user_code_hash
        ):
            return False
        self._t.devices[request.device_code_hash] = dataclasses.replace(
            request, scope=words(request.scope), amr=words(request.amr)
        )
        return True

    async def get(self, device_code_hash: str) -> DeviceAuthorization | None:
        return self._t.devices.get(device_code_hash)

    async def find(self, user_code_hash: str) -> DeviceAuthorization | None:
        return self._by_user_code(user_code_hash)

    async def poll(self, device_code_hash: str, now: float, *, increase: int) -> bool:
        request = self._t.devices.get(device_code_hash)
        if request is None:
            return False
        last = request.last_polled_at
        if last is None or last + request.interval <= now:
            self._t.devices[device_code_hash] = dataclasses.replace(request, last_polled_at=now)
            return True
        self._t.devices[device_code_hash] = dataclasses.replace(
            request, last_polled_at=now, interval=request.interval + increase
        )
        return False

    async def decide(
        self,
        user_code_hash: str,
        now: float,
        *,
        approved: bool,
        user_id: str,
        auth_time: int,
        acr: str,
        amr: Sequence[str],
    ) -> bool:
        request = self._by_user_code(user_code_hash)
        if request is None or request.status != "pending" or request.expires_at <= now:
            return False
        self._t.devices[request.device_code_hash] = dataclasses.replace(
            request,
            status="approved" if approved else "denied",
            user_id=user_id,
            auth_time=auth_time,
            acr=acr,
            amr=words(amr),
            decided_at=now,
        )
        return True

    async def redeem(
        self, device_code_hash: str, now: float, tokens: Sequence[TokenRecord]
    ) -> bool:
        request = self._t.devices.get(device_code_hash)
        if request is None or request.status != "approved":
            return False
        require_new(self._t.tokens, [t.token_hash for t in tokens], "tokens")
        self._t.devices[device_code_hash] = dataclasses.replace(request, status="issued")
        for t in tokens:
            self._t.tokens[t.token_hash] = _token(t)
        return True
