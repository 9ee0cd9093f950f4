"""What the edge protection costs on the hot path: the same commit with and without it.

The protection that runs on every request of the flow, before any endpoint, is three layers:
the per-source rate limits (:class:`authgate.web.rate_limits.RateLimitMiddleware`, which
counts every token request), the request-size bounds checked in the observing layer
(:func:`authgate.web.limits.head_violation`), and the connection's guarded HTTP protocol
(:class:`authgate.web.http_protocol.GuardedHttpProtocol`: connection cap, first-byte, head
and body timeouts, head limits). This module copies ``src/`` into ``.bench/ablation/`` with
exactly those three taken out (each edit must apply once, else the measurement stops) and runs
both servers in the default configuration, measuring them in turn round after round, so that
the machine's drift hits them alike.

    python -m bench protection --rounds 8 -c 32      # about 1 minute per round
    python -m bench protection --rounds 0 --count 200   # instructions only, ~4 minutes

Timed rounds cannot resolve a few percent on a shared two-core machine, so the cost is also
counted in instructions per flow under callgrind (:func:`count_protection`), which repeat.

The rest of the defence (brute-force protection of the login form, text validation of every
parameter, the registration policy) runs inside endpoints the flow does not reach or is part
of parsing the request, and cannot be taken out without changing the protocol's behaviour.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from statistics import median
from typing import Any

from bench.measure import Result, measure
from bench.targets import ROOT, WORK, AuthgateTarget

#: (file under src/, text, replacement): the three layers taken out.
ABLATION = (
    ("authgate/web/app.py", "middleware = [Middleware(RateLimitMiddleware)]", "middleware = []"),
    ("authgate/web/app.py", "limits=RequestLimits.from_settings(settings),", "limits=None,"),
    ("authgate/cli.py", '"http": protocol,', '"http": "httptools",'),
)
ABLATED_SRC = WORK / "ablation" / "src"


def ablated_source(source: Path = ROOT / "src", target: Path = ABLATED_SRC) -> Path:
    """A copy of ``source`` with :data:`ABLATION` applied; raises if an edit does not apply
    exactly once (the code moved: update the edit rather than measure something else)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name, text, replacement in ABLATION:
        path = target / name
        code = path.read_text()
        if code.count(text) != 1:
            raise RuntimeError(f"bench.protection: {text!r} is not in {name} exactly once")
        path.write_text(code.replace(text, replacement))
    return target


class AblatedTarget(AuthgateTarget):
    """``authgate serve`` from the ablated copy of the source (default configuration)."""

    def __init__(self, source: Path) -> None:
        super().__init__(
            "authgate-sqlite-unprotected",
            "authgate, SQLite, default configuration, without the edge protection",
        )
        self.source = source

    def _env(self) -> dict[str, str]:
        env = super()._env()
        env["PYTHONPATH"] = str(self.source)
        return env


def _row(result: Result) -> dict[str, Any]:
    return {
        "rate": result.rate,
        "cpu_ms_per_op": result.cpu_ms_per_op,
        "token_p99": result.token_ms.get("p99"),
        "errors": sum(result.errors.values()),
    }


async def measure_protection(
    rounds: int = 8, concurrency: int = 32, *, warmup: float = 3.0, window: float = 15.0
) -> dict[str, Any]:
    """Alternating rounds of the default server with and without the edge protection.

    Each round measures both, the order turning round every round; ``rounds`` should be
    even, so that each server goes first as often as the other: in one run's rounds the
    server measured first did worse whichever it was (ratios 0.80, 0.92, 0.80 when the
    protected one went first, 1.04, 1.03 when it went second).
    """
    protected = AuthgateTarget("authgate-sqlite", "authgate, SQLite, default configuration")
    unprotected = AblatedTarget(ablated_source())
    pairs: list[dict[str, Any]] = []
    await protected.start(users=concurrency)
    try:
        await unprotected.start(users=concurrency)
        try:
            for index in range(rounds):
                order = [protected, unprotected] if index % 2 == 0 else [unprotected, protected]
                measured: dict[str, Result] = {}
                for target in order:
                    measured[target.name] = await measure(
                        target, "flow", concurrency, warmup=warmup, window=window
                    )
                    print(measured[target.name].line(), flush=True)
                pairs.append(
                    {
                        "protected": _row(measured[protected.name]),
                        "unprotected": _row(measured[unprotected.name]),
                    }
                )
        finally:
            unprotected.stop()
    finally:
        protected.stop()
    with_rate = median(p["protected"]["rate"] for p in pairs)
    without_rate = median(p["unprotected"]["rate"] for p in pairs)
    ratios = [p["protected"]["rate"] / p["unprotected"]["rate"] for p in pairs]
    return {
        "concurrency": concurrency,
        "window": window,
        "rounds": pairs,
        "protected_rate": with_rate,
        "unprotected_rate": without_rate,
        "median_ratio": median(ratios),
        "protected_cpu": median(p["protected"]["cpu_ms_per_op"] for p in pairs),
        "unprotected_cpu": median(p["unprotected"]["cpu_ms_per_op"] for p in pairs),
        "errors": sum(p["protected"]["errors"] + p["unprotected"]["errors"] for p in pairs),
    }


#: (users, counts of each server) that :func:`count_protection` measures; the first judges.
COUNTED_LEVELS = ((8, 3), (1, 2))


async def count_protection(
    flows: int = 200, levels: tuple[tuple[int, int], ...] = COUNTED_LEVELS, warmup_flows: int = 40
) -> dict[str, Any]:
    """Instructions per flow of one worker with and without the edge protection, counted by
    callgrind (:mod:`bench.instructions`), the two servers taking turns, at each level.

    The cost is the protection's instructions as a share of the protected server's
    instructions outside the id_token's RSA signature. The signature is about two thirds of
    a flow's instructions but runs several times more of them per second than the
    interpreter, so a share of all instructions would understate the protection's share of
    the CPU time; leaving the signature out counts it as free, which overstates it instead.
    Its own count also varies by a few tenths of a percent (RSA blinding draws random
    numbers), so the comparison leaves it out too.
    """
    from bench.instructions import CountedTarget, count_flows

    protected = CountedTarget("authgate-counted", "authgate, one worker, under callgrind")
    unprotected = CountedTarget(
        "authgate-counted-unprotected",
        "authgate, one worker, under callgrind, without the edge protection",
        ablated_source(),
    )
    targets = {"protected": protected, "unprotected": unprotected}
    measured = []
    try:
        for target in targets.values():
            await target.start(users=max(users for users, _ in levels))
        for users, repeats in levels:
            level: dict[str, Any] = {"concurrency": users}
            for name in targets:
                level[name], level[f"{name}_signature"] = [], []
            for index in range(repeats):
                order = ["protected", "unprotected"]
                for name in order if index % 2 == 0 else reversed(order):
                    total, signature = await count_flows(targets[name], flows, users, warmup_flows)
                    level[name].append(total / flows)
                    level[f"{name}_signature"].append(signature / flows)
                    print(
                        f"{targets[name].name}, c={users}: {total / flows:,.0f} instructions"
                        f" per flow, {signature / flows:,.0f} of them in the RSA signature",
                        flush=True,
                    )
            measured.append(level | _costs(level))
    finally:
        for target in targets.values():
            target.stop()
    return {"flows": flows, "levels": measured}


def _outsides(level: dict[str, Any], name: str) -> list[float]:
    """A server's instructions per flow outside the RSA signature, count by count."""
    return [a - b for a, b in zip(level[name], level[f"{name}_signature"], strict=True)]


def _outside(level: dict[str, Any], name: str) -> float:
    """The median of a server's instructions per flow outside the RSA signature."""
    return float(median(_outsides(level, name)))


def _costs(level: dict[str, Any]) -> dict[str, float]:
    with_, without = _outside(level, "protected"), _outside(level, "unprotected")
    return {
        "protected_outside": with_,
        "unprotected_outside": without,
        "cost": 1 - without / with_,
        "cost_of_all": (with_ - without) / median(level["protected"]),
    }


def markdown(data: dict[str, Any]) -> list[str]:
    """The "Cost of the edge protection" section of docs/benchmarks.md."""
    cost = 1 - data["median_ratio"]
    out = [
        "## Cost of the edge protection",
        "",
        "The default server against the same commit with its per-request protection taken out"
        " (the rate-limit layer, the request-size bounds and the guarded HTTP protocol;"
        " `bench/protection.py` says exactly what is removed), both running, measured in turn"
        f" for {len(data['rounds'])} rounds of the full flow at c={data['concurrency']}"
        f" (`python -m bench protection`). Median flows/s: **{data['protected_rate']:.0f}**"
        f" with the protection, {data['unprotected_rate']:.0f} without; by the median of the"
        + (
            f" rounds' ratios it costs **{cost:.1%}** of the flows/s (budget: 5%)."
            if cost >= 0
            else f" rounds' ratios the server with it served **{-cost:.1%}** more flows/s."
        )
        + " Median"
        f" server CPU per flow: {data['protected_cpu']:.3f} ms with,"
        f" {data['unprotected_cpu']:.3f} ms without. Errors: {data['errors']}.",
        "",
        "| round | flows/s with | without | ratio | CPU ms/flow with | without |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for index, pair in enumerate(data["rounds"], 1):
        a, b = pair["protected"], pair["unprotected"]
        out.append(
            f"| {index} | {a['rate']:.0f} | {b['rate']:.0f} | {a['rate'] / b['rate']:.3f} |"
            f" {a['cpu_ms_per_op']:.3f} | {b['cpu_ms_per_op']:.3f} |"
        )
    out.append("")
    return out + counted_markdown(data.get("instructions"))


def counted_markdown(counted: dict[str, Any] | None) -> list[str]:
    """The instruction counts of :func:`count_protection`, or why there are none."""
    if not counted:
        return [
            "Instructions per flow were not counted in this run (valgrind is not installed);"
            " the targets table judges the timed rounds above.",
            "",
        ]
    first = counted["levels"][0]
    signature = median(first["protected_signature"])
    levels = ", ".join(
        f"at c={level['concurrency']} **{level['cost']:.1%}**"
        f" ({level['cost_of_all']:.1%} of all the instructions)"
        for level in counted["levels"]
    )
    spread = max(
        (max(outside) - min(outside)) / min(outside)
        for level in counted["levels"]
        for name in ("protected", "unprotected")
        if (outside := _outsides(level, name))
    )
    out = [
        "The timed rounds' ratios spread wider than the 5% budget, because the machine's"
        " speed drifts between windows. Instructions do not depend on the machine's speed:"
        " the same two servers, one worker each under valgrind's callgrind"
        f" (`bench/instructions.py`), counted in turn for {counted['flows']} flows at a time."
        " Callgrind slows a server about 40 times, so the counted servers run their"
        " background work 25 times less often (the rate-limit sync every 5 s instead of"
        " 0.2 s; `SLOWED_INTERVALS`), else it would weigh on each flow 40 times what it"
        " weighs at full speed. One server's counts outside the signature differ by up to"
        f" {spread:.1%} from one count to another: requests, batches and background work"
        " do not meet in the same order twice."
        f" At c={first['concurrency']} a flow takes {median(first['protected']):,.0f}"
        f" instructions with the protection, {signature:,.0f} of them in the id_token's RSA"
        " signature, whose vectorised code runs several times as many instructions per second"
        " as the interpreter: a share of all the instructions would understate the"
        " protection's share of the CPU time, and a share of the instructions outside the"
        " signature, which counts the signature as free, overstates it. Outside the"
        f" signature the protection is {levels}. The targets table judges"
        f" c={first['concurrency']}, where the server's cores are busy and its CPU time is"
        " what limits the flows/s; at c=1 the server waits for the disk between requests.",
        "",
        "| c | count | with: all | in the signature | without: all | in the signature |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for level in counted["levels"]:
        rows = zip(
            level["protected"],
            level["protected_signature"],
            level["unprotected"],
            level["unprotected_signature"],
            strict=True,
        )
        out += [
            f"| {level['concurrency']} | {i} | {a:,.0f} | {b:,.0f} | {c:,.0f} | {d:,.0f} |"
            for i, (a, b, c, d) in enumerate(rows, 1)
        ]
    return [*out, ""]
