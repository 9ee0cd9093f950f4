"""Per-source rate limits shared by every process through the database, at the cost of a
dictionary lookup per request.

Each process counts requests in memory per :class:`~authgate.core.ports.RateWindow` (endpoint
family, source, fixed window) and decides on the last count it read from the shared store plus
the requests it counted since. :meth:`RateLimiter.sync`, run in the background every
``AUTHGATE_RATE_LIMIT_SYNC_INTERVAL`` seconds, adds those requests to the store in one write
(one row per active window) and reads back the totals, so the other processes' requests are
seen within one interval. A window's count is read once when a process first sees it, and
read again when a request finds it older than ``stale_after`` with nothing counted since (a
source that went quiet here may have been busy elsewhere). A request never waits for a write.

The view of a process is at most one interval old, so N processes together may accept up to
what N - 1 of them accept from one source within one interval beyond the limit
(docs/security.md, "Rate limits"). If the store fails, processes count on their own and keep
serving.

A refused request is reported as a ``rate_limited`` security event once per window across all
processes: the store's :meth:`~authgate.core.ports.RateCounterStore.claim` picks the first
process that reports it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from authgate.appconfig import AppConfiguration
from authgate.core.ports import Clock, ConfigSource, RateCounterStore, RateWindow, SecurityEventLog
from authgate.core.rate_limit import (
    DESCRIPTIONS,
    Family,
    Limit,
    counted_source,
    limits_of,
    retry_after,
)
from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent

logger = logging.getLogger(__name__)

#: Windows one process tracks at once. Past it (a flood from this many sources within one
#: period), requests from sources not yet tracked are let through until windows end.
MAX_WINDOWS = 100_000


@dataclass(slots=True)
class _Count:
    """What this process knows about one window."""

    #: The shared count as last read (including this process's synchronised requests).
    known: int = 0
    #: Requests counted here and not yet added to the store.
    pending: int = 0
    #: When ``known`` was read (monotonic seconds).
    fresh_at: float = 0.0
    #: The read in flight, awaited by every request that needs it.
    loading: asyncio.Future[None] | None = None
    #: When this process first refused a request in the window.
    limited_at: float | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request over its family's limit."""

    family: Family
    retry_after: int

    @property
    def description(self) -> str:
        what = DESCRIPTIONS[self.family]
        return f"Too many {what} from this address; retry after {self.retry_after} seconds"


class RateLimiter:
    """The per-source limits of one process (see the module docstring)."""

    def __init__(
        self,
        store: RateCounterStore,
        config: ConfigSource,
        clock: Clock,
        events: SecurityEventLog,
        *,
        stale_after: float,
        max_windows: int = MAX_WINDOWS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._events = events
        self._stale_after = stale_after
        self._max_windows = max_windows
        self._monotonic = monotonic
        self._counts: dict[RateWindow, _Count] = {}
        self._unreported: set[RateWindow] = set()
        self._compiled: tuple[AppConfiguration, dict[Family, Limit]] | None = None
        self._failing = False
        self._full = False

    def limit(self, family: Family) -> Limit | None:
        """``family``'s limit in the configuration in force (None: switched off)."""
        config = self._config.current
        compiled = self._compiled
        if compiled is None or compiled[0] is not config:
            compiled = (config, limits_of(config))
            self._compiled = compiled
        return compiled[1].get(family)

    @property
    def tracked(self) -> int:
        """How many windows this process holds counts for."""
        return len(self._counts)

    async def check(self, family: Family, address: str) -> Refusal | None:
        """Count a request of ``family`` from ``address``; a :class:`Refusal` when it is over
        the limit (it is counted all the same), None when it may proceed."""
        limit = self.limit(family)
        if limit is None:
            return None
        now = self._clock.now()
        window = limit.window(family, counted_source(address), now)
        count = self._counts.get(window)
        if count is None:
            count = self._open(window, now)
            if count is None:
                return None
        elif (
            count.pending == 0
            and count.loading is None
            and self._monotonic() - count.fresh_at > self._stale_after
        ):
            count.loading = asyncio.ensure_future(self._load(window, count))
        if count.loading is not None:
            await asyncio.shield(count.loading)
        used = count.known + count.pending
        count.pending += 1
        if used < limit.count:
            return None
        if count.limited_at is None:
            count.limited_at = now
            self._unreported.add(window)
        return Refusal(family, retry_after(window, now))

    def _open(self, window: RateWindow, now: float) -> _Count | None:
        if len(self._counts) >= self._max_windows:
            self._prune(now)
            if len(self._counts) >= self._max_windows:
                if not self._full:
                    logger.warning(
                        "rate limits: %d windows tracked; requests from new sources are not "
                        "limited until windows end",
                        len(self._counts),
                    )
                    self._full = True
                return None
        self._full = False
        count = _Count()
        self._counts[window] = count
        count.loading = asyncio.ensure_future(self._load(window, count))
        return count

    async def _load(self, window: RateWindow, count: _Count) -> None:
        try:
            count.known = max(count.known, await self._store.count(window))
            count.fresh_at = self._monotonic()
        except Exception:  # count here alone until the store answers again
            self._failed("reading")
        finally:
            count.loading = None

    def _failed(self, what: str) -> None:
        if not self._failing:
            logger.exception("rate limits: %s the shared counts failed; counting locally", what)
            self._failing = True

    async def sync(self) -> None:
        """Add the requests counted here to the store, read back the shared counts, report
        refused windows, and forget windows that have ended."""
        sent = {window: count.pending for window, count in self._counts.items() if count.pending}
        if sent:
            try:
                totals = await self._store.add(sent)
            except Exception:
                self._failed("writing")
                return
            self._failing = False
            fresh = self._monotonic()
            for window, hits in sent.items():
                count = self._counts.get(window)
                if count is None:
                    continue
                count.pending -= hits
                count.known = max(count.known, totals.get(window, 0))
                count.fresh_at = fresh
        for window in sorted(self._unreported):
            try:
                first = await self._store.claim(window)
            except Exception:
                self._failed("reporting")
                break
            self._unreported.discard(window)
            count = self._counts.get(window)
            if first and count is not None and count.limited_at is not None:
                self._report(window, count.limited_at)
        self._prune(self._clock.now())

    def _report(self, window: RateWindow, at: float) -> None:
        self._events.record(
            SecurityEvent(
                at=at,
                kind=EventKind.RATE_LIMITED,
                source=window.source,
                detail=f"too many {DESCRIPTIONS[Family(window.family)]}",
            )
        )

    def _prune(self, now: float) -> None:
        ended = [
            window
            for window, count in self._counts.items()
            if window.end <= now
            and not count.pending
            and count.loading is None
            and window not in self._unreported
        ]
        for window in ended:
            del self._counts[window]

    async def run(self, interval: float) -> None:
        """Synchronise every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sync()
            except Exception:  # never stop synchronising
                logger.exception("rate limits: synchronising failed")
