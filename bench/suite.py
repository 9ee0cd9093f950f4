"""The whole benchmark: every target, mode and concurrency level, in one run.

Each target is started once and measured in all its modes back to back, so that authgate
and node-oidc-provider are compared under the same machine conditions.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict
from typing import Any

import psutil

from bench.driver import Window
from bench.measure import Result, measure, rss_bytes
from bench.targets import (
    PG_ADMIN_DSN,
    ROOT,
    NodeTarget,
    Target,
    default_workers,
    make_target,
)

CONCURRENCY = (1, 8, 32)
PLAN: list[tuple[str, tuple[str, ...], tuple[int, ...]]] = [
    ("authgate-sqlite", ("flow", "token", "refresh"), CONCURRENCY),
    ("node-oidc-provider", ("flow", "token", "refresh"), CONCURRENCY),
    ("authgate-sqlite-w1", ("flow", "token", "refresh"), CONCURRENCY),
    ("authgate-pg", ("flow",), CONCURRENCY),
    ("authgate-pg-x2", ("flow",), CONCURRENCY),
]
CODE_TTL = 600  # the token mode redeems codes minted before its window
#: The flow again with the second, untuned driver (bench/driver_aiohttp.py), while the target
#: is up: the default authgate and node-oidc-provider at every level, PostgreSQL at c=32 (its
#: token p99 is one of the targets).
SECOND_DRIVER: dict[str, tuple[int, ...]] = {
    "authgate-sqlite": CONCURRENCY,
    "node-oidc-provider": CONCURRENCY,
    "authgate-pg": (32,),
}


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _measure_target(
    name: str, modes: tuple[str, ...], levels: tuple[int, ...], warmup: float, window: float
) -> list[Result]:
    target = make_target(name)
    _say(f"== {name}: {target.description}")
    await target.start(code_ttl=CODE_TTL)
    results = []
    try:
        for mode in modes:
            for c in levels:
                result = await measure(target, mode, c, warmup=warmup, window=window)
                _say(result.line())
                results.append(result)
        for c in SECOND_DRIVER.get(name, ()):
            result = await measure(
                target, "flow", c, warmup=warmup, window=window, driver_name="aiohttp"
            )
            _say(result.line())
            results.append(result)
    finally:
        target.stop()
    return results


async def _growth(warmup: float, window: float, rounds: int) -> dict[str, Any]:
    """Flows/s at c=32 on an empty database and on one holding 1,000,000 tokens, both servers
    with the default worker setting (authgate-sqlite and authgate-sqlite-1m)."""
    empty, full = make_target("authgate-sqlite"), make_target("authgate-sqlite-1m")
    _say("== data growth: filling 1,000,000 tokens")
    began = time.perf_counter()
    await full.start()
    fill_seconds = time.perf_counter() - began
    await empty.start()
    rates: dict[str, list[Result]] = {"empty": [], "1m": []}
    try:
        for _ in range(rounds):  # alternate, so drift in the machine hits both alike
            for key, target in (("empty", empty), ("1m", full)):
                result = await measure(target, "flow", 32, warmup=warmup, window=window)
                _say(result.line())
                rates[key].append(result)
    finally:
        empty.stop()
        full.stop()
    return {"fill_seconds": fill_seconds, "runs": rates}


ROUND_TARGETS = ("node-oidc-provider", "authgate-sqlite", "authgate-sqlite-w1")
#: Measured again in each round with the second driver.
ROUND_SECOND_DRIVER = ("node-oidc-provider", "authgate-sqlite")
#: The levels below c=32 that each round measures too, with both drivers, for node and the
#: default authgate: the "every c" target compares their medians, not a single pass.
ROUND_LOW_LEVELS = (1, 8)


async def _rounds(
    warmup: float, window: float, rounds: int
) -> tuple[list[list[Result]], list[list[Result]]]:
    """The comparisons again, alternating the targets round after round.

    On a shared virtual machine the same measurement varies by 10-20% from one minute to
    the next, which a single pass per target cannot tell apart from a real difference. All
    three servers stay up (idle ones use no CPU) and are measured in turn, so drift in the
    machine hits them alike; the report gives the median ratio and its range. Every round
    measures c=32 (all three, and node and the default authgate with the second driver) and
    then :data:`ROUND_LOW_LEVELS` (node and the default authgate, both drivers). The order
    within a round is reversed every other round, so that with an even count each server
    goes first as often as last. Returns the c=32 rounds and the lower levels' rounds.
    """
    targets = [make_target(name) for name in ROUND_TARGETS]
    second = ", ".join(ROUND_SECOND_DRIVER)
    levels = ", ".join(f"c={c}" for c in ROUND_LOW_LEVELS)
    _say(
        f"== rounds: {', '.join(ROUND_TARGETS)} alternately, then {second} with the aiohttp"
        f" driver, flow c=32; then {second} with both drivers at {levels}; {rounds} rounds"
    )
    for target in targets:
        await target.start()
    top = [(target, "lean") for target in targets]
    top += [(target, "aiohttp") for target in targets if target.name in ROUND_SECOND_DRIVER]
    low = [
        (target, driver)
        for driver in ("lean", "aiohttp")
        for target in targets
        if target.name in ROUND_SECOND_DRIVER
    ]
    at_32: list[list[Result]] = []
    below: list[list[Result]] = []
    try:
        for index in range(rounds):
            flip = index % 2 == 1
            at_32.append(await _in_turn(top, 32, flip, warmup, window))
            one: list[Result] = []
            for c in ROUND_LOW_LEVELS:
                one += await _in_turn(low, c, flip, warmup, window)
            below.append(one)
    finally:
        for target in targets:
            target.stop()
    return at_32, below


async def _in_turn(
    plan: list[tuple[Target, str]], c: int, flip: bool, warmup: float, window: float
) -> list[Result]:
    """The flow at ``c`` for each (target, driver) of ``plan`` in turn, in reverse if ``flip``."""
    results = []
    for target, driver in reversed(plan) if flip else plan:
        result = await measure(target, "flow", c, warmup=warmup, window=window, driver_name=driver)
        _say(result.line())
        results.append(result)
    return results


async def _storage(flows: int) -> list[dict[str, Any]]:
    """The SQLite write path of a flow alone (``bench/storage.py``), at 1, 4, 8 and 32 users:
    enough batch sizes for the report to separate a commit's cost from a flow's. Each level
    also with every flow written as one unit, its price for self-contained codes."""
    from bench.storage import measure_storage

    _say("== storage write path")
    out = []
    for users in (1, 4, 8, 32):
        for together in (False, True):
            result = await measure_storage(users, flows, together=together)
            _say(result.line())
            out.append(asdict(result))
    return out


async def _counted_protection(quick: bool) -> dict[str, Any] | None:
    """The edge protection's cost in instructions per flow (``bench/instructions.py``), or
    None where valgrind is not installed (the report then judges the timed rounds)."""
    from bench.instructions import callgrind_available
    from bench.protection import count_protection

    if not callgrind_available():
        _say("== protection: valgrind is not installed; instructions not counted")
        return None
    _say("== protection: instructions per flow under callgrind")
    return await count_protection(40, ((8, 1),), 8) if quick else await count_protection()


async def _memory(seconds: float) -> dict[str, Any]:
    """One server process's RSS every 10 s over a long flow run at c=8 (one worker)."""
    target = make_target("authgate-sqlite-w1")
    _say(f"== memory: authgate-sqlite-w1, flow c=8 for {seconds:.0f} s")
    await target.start()
    samples: list[tuple[float, float]] = []

    async def sample(procs: list[psutil.Process], win: Window) -> None:
        async def loop() -> None:
            while (now := time.perf_counter()) <= win.end:
                samples.append((now - win.start, rss_bytes(procs) / 2**20))
                await asyncio.sleep(10)

        asyncio.get_running_loop().create_task(loop())

    try:
        result = await measure(target, "flow", 8, warmup=20, window=seconds, sampler=sample)
        _say(result.line())
    finally:
        target.stop()
    return {"seconds": seconds, "result": result, "samples": samples}


def machine() -> dict[str, Any]:
    cpu_model = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break

    def output(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "not found"

    pg_version = "unreachable"
    try:
        import asyncpg  # type: ignore[import-untyped]

        async def ask() -> str:
            con = await asyncpg.connect(PG_ADMIN_DSN)
            try:
                return str(await con.fetchval("SHOW server_version"))
            finally:
                await con.close()

        pg_version = asyncio.run(ask())
    except Exception as exc:  # a fact for the report, not a failure
        pg_version = f"unreachable ({type(exc).__name__})"
    from importlib.metadata import version

    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": output("node", "--version"),
        "oidc_provider": NodeTarget.version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "authgate": version("authgate"),
        # what `authgate serve` without --workers (authgate-sqlite) starts on this machine
        "default_workers": default_workers(),
        "commit": output("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"),
        "uvicorn": version("uvicorn"),
        "starlette": version("starlette"),
        "cryptography": version("cryptography"),
        "openssl_rsa2048_sign_ms": _openssl_sign_ms(output),
    }


def _openssl_sign_ms(output: Any) -> float | None:
    text = output("openssl", "speed", "-seconds", "2", "rsa2048")
    for line in text.splitlines():
        if line.startswith("rsa 2048") or line.startswith("rsa  2048"):
            return round(float(line.split()[3].rstrip("s")) * 1000, 3)
    return None


PARTS = ("rounds", "storage", "growth", "profile", "memory", "worker_memory", "protection")


async def run_all(
    *, quick: bool, memory_seconds: float | None, skip: str, only: str = ""
) -> dict[str, Any]:
    """Every part of the benchmark, or with ``only`` just the named targets and parts."""
    from bench.profile import profile

    skipped = {part for part in skip.split(",") if part}
    if only:
        wanted = {part for part in only.split(",") if part}
        skipped |= {name for name, _, _ in PLAN if name not in wanted}
        skipped |= {part for part in PARTS if part not in wanted}
    warmup, window = (1.0, 4.0) if quick else (3.0, 10.0)
    NodeTarget.install()
    facts = await asyncio.to_thread(machine)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    runs: list[Result] = []
    for name, modes, levels in PLAN:
        if name in skipped or (name.startswith("authgate-pg") and "postgres" in skipped):
            continue
        runs += await _measure_target(name, modes, levels, warmup, window)
    report: dict[str, Any] = {
        "machine": facts,
        "started": started,
        "quick": quick,
        "warmup": warmup,
        "window": window,
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "runs": [asdict(r) for r in runs],
    }
    if "rounds" not in skipped:
        # even: each server goes first as often as last (the order flips every round)
        rounds, below = await _rounds(warmup, window, 2 if quick else 4)
        report["rounds"] = [[asdict(r) for r in one] for one in rounds]
        report["rounds_below_32"] = [[asdict(r) for r in one] for one in below]
    if "storage" not in skipped:
        report["storage"] = await _storage(2_000 if quick else 20_000)
    if "growth" not in skipped:
        growth = await _growth(warmup, window, 1 if quick else 4)
        report["growth"] = {
            "fill_seconds": growth["fill_seconds"],
            "runs": {k: [asdict(r) for r in v] for k, v in growth["runs"].items()},
        }
    if "profile" not in skipped:
        prof = await profile(5.0 if quick else 10.0, 32)
        prof["result"] = asdict(prof["result"])
        report["profile"] = prof
    if "memory" not in skipped:
        seconds = memory_seconds or (60.0 if quick else 600.0)
        memory = await _memory(seconds)
        memory["result"] = asdict(memory["result"])
        report["memory"] = memory
    if "worker_memory" not in skipped:
        from bench.worker_memory import measure_worker_memory

        report["worker_memory"] = await measure_worker_memory(5.0 if quick else 10.0)
    if "protection" not in skipped:
        from bench.protection import measure_protection

        guard = await measure_protection(  # even: each goes first as often
            2 if quick else 6, 32, warmup=warmup, window=window
        )
        guard["instructions"] = await _counted_protection(quick)
        report["protection"] = guard
    report["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return report
