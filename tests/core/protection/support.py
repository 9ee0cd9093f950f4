"""Doubles for the brute-force protection tests: a password hasher and a failure store that
count how often they are used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from authgate.core.ports import FailureStore
from authgate.core.types import FailureCount, FailureKey
from authgate.crypto.passwords import Argon2PasswordHasher
from tests.support import fast_hasher


class CountingHasher:
    """The fast argon2id hasher, counting ``verify`` calls (each is one password hash)."""

    def __init__(self) -> None:
        self._inner: Argon2PasswordHasher = fast_hasher()
        self.verified = 0

    def hash(self, password: str) -> str:
        return self._inner.hash(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified += 1
        return await self._inner.verify(password_hash, password)


class CountingFailures:
    """A ``FailureStore`` recording each call to the store it wraps."""

    def __init__(self, inner: FailureStore) -> None:
        self.inner = inner
        self.calls: list[str] = []

    async def read(
        self, keys: Sequence[FailureKey], since: float, *, fresh: bool = False
    ) -> list[FailureCount]:
        self.calls.append("read")
        return await self.inner.read(keys, since, fresh=fresh)

    async def add(
        self, keys: Sequence[FailureKey], now: float, since: float, **kw: Any
    ) -> list[FailureCount]:
        self.calls.append("add")
        return await self.inner.add(keys, now, since, **kw)

    async def clear(self, keys: Sequence[FailureKey]) -> None:
        self.calls.append("clear")
        await self.inner.clear(keys)

    @property
    def writes(self) -> list[str]:
        return [c for c in self.calls if c != "read"]
