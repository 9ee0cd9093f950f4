"""User password hashing with argon2id (RFC 9106), run off the event loop."""

from __future__ import annotations

import asyncio
import base64
import secrets

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import ARGON2_VERSION

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
        self._dummy = _unmatchable(self._hasher)

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


def _unmatchable(hasher: _Argon2) -> str:
    """An encoded argon2id hash with ``hasher``'s parameters that no password matches: a
    random salt and a random digest. Verifying a password against it is the same argon2id
    computation as against a user's hash. Made without hashing anything: hashing a dummy
    password cost every process that starts a runtime (each server worker, each local admin
    command) one argon2id computation, about 120 ms of CPU and 64 MiB at ``standard``."""

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii").rstrip("=")

    return (
        f"$argon2id$v={ARGON2_VERSION}$m={hasher.memory_cost},t={hasher.time_cost},"
        f"p={hasher.parallelism}${b64(secrets.token_bytes(hasher.salt_len))}"
        f"${b64(secrets.token_bytes(hasher.hash_len))}"
    )


def hasher_for(cost: str) -> Argon2PasswordHasher:
    """The hasher of a ``password_hash_cost`` setting (:data:`COSTS`)."""
    time_cost, memory_cost, parallelism = COSTS[cost]
    return Argon2PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    )
