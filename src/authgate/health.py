"""Readiness: can this process serve? The database answers, its schema is the revision this
code expects, and a signing key can sign.

One check costs one small query (the schema revision, read in the same round trip that
proves the database answers) and no key parsing. Checks are shared: callers within
``ttl`` seconds of the last check get its report, and concurrent callers wait for the one
check in flight, so a probe every second (or a flood of them on the public port) costs the
database at most one query per second per process. docs/operations.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from authgate.crypto.keys import KeyRing, StoredKey
from authgate.storage.engine import Database
from authgate.storage.probe import DatabaseGone, head_revisions, stored_revisions

logger = logging.getLogger(__name__)

OK = "ok"
#: Seconds a readiness report is reused.
REPORT_TTL = 1.0
#: Seconds the database may take to answer before the process counts as not ready.
CHECK_TIMEOUT = 2.0

DatabaseSource = Callable[[], Awaitable[Database]]
KeyCheck = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of one readiness check: each check's name and ``ok`` or what is wrong."""

    checks: Mapping[str, str]

    @property
    def ready(self) -> bool:
        return all(value == OK for value in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, value in self.checks.items() if value != OK]

    def body(self) -> dict[str, Any]:
        """The JSON body of a probe response."""
        body: dict[str, Any] = {"status": "ready" if self.ready else "not ready"}
        if not self.ready:
            body["not_ready"] = self.failing
        body["checks"] = dict(self.checks)
        return body


def schema_state(stored: frozenset[str], expected: frozenset[str]) -> str:
    """``ok``, or how the stored schema revisions differ from this code's."""
    if stored == expected:
        return OK
    if not stored:
        return "not migrated (run `authgate migrate`)"
    return "not at this version's revision (run `authgate migrate`, or update this instance)"


class Readiness:
    """The readiness check of one process.

    Args:
        database: Returns the database to probe (may open it; raising means unreachable).
        signing_key: Returns when a key can sign now; raises ``LookupError`` otherwise.
        ttl: Seconds a report is reused.
        timeout: Seconds each database call may take.
        clock: Monotonic seconds (tests pass a fake).
    """

    def __init__(
        self,
        database: DatabaseSource,
        signing_key: KeyCheck,
        *,
        ttl: float = REPORT_TTL,
        timeout: float = CHECK_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._signing_key = signing_key
        self._ttl = ttl
        self._timeout = timeout
        self._clock = clock
        self._lock = asyncio.Lock()
        self._last: Report | None = None
        self._checked_at = 0.0

    async def report(self) -> Report:
        """The current report: reused within ``ttl``, else checked now (once for everyone
        waiting)."""
        if self._fresh():
            assert self._last is not None
            return self._last
        async with self._lock:
            if not self._fresh():
                self._remember(await self._check())
            assert self._last is not None
            return self._last

    def _fresh(self) -> bool:
        return self._last is not None and self._clock() - self._checked_at < self._ttl

    def _remember(self, report: Report) -> None:
        before = self._last
        self._last, self._checked_at = report, self._clock()
        if before is None or before.ready != report.ready or before.failing != report.failing:
            if report.ready:
                logger.info("ready")
            else:
                logger.warning(
                    "not ready: %s",
                    ", ".join(f"{name}: {report.checks[name]}" for name in report.failing),
                )

    async def _check(self) -> Report:
        checks: dict[str, str] = {}
        try:
            db = await asyncio.wait_for(self._database(), self._timeout)
            stored = await asyncio.wait_for(stored_revisions(db), self._timeout)
        except DatabaseGone:
            checks["database"] = "the SQLite file was deleted or replaced"
            checks["schema"] = "unknown"
        except TimeoutError:
            checks["database"] = f"no answer within {self._timeout:g} s"
            checks["schema"] = "unknown"
        except Exception as exc:  # any driver or connection error means "unreachable"
            logger.debug("database check failed: %s: %s", type(exc).__name__, exc)
            checks["database"] = "unreachable"
            checks["schema"] = "unknown"
        else:
            checks["database"] = OK
            checks["schema"] = schema_state(stored, head_revisions())
        try:
            await self._signing_key()
            checks["signing_key"] = OK
        except LookupError:
            checks["signing_key"] = "no key can sign now"
        except Exception as exc:
            logger.debug("signing key check failed: %s: %s", type(exc).__name__, exc)
            checks["signing_key"] = "keys unavailable"
        return Report(checks)


def keyring_check(keyring: KeyRing) -> KeyCheck:
    """The signing key check of a process with a loaded key ring (a server worker)."""

    async def check() -> None:
        keyring.signing_kid  # noqa: B018 (raises LookupError when no key signs now)

    return check


class StoredKeys:
    """The signing keys as the database has them, for a process without a runtime (the
    management listener): reloaded at most every ``ttl`` seconds, each key parsed once.

    Args:
        load: Returns every stored key (``SqlKeyStore.all``).
        ttl: Seconds between reloads.
        clock: Wall-clock seconds (key times are epoch seconds).
    """

    def __init__(
        self,
        load: Callable[[], Awaitable[list[StoredKey]]],
        *,
        ttl: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._ring: KeyRing | None = None
        self._loaded_at = float("-inf")

    async def ring(self) -> KeyRing:
        """The key ring, reloaded when older than ``ttl``.

        Raises:
            LookupError: the database holds no key.
        """
        now = self._clock()
        if self._ring is None or now - self._loaded_at >= self._ttl:
            keys = await self._load()
            if not keys:
                raise LookupError("no signing keys stored")
            if self._ring is None:
                self._ring = KeyRing(keys, self._clock)
            else:
                self._ring.load(keys)
            self._loaded_at = now
        return self._ring

    async def check(self) -> None:
        """A :data:`KeyCheck`: returns when a key signs the default algorithm now."""
        (await self.ring()).signing_kid  # noqa: B018

    def ages(self) -> dict[str, float]:
        """Seconds since each algorithm's signing key was created (as last loaded)."""
        ring = self._ring
        if ring is None:
            return {}
        now = self._clock()
        created = {stored.kid: stored.created_at for stored in ring.stored}
        return {alg: now - created[ring.signing_kid_for(alg)] for alg in sorted(ring.algorithms)}
