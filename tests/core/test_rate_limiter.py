"""The per-source rate limiter on memory stores: counting in fixed windows, several processes
sharing one store (each a ``RateLimiter``), staleness, reporting once, failing open."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pytest

from authgate.core.ports import RateWindow
from authgate.core.rate_limit import Family, Limit, counted_source, limits_of, retry_after
from authgate.core.rate_limiter import RateLimiter, Refusal
from authgate.core.security_events import EventKind
from tests.memory.doubles import RecordingSecurityEvents, StaticConfig
from tests.memory.stores import MemoryRateCounterStore, Tables
from tests.support import FakeClock

#: The fake clock's start is a multiple of 60, so a 60-second window begins at it.
START = 1_800_000_000.0
SOURCE = "192.0.2.7"


class Monotonic:
    """A controllable ``time.monotonic``."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


class Process:
    """One server process's limiter over a shared store, configuration, clock and events."""

    def __init__(
        self,
        tables: Tables,
        config: StaticConfig,
        clock: FakeClock,
        events: RecordingSecurityEvents,
        **options: int,
    ) -> None:
        self.monotonic = Monotonic()
        self.limiter = RateLimiter(
            MemoryRateCounterStore(tables),
            config,
            clock,
            events,
            stale_after=0.2,
            monotonic=self.monotonic,
            **options,
        )

    async def outcomes(self, n: int, family: Family = Family.TOKEN, source: str = SOURCE) -> str:
        """``n`` requests: ``.`` allowed, ``x`` refused."""
        results = [await self.limiter.check(family, source) for _ in range(n)]
        return "".join("." if r is None else "x" for r in results)


@pytest.fixture
def tables() -> Tables:
    return Tables()


@pytest.fixture
def config() -> StaticConfig:
    config = StaticConfig()
    config.update(rateLimitTokenRequestCount=3, rateLimitTokenPeriodInSeconds=60)
    return config


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def events() -> RecordingSecurityEvents:
    return RecordingSecurityEvents()


@pytest.fixture
def process(
    tables: Tables, config: StaticConfig, clock: FakeClock, events: RecordingSecurityEvents
) -> Process:
    return Process(tables, config, clock, events)


@pytest.fixture
def peer(
    tables: Tables, config: StaticConfig, clock: FakeClock, events: RecordingSecurityEvents
) -> Process:
    """A second process over the same store."""
    return Process(tables, config, clock, events)


def test_limits_come_from_the_configuration_and_zero_switches_one_off() -> None:
    config = StaticConfig()
    defaults = limits_of(config.current)
    assert defaults[Family.REGISTRATION] == Limit(10, 60)
    assert defaults[Family.TOKEN] == Limit(600, 60)
    assert set(defaults) == set(Family)
    config.update(rateLimitParRequestCount=0, rateLimitConfigApiPeriodInSeconds=3600)
    changed = limits_of(config.current)
    assert Family.PAR not in changed
    assert changed[Family.CONFIG_API] == Limit(300, 3600)


def test_windows_are_fixed_and_retry_after_counts_to_their_end() -> None:
    window = Limit(3, 60).window(Family.TOKEN, SOURCE, START + 59.5)
    assert window == RateWindow("token", SOURCE, int(START), int(START) + 60)
    assert Limit(3, 60).window(Family.TOKEN, SOURCE, START + 60).start == int(START) + 60
    assert retry_after(window, START + 0.5) == 60
    assert retry_after(window, START + 59.9) == 1
    assert retry_after(window, START + 60) == 1  # never 0


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::9", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("::1", "::/64"),
        ("unknown", "unknown"),
        ("not:an:address", "not:an:address"),
    ],
)
def test_sources_are_counted_per_ipv4_address_and_ipv6_64(address: str, counted: str) -> None:
    assert counted_source(address) == counted


async def test_the_burst_passes_then_requests_are_refused_until_the_window_ends(
    process: Process, clock: FakeClock
) -> None:
    assert await process.outcomes(3) == "..."
    clock.advance(20)
    refusal = await process.limiter.check(Family.TOKEN, SOURCE)
    assert refusal == Refusal(Family.TOKEN, 40)
    assert refusal.description == (
        "Too many token requests from this address; retry after 40 seconds"
    )
    clock.advance(39.5)
    assert await process.outcomes(2) == "xx"
    clock.advance(0.5)  # the next window
    assert await process.outcomes(4) == "...x"


async def test_sources_and_families_are_counted_apart(process: Process) -> None:
    assert await process.outcomes(4) == "...x"
    assert await process.outcomes(3, source="192.0.2.8") == "..."
    assert await process.outcomes(3, family=Family.REVOCATION) == "..."
    # one IPv6 /64 is one source
    assert await process.outcomes(2, source="2001:db8::1") == ".."
    assert await process.outcomes(2, source="2001:db8::2") == ".x"


async def test_a_switched_off_limit_counts_nothing(
    process: Process, config: StaticConfig, tables: Tables
) -> None:
    config.update(rateLimitTokenRequestCount=0)
    assert await process.outcomes(30) == "." * 30
    assert process.limiter.tracked == 0
    await process.limiter.sync()
    assert tables.rate_counters == {}
    config.update(rateLimitTokenRequestCount=2)  # switched on again: counted from now
    assert await process.outcomes(3) == "..x"


async def test_a_count_reached_in_one_process_holds_in_another(
    process: Process, peer: Process
) -> None:
    assert await process.outcomes(3) == "..."
    await process.limiter.sync()
    # the peer reads the shared count when it first sees the source
    assert await peer.outcomes(1) == "x"
    # and what the peer refused is counted for everyone
    await peer.limiter.sync()
    await process.limiter.sync()
    assert await process.outcomes(1) == "x"


@pytest.mark.parametrize(("elapsed", "outcome"), [(0.1, "."), (0.3, "x")])
async def test_a_count_older_than_stale_after_is_read_again_before_deciding(
    process: Process, peer: Process, tables: Tables, elapsed: float, outcome: str
) -> None:
    assert await peer.outcomes(1) == "."
    await peer.limiter.sync()  # the peer knows: 1
    # meanwhile another process fills the window
    assert await process.outcomes(2) == ".."
    await process.limiter.sync()
    assert [row.hits for row in tables.rate_counters.values()] == [3]
    # within stale_after (0.2 s) of its last read the peer decides on what it knows (1 < 3);
    # later, with nothing counted since, it reads the shared count again first
    peer.monotonic.value += elapsed
    assert await peer.outcomes(1) == outcome


async def test_unsynchronised_processes_overshoot_by_what_each_accepts(
    process: Process, peer: Process
) -> None:
    """The documented bound: within one interval each process decides alone."""
    assert await process.outcomes(1) == "."
    assert await peer.outcomes(1) == "."
    assert await process.outcomes(3) == "..x"
    assert await peer.outcomes(3) == "..x"
    await process.limiter.sync()
    await peer.limiter.sync()
    await process.limiter.sync()
    assert await process.outcomes(1) == "x"
    assert await peer.outcomes(1) == "x"


async def test_a_refused_window_is_reported_once_across_processes(
    process: Process, peer: Process, events: RecordingSecurityEvents, clock: FakeClock
) -> None:
    assert await process.outcomes(5) == "...xx"
    assert events.events == []  # reported by the synchronisation, not on the request path
    await process.limiter.sync()
    await peer.limiter.sync()
    assert await peer.outcomes(3) == "xxx"
    await peer.limiter.sync()
    await process.limiter.sync()
    assert [(e.kind, e.source, e.detail, e.at) for e in events.events] == [
        (EventKind.RATE_LIMITED, SOURCE, "too many token requests", START)
    ]
    clock.advance(60)  # a new window is reported again
    assert await peer.outcomes(4) == "...x"
    await peer.limiter.sync()
    assert events.kinds() == [EventKind.RATE_LIMITED] * 2


async def test_sync_hands_over_pending_counts_and_forgets_ended_windows(
    process: Process, tables: Tables, clock: FakeClock
) -> None:
    assert await process.outcomes(2) == ".."
    assert await process.outcomes(1, family=Family.PAR) == "."
    await process.limiter.sync()
    assert sorted((k[0], v.hits) for k, v in tables.rate_counters.items()) == [
        ("par", 1),
        ("token", 2),
    ]
    await process.limiter.sync()  # nothing new: nothing added
    assert sum(v.hits for v in tables.rate_counters.values()) == 3
    assert process.limiter.tracked == 2
    clock.advance(60)
    await process.limiter.sync()
    assert process.limiter.tracked == 0


class FailingStore:
    """A store whose database is down."""

    async def count(self, window: RateWindow) -> int:
        raise ConnectionError("database down")

    async def add(self, hits: Mapping[RateWindow, int]) -> dict[RateWindow, int]:
        raise ConnectionError("database down")

    async def claim(self, window: RateWindow) -> bool:
        raise ConnectionError("database down")


async def test_with_the_store_down_each_process_counts_alone_and_logs_once(
    config: StaticConfig,
    clock: FakeClock,
    events: RecordingSecurityEvents,
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RateLimiter(FailingStore(), config, clock, events, stale_after=0.2)
    with caplog.at_level(logging.ERROR, logger="authgate.core.rate_limiter"):
        assert [await limiter.check(Family.TOKEN, SOURCE) is None for _ in range(4)] == [
            True,
            True,
            True,
            False,
        ]
        await limiter.sync()
        await limiter.sync()
    assert len([r for r in caplog.records if r.name == "authgate.core.rate_limiter"]) == 1
    assert events.events == []


async def test_past_the_window_cap_new_sources_are_let_through(
    tables: Tables,
    config: StaticConfig,
    clock: FakeClock,
    events: RecordingSecurityEvents,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capped = Process(tables, config, clock, events, max_windows=2)
    assert await capped.outcomes(4, source="192.0.2.1") == "...x"
    assert await capped.outcomes(1, source="192.0.2.2") == "."
    with caplog.at_level(logging.WARNING, logger="authgate.core.rate_limiter"):
        assert await capped.outcomes(5, source="192.0.2.3") == "....."
    assert "requests from new sources are not limited" in caplog.text
    assert await capped.outcomes(1, source="192.0.2.1") == "x"  # tracked ones still are
    clock.advance(60)
    await capped.limiter.sync()  # the windows ended: room again
    assert await capped.outcomes(4, source="192.0.2.3") == "...x"
