"""Measuring: a target's processes, the measurement window and the numbers of one run.

``measure`` logs the virtual users in, runs one mode of a driver (``DRIVERS``: the lean
:class:`bench.driver.Driver` or the ordinary :class:`bench.driver_aiohttp.AiohttpDriver`) for
a warm-up plus a window (the token mode in rounds of pre-minted codes), and reads the CPU time
of the server's processes (and PostgreSQL's, per process) at the window's edges.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

import psutil

from bench.driver import Driver, Window
from bench.targets import Target


class LoadDriver(Protocol):
    """What :func:`measure` needs of a driver; its users are whatever its ``login`` returns."""

    name: str
    target: Target

    async def login(self, index: int) -> Any: ...
    async def close(self, user: Any) -> None: ...
    async def mint(self, user: Any, count: int) -> None: ...
    async def flow_loop(self, user: Any, window: Window) -> None: ...
    async def token_loop(self, user: Any, window: Window) -> None: ...
    async def refresh_loop(self, user: Any, window: Window) -> None: ...


def make_driver(name: str, target: Target) -> LoadDriver:
    """``lean`` (bench/driver.py, what ``make bench`` always used) or ``aiohttp``."""
    if name == "lean":
        return Driver(target)
    if name == "aiohttp":
        from bench.driver_aiohttp import AiohttpDriver

        return AiohttpDriver(target)
    raise ValueError(f"unknown driver {name!r}; one of {', '.join(DRIVERS)}")


DRIVERS = ("lean", "aiohttp")


def process_tree(pids: list[int]) -> list[psutil.Process]:
    procs: list[psutil.Process] = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs.append(root)
            procs.extend(root.children(recursive=True))
        except psutil.NoSuchProcess:
            continue
    return procs


def cpu_seconds(procs: list[psutil.Process]) -> float:
    return sum(per_process_cpu(procs).values())


def system_seconds(procs: list[psutil.Process]) -> float:
    """The kernel's part of the processes' CPU time (system calls, loopback TCP, fsync)."""
    return sum(system for _user, system in _times(procs).values())


def machine_idle() -> tuple[float, float]:
    """Seconds all CPUs spent idle or waiting for I/O, and seconds elapsed times CPUs."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    cpus = psutil.cpu_count() or 1  # the first line adds up every CPU's ticks
    hz = float(os.sysconf("SC_CLK_TCK"))
    idle = (fields[3] + fields[4]) / hz
    return idle, sum(fields[:8]) / hz / cpus


def pss_bytes(procs: list[psutil.Process]) -> int | None:
    """The processes' proportional set size: each page they share (forked workers share their
    code and start-up memory) counted once in all, where RSS would count it in every one.
    None where the system does not report it."""
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except psutil.NoSuchProcess:
            continue
        except (AttributeError, psutil.AccessDenied):
            return None
    return total


def rss_bytes(procs: list[psutil.Process]) -> int:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def per_process_cpu(procs: list[psutil.Process]) -> dict[int, float]:
    return {pid: user + system for pid, (user, system) in _times(procs).items()}


def _times(procs: list[psutil.Process]) -> dict[int, tuple[float, float]]:
    """User and system CPU seconds of each process still running."""
    out: dict[int, tuple[float, float]] = {}
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        out[proc.pid] = (times.user, times.system)
    return out


def postgres_processes() -> list[psutil.Process]:
    return [
        p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")
    ]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class Result:
    target: str
    mode: str
    concurrency: int
    seconds: float
    ops: int
    rate: float
    token_ms: dict[str, float | None]
    flow_ms: dict[str, float | None]
    errors: dict[str, int]
    cpu_ms_per_op: float | None
    db_cpu_ms_per_op: float | None
    driver_cpu_ms_per_op: float | None
    rss_mb: float
    #: PSS of the server's processes (None: not measured, or a results file older than it).
    pss_mb: float | None = None
    #: The kernel's share of the server's CPU time in the window.
    server_system_share: float | None = None
    #: CPUs that nobody used (idle or waiting for I/O), on average over the window.
    idle_cores: float | None = None
    #: The driver that measured (``DRIVERS``); results files from before it was recorded
    #: were all measured by the lean driver.
    driver: str = "lean"

    def line(self) -> str:
        unit = {"flow": "flows/s", "token": "tokens/s", "refresh": "refreshes/s"}[self.mode]
        tok = self.token_ms
        parts = [
            f"{self.target:<20} {self.mode:<7} {self.driver:<7} c={self.concurrency:<3}",
            f"{self.rate:8.1f} {unit}",
            f"token p50/p95/p99 {tok['p50']:.1f}/{tok['p95']:.1f}/{tok['p99']:.1f} ms"
            if tok["p50"] is not None
            else "no samples",
        ]
        if self.flow_ms["p50"] is not None:
            f = self.flow_ms
            parts.append(f"flow p50/p99 {f['p50']:.1f}/{f['p99']:.1f} ms")
        if self.cpu_ms_per_op is not None:
            parts.append(f"server CPU {self.cpu_ms_per_op:.2f} ms/op")
        if self.db_cpu_ms_per_op is not None:
            parts.append(f"+ postgres {self.db_cpu_ms_per_op:.2f} ms/op")
        if self.driver_cpu_ms_per_op is not None:
            parts.append(f"(driver {self.driver_cpu_ms_per_op:.2f} ms/op)")
        if self.server_system_share is not None and self.idle_cores is not None:
            parts.append(
                f"kernel {self.server_system_share * 100:.0f}%  idle {self.idle_cores:.2f} cores"
            )
        parts.append(f"RSS {self.rss_mb:.0f} MB")
        if self.pss_mb is not None:
            parts.append(f"PSS {self.pss_mb:.0f} MB")
        parts.append(f"errors {sum(self.errors.values())}")
        return "  ".join(parts)


def _quantiles(values: list[float]) -> dict[str, float | None]:
    return {f"p{q}": percentile(values, q) for q in (50, 95, 99)}


ROUND_CODES = 3000  # codes minted per token-mode round, across all users


async def measure(
    target: Target,
    mode: str,
    concurrency: int,
    *,
    warmup: float,
    window: float,
    sampler: Any = None,
    driver_name: str = "lean",
) -> Result:
    """Log ``concurrency`` users in, run ``mode`` for warm-up plus window, return the numbers."""
    driver = make_driver(driver_name, target)
    users = []
    for start in range(0, concurrency, 8):  # log in a few at a time (argon2 is deliberate)
        batch = range(start, min(concurrency, start + 8))
        users += await asyncio.gather(*(driver.login(i) for i in batch))
    procs = process_tree(target.pids())
    pg = postgres_processes() if getattr(target, "database", "") == "postgres" else []
    me = psutil.Process()

    def readings() -> _Reading:
        idle, elapsed = machine_idle()
        return (
            cpu_seconds(procs),
            per_process_cpu(postgres_processes()) if pg else {},
            cpu_seconds([me]),
            system_seconds(procs),
            idle,
            elapsed,
        )

    if mode == "token":
        seconds, cpu, samples, errors = await _token_rounds(driver, users, warmup, window, readings)
    else:
        seconds, cpu, samples, errors = await _timed(
            driver, users, mode, warmup, window, readings, sampler
        )
    rss = rss_bytes(procs)
    pss = pss_bytes(procs)
    for u in users:
        await driver.close(u)
    ops = len(samples)
    token_ms = [s[1] for s in samples]
    flow_ms = [s[2] for s in samples if s[2] is not None]

    def per_op(value: float) -> float | None:
        return value * 1000 / ops if ops else None

    return Result(
        target=target.name,
        mode=mode,
        concurrency=concurrency,
        seconds=round(seconds, 3),
        ops=ops,
        rate=ops / seconds if seconds > 0 else 0.0,
        token_ms=_quantiles(token_ms),
        flow_ms=_quantiles(flow_ms),
        errors=dict(errors),
        cpu_ms_per_op=per_op(cpu[0]),
        db_cpu_ms_per_op=per_op(cpu[1]) if pg else None,
        driver_cpu_ms_per_op=per_op(cpu[2]),
        rss_mb=rss / 2**20,
        pss_mb=None if pss is None else pss / 2**20,
        server_system_share=cpu[3] / cpu[0] if cpu[0] > 0 else None,
        idle_cores=cpu[4] / cpu[5] if cpu[5] > 0 else None,
        driver=driver.name,
    )


_Samples = list[tuple[float, float, float | None]]
_Cpu = tuple[float, float, float, float, float, float]
_Measured = tuple[float, _Cpu, _Samples, Counter[str]]

#: server CPU, PostgreSQL CPU per process, driver CPU, server system CPU, machine idle
#: seconds, elapsed seconds (per CPU) of /proc/stat
_Reading = tuple[float, dict[int, float], float, float, float, float]


def _delta(after: _Reading, before: _Reading) -> _Cpu:
    """Seconds between two readings. PostgreSQL's backends and workers come and go, so
    its share is summed per process: a process new since ``before`` counts from zero."""
    database = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
    return (
        after[0] - before[0],
        database,
        after[2] - before[2],
        after[3] - before[3],
        after[4] - before[4],
        after[5] - before[5],
    )


async def _timed(
    driver: LoadDriver,
    users: list[Any],
    mode: str,
    warmup: float,
    window: float,
    readings: Any,
    sampler: Any,
) -> _Measured:
    """flow and refresh: every user loops; a window after the warm-up is measured."""
    loop = driver.flow_loop if mode == "flow" else driver.refresh_loop
    begin = time.perf_counter()
    win = Window(begin + warmup, begin + warmup + window)
    edges: dict[str, _Reading] = {}

    async def watch() -> None:
        await asyncio.sleep(max(0.0, win.start - time.perf_counter()))
        edges["start"] = readings()
        if sampler is not None:
            await sampler(process_tree(driver.target.pids()), win)
        await asyncio.sleep(max(0.0, win.end - time.perf_counter()))
        edges["end"] = readings()

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(loop(u, win) for u in users))
    await watcher
    samples, errors = win.inside()
    return win.end - win.start, _delta(edges["end"], edges["start"]), samples, errors


async def _token_rounds(
    driver: LoadDriver, users: list[Any], warmup: float, window: float, readings: Any
) -> _Measured:
    """token: rounds of minting codes (not measured), then redeeming them all (measured).

    Minting between rounds keeps every code young and few codes outstanding per grant, as
    in real use; only the redeeming phases count, the first ``warmup`` seconds of them not.
    """
    per_user = max(5, min(100, ROUND_CODES // len(users)))
    measured = elapsed = 0.0
    cpu: _Cpu = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    samples: _Samples = []
    errors: Counter[str] = Counter()
    while measured < window:
        await asyncio.gather(*(driver.mint(u, per_user) for u in users))
        before = readings()
        start = time.perf_counter()
        win = Window(start, float("inf"))
        await asyncio.gather(*(driver.token_loop(u, win) for u in users))
        end = time.perf_counter()
        after = readings()
        elapsed += end - start
        if elapsed - (end - start) < warmup:
            continue
        measured += end - start
        step = _delta(after, before)
        cpu = (
            cpu[0] + step[0],
            cpu[1] + step[1],
            cpu[2] + step[2],
            cpu[3] + step[3],
            cpu[4] + step[4],
            cpu[5] + step[5],
        )
        round_samples, round_errors = win.inside()
        samples += round_samples
        errors += round_errors
    return measured, cpu, samples, errors
