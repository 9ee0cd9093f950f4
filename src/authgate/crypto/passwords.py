"""User password hashing with argon2id (RFC 9106), run off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: argon2id parameters (time cost, memory in KiB, lanes) by ``password_hash_cost`` setting.
#: ``standard`` is RFC 9106's second recommended option (section 4: t=3, 64 MiB, 4 lanes);
#: ``minimal`` is the least argon2-cffi takes, for test suites only (it makes stolen hashes
#: cheap to attack). A hash records its parameters, so either verifies the other's hashes.
COSTS: dict[str, tuple[int, int, int]] = {
    "standard": (3, 65536, 4),
    "minimal": (1, 1024, 1),
}


class Argon2PasswordHasher:
    """argon2id with argon2-cffi's RFC 9106 "low memory" profile by default.

    ``verify`` always does the work of one hash, also for unknown users (``None`` hash), so
    response time does not reveal whether a username exists.
    """

    def __init__(self, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
        self._hasher = _Argon2(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self._dummy = self._hasher.hash("authgate-dummy-password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            ok = self._hasher.verify(password_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and password_hash is not None


def hasher_for(cost: str) -> Argon2PasswordHasher:
    """The hasher of a ``password_hash_cost`` setting (:data:`COSTS`)."""
    time_cost, memory_cost, parallelism = COSTS[cost]
    return Argon2PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    )
