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
        f" rounds' ratios it costs **{cost:.1%}** of the flows/s (budget: 5%). Median"
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
    return out
