"""The benchmark's driver against a real ``authgate serve``: correct under load, no timing asserted.

This keeps ``make bench`` working (the driver, the target set-up through the Config API and the
registration endpoint) and checks that concurrent flows, token requests and refreshes all
succeed. The numbers themselves live in docs/benchmarks.md, not in assertions.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import measure  # noqa: E402
from bench.report import commit_cost_fit, write_markdown  # noqa: E402
from bench.startup import measure_startup  # noqa: E402
from bench.storage import measure_storage  # noqa: E402
from bench.targets import Target, make_target  # noqa: E402


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Target]:
    target = make_target("authgate-sqlite")
    # its own database and log: the suite's workers may each start one at the same time
    target.name = f"authgate-sqlite-test-{tmp_path.name}"
    target.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
    await target.start(code_ttl=600, users=4)
    try:
        yield target
    finally:
        target.stop()


async def test_driver_modes_run_without_errors(server: Target) -> None:
    """The default configuration (``--workers auto``: a worker per core sharing the SQLite
    file), four users, every mode."""
    for mode in ("flow", "token", "refresh"):
        result = await measure(server, mode, 4, warmup=0.3, window=1.5)
        assert result.errors == {}, mode
        assert result.ops > 0, mode
        assert result.token_ms["p50"] is not None
        assert result.cpu_ms_per_op is not None and result.cpu_ms_per_op > 0
        assert result.server_system_share is not None and 0 < result.server_system_share < 1
        assert result.idle_cores is not None and 0 <= result.idle_cores <= (os.cpu_count() or 1)
        if mode == "flow":
            assert result.flow_ms["p99"] is not None


async def test_aiohttp_driver_runs_flows_without_errors(server: Target) -> None:
    """The second driver (ordinary aiohttp sessions, cookie jar, the real login form)."""
    for mode in ("flow", "token", "refresh"):
        result = await measure(server, mode, 3, warmup=0.3, window=1.5, driver_name="aiohttp")
        assert result.driver == "aiohttp"
        assert result.errors == {}, mode
        assert result.ops > 0, mode
        assert result.token_ms["p50"] is not None


async def test_aiohttp_driver_counts_failed_flows(server: Target) -> None:
    """A flow the server refuses is an error, not a sample: here the client is unknown."""
    from bench.driver import Window
    from bench.driver_aiohttp import AiohttpDriver

    driver = AiohttpDriver(server)
    user = await driver.login(0)
    try:
        driver.target = copy.copy(server)
        driver.target.client_id = "no-such-client"
        window = Window(0.0, time.perf_counter() + 0.5)
        await driver.flow_loop(user, window)
    finally:
        await driver.close(user)
    samples, errors = window.inside()
    assert samples == []
    assert sum(errors.values()) > 0


def test_startup_measures_a_first_start_and_a_restart() -> None:
    """Both starts answer (the measurement raises otherwise); no timing asserted."""
    first, restart = measure_startup(repeat=1)
    assert (first.kind, restart.kind) == ("first start", "restart")
    for result in (first, restart):
        assert len(result.ready_s) == len(result.cpu_s) == 1
        assert result.ready_s[0] > 0 and result.cpu_s[0] > 0
        assert "ready after" in result.line()


async def test_storage_write_path_commits_every_flow(tmp_path: Path) -> None:
    """The write-path benchmark redeems each code it wrote (it raises otherwise)."""
    # a folder of its own: the suite's workers may run these tests at the same time
    result = await measure_storage(users=8, flows=400, folder=tmp_path)
    assert result.flows == 400
    # the sync thread's CPU is read in clock ticks (10 ms): a short run may read zero
    assert result.sync_us_per_flow >= 0 and result.flows_per_s > 0
    # eight users writing at once: the writer commits several transactions together
    assert result.per_commit > 1


@pytest.mark.parametrize("together", [False, True])
async def test_storage_write_path_leaves_every_code_redeemed(
    together: bool, tmp_path: Path
) -> None:
    """Either way a flow stores its code and its two tokens; ``together`` writes them in one
    transaction and redeems nothing (one user: one transaction per commit either way)."""
    result = await measure_storage(users=1, flows=30, together=together, folder=tmp_path)
    assert result.flows == 30 and result.per_commit == 1
    path = tmp_path / "authgate.db"
    with contextlib.closing(sqlite3.connect(path)) as con:
        codes = con.execute(
            "SELECT count(*), count(consumed_at) FROM authorization_codes"
        ).fetchone()
        tokens = con.execute("SELECT count(*) FROM tokens").fetchone()[0]
    assert codes == (50, 0 if together else 50)  # 20 warm-up flows, then 30
    assert tokens == 100


MACHINE = dict.fromkeys(
    ["cpus", "cpu_model", "memory_gib", "kernel", "openssl_rsa2048_sign_ms", "authgate",
     "commit", "python", "uvicorn", "starlette", "cryptography", "sqlite", "postgresql",
     "oidc_provider", "node"], "x",
) | {"default_workers": 2}  # fmt: skip


def flow_result(target: str, rate: float, cpu: float, **more: object) -> dict[str, object]:
    """One measurement of the flow mode at c=32, as a results file holds it."""
    return {
        "target": target, "mode": "flow", "concurrency": 32, "seconds": 10.0,
        "ops": int(rate * 10), "rate": rate, "errors": {},
        "token_ms": {"p50": 10.0, "p95": 20.0, "p99": 30.0},
        "flow_ms": {"p50": 20.0, "p95": 30.0, "p99": 40.0},
        "cpu_ms_per_op": cpu, "db_cpu_ms_per_op": None, "driver_cpu_ms_per_op": 0.2,
        "rss_mb": 100.0, **more,
    }  # fmt: skip


def rendered(
    tmp_path: Path,
    runs: list[dict[str, object]],
    machine: Mapping[str, object] = MACHINE,
    **parts: object,
) -> str:
    """The markdown page for a results file holding ``runs`` and ``parts``."""
    data = {
        "machine": machine, "started": "s", "finished": "f", "command": "c", "quick": False,
        "warmup": 3, "window": 10, "runs": runs, **parts,
    }  # fmt: skip
    out = tmp_path / "b.md"
    write_markdown(json.loads(json.dumps(data)), out)
    return out.read_text()


def test_report_renders_targets_table(tmp_path: Path) -> None:
    run = flow_result("authgate-sqlite", 900.0, 0.6)
    node = flow_result("node-oidc-provider", 1000.0, 1.2)
    second = flow_result("authgate-sqlite", 1600.0, 0.6, driver="aiohttp")
    node_second = flow_result("node-oidc-provider", 1000.0, 1.2, driver="aiohttp")
    text = rendered(tmp_path, [run, node, second, node_second])
    default = "full flow, c=32, default configuration ≥ 1.5× node-oidc-provider"
    assert f"| {default} (lean driver) | 900 vs 1000 flows/s: 0.90× | no |" in text
    assert f"| {default} (aiohttp driver) | 1600 vs 1000 flows/s: 1.60× | yes |" in text
    assert (
        "| server CPU per full flow on SQLite ≤ 0.7 ms | 0.60 ms (authgate-sqlite, c=32,"
        " single pass) | yes |"
    ) in text
    # the same p50 is not lower: not met, with either driver
    assert "c=32: 1.60×, p50 20.0 vs 20.0 ms (single passes) | no |" in text
    assert "| token request p99 < 25 ms at c=32, authgate-sqlite (aiohttp driver" in text
    assert "| 30.0 ms | no |" in text
    assert "| memory per extra worker ≤ 60 MB | not measured in this run | – |" in text
    assert "## Full flow with the second driver (aiohttp)" in text


def test_report_uses_the_median_of_alternating_rounds(tmp_path: Path) -> None:
    def result(target: str, rate: float) -> dict[str, object]:
        return flow_result(target, rate, 1.0, server_system_share=0.25, idle_cores=0.5)

    # w1/node per round: 1.6, 1.2, 1.4 -> median 1.4 (a single pass could have said 1.6)
    rounds = [
        [result("node-oidc-provider", 1000), result("authgate-sqlite-w1", 1600)],
        [result("node-oidc-provider", 1000), result("authgate-sqlite-w1", 1200)],
        [result("node-oidc-provider", 1000), result("authgate-sqlite-w1", 1400)],
    ]
    # the default target, under the second driver too: each ratio against node's own run
    for one, (ours, theirs) in zip(rounds, [(1500, 900), (1800, 1000), (1000, 800)], strict=True):
        one.append(result("authgate-sqlite", ours))
        one.append(flow_result("node-oidc-provider", theirs, 1.0, driver="aiohttp"))
        one.append(flow_result("authgate-sqlite", ours, 1.0, driver="aiohttp"))
    storage = [{"users": 32, "flows": 100, "flows_per_s": 3000.0, "sync_us_per_flow": 190.0,
                "process_us_per_flow": 250.0, "per_commit": 16.0, "writes_per_flow": 25.5,
                "bytes_per_flow": 64512.0}]  # fmt: skip
    text = rendered(tmp_path, rounds[0], rounds=rounds, storage=storage)
    # lean: 1.5, 1.8, 1.0 -> 1.5; aiohttp: 1.67, 1.8, 1.25 -> 1.67
    assert (
        "(lean driver) | median 1.50× over 3 alternating rounds (range 1.00–1.80×) | yes |" in text
    )
    assert "(aiohttp driver) | median 1.67× over 3 alternating rounds (range 1.25–1.80×) |" in text
    assert "| median | 1000 | 1400 | 1500 | 900 | 1500 | 1.40× | 1.50× | 1.67× |" in text
    assert "| 32 | 3000 | 190 | 250 | 16.0 | 25.5 | 63 |" in text
    # the arithmetic uses the medians: 1.5 × 1000 flows/s on 2 cores, driver 0.2 ms
    flat = " ".join(text.split())
    assert "at most 1.13 ms of server CPU per flow" in flat
    assert "in the kernel (system time" in flat and "authgate-sqlite-w1 25%" in flat
    assert "the kernel as a whole, 25% of the server's CPU" in flat


def test_every_level_is_judged_on_the_medians_of_its_rounds(tmp_path: Path) -> None:
    """With rounds below c=32, the "every c" line takes each level's median ratio and median
    p50s from the rounds, not the single pass (which here says the opposite)."""

    def at(target: str, c: int, rate: float, p50: float, driver: str = "lean") -> dict[str, object]:
        flow_ms = {"p50": p50, "p95": p50 * 2, "p99": p50 * 3}
        return flow_result(target, rate, 1.0, concurrency=c, flow_ms=flow_ms, driver=driver)

    node, ours = "node-oidc-provider", "authgate-sqlite"
    # the single passes: authgate behind at c=1
    runs = [
        at(node, 1, 300, 3.0),
        at(ours, 1, 250, 3.5),
        at(node, 32, 1000, 30),
        at(ours, 32, 1200, 25),
    ]
    top = [
        [
            at(node, 32, 1000, 30),
            at(ours, 32, r, 25),
            at(node, 32, 900, 35, "aiohttp"),
            at(ours, 32, 950, 33, "aiohttp"),
        ]
        for r in (1100, 1300, 1200, 1250)
    ]
    # c=1 lean ratios 1.10, 0.90, 1.20, 1.05 -> median 1.075 (shown 1.08);
    # aiohttp behind in p50 at c=8
    below = [
        [at(node, 1, 300, 3.0), at(ours, 1, 300 * k, 2.8), at(node, 1, 250, 4.0, "aiohttp"),
         at(ours, 1, 260, 3.9, "aiohttp"), at(node, 8, 600, 12.0), at(ours, 8, 700, 11.0),
         at(node, 8, 500, 15.0, "aiohttp"), at(ours, 8, 520, 15.5, "aiohttp")]
        for k in (1.1, 0.9, 1.2, 1.05)
    ]  # fmt: skip
    text = rendered(tmp_path, runs, rounds=top, rounds_below_32=below)
    lean = (
        "| more flows/s and lower flow p50 than node-oidc-provider at every c (lean driver) |"
        " c=1: 1.08× (0.90–1.20), p50 2.8 vs 3.0 ms; c=8: 1.17× (1.17–1.17), p50 11.0 vs 12.0 ms;"
        " c=32: 1.23× (1.10–1.30), p50 25.0 vs 30.0 ms (medians of 4 alternating rounds) | yes |"
    )
    assert lean in text
    assert "c=8: 1.04× (1.04–1.04), p50 15.5 vs 15.0 ms; c=32: 1.06× (1.06–1.06), p50 33.0" in text
    assert "(medians of 4 alternating rounds) | no |" in text
    assert "## Alternating rounds at every concurrency" in text
    assert "| 1 | lean | 300 | 322 | 1.10 0.90 1.20 1.05 | 1.08× | 3.0 / 2.8 |" in text
    assert "| 8 | aiohttp | 500 | 520 | 1.04 1.04 1.04 1.04 | 1.04× | 15.0 / 15.5 |" in text
    assert "in 26 authgate measurements" in text  # the single passes and every round's runs


def test_the_gap_to_the_target_is_worded_for_either_side_of_the_budget() -> None:
    from bench.report import _gap

    assert _gap(6.4, 21.2, 1.73) == "the target needs 6–21% less CPU per flow"
    above = _gap(-2.0, 13.0, 1.75)
    assert "enough with both cores busy" in above and "needs 13% less CPU per flow" in above
    met = _gap(-8.0, -1.2, 1.88)
    assert met == "enough even with the 1.88 cores it keeps busy, with 1% of CPU per flow to spare"


def test_default_targets_follow_the_servers_default_worker_count() -> None:
    """authgate-sqlite passes no --workers; authgate-sqlite-w1 is one process."""
    from bench.targets import AuthgateTarget, default_workers

    from authgate.settings import Settings

    default, one = make_target("authgate-sqlite"), make_target("authgate-sqlite-w1")
    assert isinstance(default, AuthgateTarget) and isinstance(one, AuthgateTarget)
    assert default.workers is None and default.resolved_workers == Settings().workers
    assert default_workers() == Settings().workers
    n = default_workers()
    assert f"default: --workers auto, {n} worker" in default.description
    assert (one.workers, one.resolved_workers) == (1, 1)
    growth = make_target("authgate-sqlite-1m")
    assert isinstance(growth, AuthgateTarget) and growth.workers is None  # like with like


def shapes_run(tmp_path: Path, machine: Mapping[str, object], many: str, one: str) -> str:
    """A results file with every part the report reads, ``many`` and ``one`` the two SQLite
    shapes in the runs and the rounds (as an old or a new run names them)."""

    def result(target: str, rate: float, **more: object) -> dict[str, object]:
        return flow_result(target, rate, 1.0, server_system_share=0.2, idle_cores=0.3, **more)

    node = "node-oidc-provider"
    runs = [result(many, 1600), result(one, 1200), result(node, 1000)]
    rounds = [
        [result(node, 1000), result(many, 1500), result(one, 1100),
         result(node, 900, driver="aiohttp"), result("authgate-sqlite", 1300, driver="aiohttp")]
        for _ in range(2)
    ]  # fmt: skip
    growth = {
        "fill_seconds": 60.0,
        "runs": {
            "empty": [result("authgate-sqlite", 1500)],
            "1m": [result("authgate-sqlite-1m", 1450)],
        },
    }
    memory = {
        "seconds": 60.0,
        "result": result(one, 900),
        "samples": [[t * 10.0, 100.0] for t in range(6)],
    }
    profile = {"result": result(one, 900), "samples": 10, "cpu_ms_per_flow": 1.0,
               "categories": [{"category": "x", "share": 1.0, "ms_per_flow": 1.0}],
               "top_functions": [{"function": "f", "share": 1.0}]}  # fmt: skip
    return " ".join(
        rendered(
            tmp_path, runs, machine, rounds=rounds, growth=growth, memory=memory, profile=profile
        ).split()
    )


def test_report_names_the_default_and_the_one_worker_shape(tmp_path: Path) -> None:
    text = shapes_run(tmp_path, MACHINE, "authgate-sqlite", "authgate-sqlite-w1")
    default = "authgate-sqlite (default: --workers auto, 2 workers)"
    assert "| `authgate serve` workers | default: --workers auto, 2 workers |" in text
    assert f"authgate on SQLite: {default}, authgate-sqlite-w1 (--workers 1)." in text
    assert "| c | authgate-sqlite / node | authgate-sqlite-w1 / node |" in text
    assert f"with node-oidc-provider and authgate ({default}, authgate-sqlite-w1" in text
    assert f"As {default} it spends 1.00 ms per flow at 1500 flows/s" in text
    assert "same worker setting (default: --workers auto, 2 workers)" in text
    assert "authgate-sqlite-w1 (--workers 1), flow mode at c=8" in text
    assert "single-worker SQLite server (authgate-sqlite-w1)" in text
    assert "w2" not in text


def test_report_still_renders_a_results_file_with_two_workers_as_w2(tmp_path: Path) -> None:
    """docs/benchmarks.md was made before the default became --workers auto: authgate-sqlite
    was one worker then, and authgate-sqlite-w2 two."""
    old = {k: v for k, v in MACHINE.items() if k != "default_workers"}
    text = shapes_run(tmp_path, old, "authgate-sqlite-w2", "authgate-sqlite")
    was = "1 worker, the default when this run was made"
    assert f"| `authgate serve` workers | {was} |" in text
    assert f"authgate on SQLite: authgate-sqlite ({was}), authgate-sqlite-w2 (--workers 2)." in text
    assert "| c | authgate-sqlite / node | authgate-sqlite-w2 / node |" in text
    assert "As authgate-sqlite-w2 (--workers 2) it spends 1.00 ms per flow at 1500" in text
    assert f"authgate-sqlite ({was}), flow mode at c=8" in text
    assert "authgate-sqlite-w1" not in text


def test_report_renders_without_the_sqlite_shapes(tmp_path: Path) -> None:
    """A run of node-oidc-provider alone (``--only``): every authgate section says so."""
    text = rendered(tmp_path, [flow_result("node-oidc-provider", 1000.0, 1.2)])
    goal = "full flow, c=32, default configuration ≥ 1.5× node-oidc-provider (lean driver)"
    assert f"| {goal} | not measured in this run | – |" in text
    assert "| `authgate serve` workers | default: --workers auto, 2 workers |" in text


def test_report_states_the_edge_protections_cost_against_its_budget(tmp_path: Path) -> None:
    pair = {
        "protected": {"rate": 960.0, "cpu_ms_per_op": 0.80, "token_p99": 20.0, "errors": 0},
        "unprotected": {"rate": 1000.0, "cpu_ms_per_op": 0.78, "token_p99": 19.0, "errors": 0},
    }
    guard = {
        "concurrency": 32, "window": 10.0, "rounds": [pair, pair, pair],
        "protected_rate": 960.0, "unprotected_rate": 1000.0, "median_ratio": 0.96,
        "protected_cpu": 0.80, "unprotected_cpu": 0.78, "errors": 0,
    }  # fmt: skip
    text = rendered(tmp_path, [], protection=guard)
    assert "## Cost of the edge protection" in text
    goal = "the edge protection costs ≤ 5% of the flows/s (issue #13)"
    assert f"| {goal} | 4.0% fewer flows/s" in text
    assert "3 alternating rounds at c=32 | yes |" in text
    over = guard | {"median_ratio": 0.94}
    assert "at c=32 | no |" in rendered(tmp_path, [], protection=over)


def test_the_cpu_budget_names_this_machines_signature_cost(tmp_path: Path) -> None:
    runs = [
        flow_result("node-oidc-provider", 600.0, 2.3),
        flow_result("authgate-sqlite", 700.0, 2.4),
    ]
    text = rendered(tmp_path, runs, MACHINE | {"openssl_rsa2048_sign_ms": 0.706}).replace("\n", " ")
    assert "## The CPU budget for 1.5× node-oidc-provider" in text
    assert (
        "the RSA-2048 signature, 0.706 ms by `openssl speed` on this machine and the same" in text
    )
    unknown = rendered(tmp_path, runs, MACHINE | {"openssl_rsa2048_sign_ms": None})
    assert "the RSA-2048 signature, a fixed cost and the same" in unknown.replace("\n", " ")


def test_the_edge_protections_line_is_judged_on_counted_instructions(tmp_path: Path) -> None:
    """Timed rounds that say 7% lose to callgrind's counts at c=8: 120,000 of the 3,000,000
    instructions outside the signature is 4.0%, under the budget."""
    pair = {
        "protected": {"rate": 930.0, "cpu_ms_per_op": 0.80, "token_p99": 20.0, "errors": 0},
        "unprotected": {"rate": 1000.0, "cpu_ms_per_op": 0.78, "token_p99": 19.0, "errors": 0},
    }

    def level(users: int, cost: float) -> dict[str, object]:
        return {
            "concurrency": users, "protected": [9_300_000.0, 9_320_000.0],
            "protected_signature": [6_300_000.0, 6_310_000.0], "unprotected": [9_180_000.0] * 2,
            "unprotected_signature": [6_300_000.0] * 2, "protected_outside": 3_000_000.0,
            "unprotected_outside": 2_880_000.0, "cost": cost, "cost_of_all": 0.0129,
        }  # fmt: skip

    counted = {"flows": 200, "levels": [level(8, 0.04), level(1, 0.052)]}
    guard = {
        "concurrency": 32, "window": 10.0, "rounds": [pair, pair], "protected_rate": 930.0,
        "unprotected_rate": 1000.0, "median_ratio": 0.93, "protected_cpu": 0.80,
        "unprotected_cpu": 0.78, "errors": 0, "instructions": counted,
    }  # fmt: skip
    text = rendered(tmp_path, [], protection=guard)
    goal = "the edge protection costs ≤ 5% of the flows/s (issue #13)"
    assert (
        f"| {goal} | 4.0% of the instructions per flow outside the RSA signature (callgrind,"
        " one worker, 200 flows at c=8: 0.120M of 3.00M; 1.3% of all 9.31M; c=1: 5.2%)"
    ) in text
    assert "timed, 7.0% fewer flows/s" in text and "rounds at c=32 | yes |" in text
    assert "| 8 | 2 | 9,320,000 | 6,310,000 | 9,180,000 | 6,300,000 |" in text
    assert "| 1 | 1 | 9,300,000 | 6,300,000 | 9,180,000 | 6,300,000 |" in text
    assert "the protection is at c=8 **4.0%** (1.3% of all the instructions), at c=1" in text
    heavy = {"flows": 200, "levels": [level(8, 0.06)]}
    over = rendered(tmp_path, [], protection=guard | {"instructions": heavy})
    assert "rounds at c=32 | no |" in over
    unmeasured = rendered(tmp_path, [], protection=guard | {"instructions": None})
    assert f"| {goal} | 7.0% fewer flows/s" in unmeasured
    faster = rendered(tmp_path, [], protection=guard | {"median_ratio": 1.001})
    assert "timed, 0.1% more flows/s: median 930 vs 1000" in faster
    assert "the server with it served **0.1%** more flows/s. Median server CPU" in faster
    assert "not counted in this run (valgrind is not installed)" in unmeasured


def test_the_counted_servers_run_their_background_work_25_times_less_often() -> None:
    """The slowed intervals are what the counted servers get, and settings the server takes."""
    from bench.instructions import SLOWED_INTERVALS, CountedTarget

    from authgate.settings import Settings

    env = CountedTarget("authgate-counted-test", "test")._env()
    assert {name: env[name] for name in SLOWED_INTERVALS} == SLOWED_INTERVALS
    fields = {
        name.removeprefix("AUTHGATE_").lower(): float(v) for name, v in SLOWED_INTERVALS.items()
    }
    slowed, default = Settings(**fields), Settings()  # type: ignore[arg-type]
    for field in fields:
        assert getattr(slowed, field) == 25 * getattr(default, field)


def test_counting_without_valgrind_says_so_before_measuring_anything(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "python").symlink_to(sys.executable)  # a PATH with Python and no valgrind
    done = subprocess.run(
        [sys.executable, "-m", "bench", "protection", "--rounds", "8", "--count", "10"],
        env={**os.environ, "PATH": str(tmp_path)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "valgrind is not installed (apt-get install valgrind)" in done.stderr
    assert "--count 0 runs only the timed rounds" in done.stderr
    assert done.stdout == ""  # no timed round ran first


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_callgrind_counts_only_while_instrumentation_is_on(tmp_path: Path) -> None:
    """The controls bench/instructions.py sends a running process, on a real valgrind: a
    dump after ``--instr=on`` holds the totals line the benchmark reads."""
    import subprocess

    from bench.instructions import (
        VALGRIND,
        _control,
        _latest_dump,
        dumped_instructions,
        signature_instructions,
    )

    out = f"--callgrind-out-file={tmp_path}/callgrind.%p"
    proc = subprocess.Popen([*VALGRIND, out, "/bin/sleep", "60"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:  # callgrind_control finds the process once valgrind has set up its pipes
            try:
                _control(proc.pid, "--instr=on")
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        _control(proc.pid, "--dump")
        _control(proc.pid, "--instr=off")
        dump = _latest_dump(tmp_path, proc.pid)
        assert dump.name == f"callgrind.{proc.pid}.1"
        assert dumped_instructions(dump) >= 0
        assert signature_instructions(dump) == 0  # sleep signs nothing
    finally:
        proc.kill()
        proc.wait()
    empty = tmp_path / "empty"
    empty.write_text("events: Ir\n")
    with pytest.raises(RuntimeError, match="no totals"):
        dumped_instructions(empty)


def test_the_ablated_copy_lacks_exactly_the_three_layers(tmp_path: Path) -> None:
    from bench.protection import ABLATION, ablated_source
    from bench.targets import ROOT

    copy = ablated_source(target=tmp_path / "src")
    for name, text, replacement in ABLATION:
        code = (copy / name).read_text()
        assert text not in code and replacement in code
    assert (copy / "authgate" / "web" / "observe.py").read_text() == (
        ROOT / "src" / "authgate" / "web" / "observe.py"
    ).read_text()
    broken = tmp_path / "broken"
    shutil.copytree(copy, broken)
    with pytest.raises(RuntimeError, match="exactly once"):
        ablated_source(broken, tmp_path / "again")


def test_report_shows_pss_where_measured_and_says_rss_otherwise(tmp_path: Path) -> None:
    forked = flow_result("authgate-sqlite", 900.0, 0.6, pss_mb=183.0)
    single = flow_result("node-oidc-provider", 1000.0, 1.2)
    text = rendered(tmp_path, [forked, single])
    assert "| 183 (PSS) |" in text
    assert "| 100 (RSS) |" in text


def test_a_lone_clients_extra_cost_is_set_against_the_counted_instructions(
    tmp_path: Path,
) -> None:
    """The same instructions per flow at c=1 and c=8, and 67% more CPU time at c=1: the
    report says that the work is the same and the time per instruction is not."""

    def level(users: int, everything: float, outside: float) -> dict[str, object]:
        return {
            "concurrency": users, "protected": [everything] * 2,
            "protected_signature": [6_360_000.0] * 2, "unprotected": [everything] * 2,
            "unprotected_signature": [6_360_000.0] * 2, "protected_outside": outside,
            "unprotected_outside": outside * 0.98, "cost": 0.02, "cost_of_all": 0.006,
        }  # fmt: skip

    counted = {
        "flows": 200,
        "levels": [level(8, 9_160_000.0, 2_800_000.0), level(1, 9_440_000.0, 3_080_000.0)],
    }
    pair = {
        "protected": {"rate": 990.0, "cpu_ms_per_op": 0.80, "token_p99": 20.0, "errors": 0},
        "unprotected": {"rate": 1000.0, "cpu_ms_per_op": 0.79, "token_p99": 19.0, "errors": 0},
    }
    guard = {
        "concurrency": 32, "window": 10.0, "rounds": [pair, pair], "protected_rate": 990.0,
        "unprotected_rate": 1000.0, "median_ratio": 0.99, "protected_cpu": 0.80,
        "unprotected_cpu": 0.79, "errors": 0, "instructions": counted,
    }  # fmt: skip
    runs = [
        flow_result("authgate-sqlite-w1", 416.0, 2.08, concurrency=1, server_system_share=0.19),
        flow_result("authgate-sqlite-w1", 848.0, 1.25, concurrency=8, server_system_share=0.14),
    ]
    text = rendered(tmp_path, runs, protection=guard).replace("\n", " ")
    assert (
        "authgate-sqlite-w1 spends 2.08 ms of CPU per flow at c=1 against 1.25 ms at c=8 "
        "(66% more), yet callgrind counts 9.44M instructions per flow at c=1 against 9.16M at "
        "c=8, and 3.08M against 2.80M outside the signature (10% more)"
    ) in text
    assert "The kernel's share of the server's CPU is 19% at c=1 against 14% at c=8" in text
    uncounted = rendered(tmp_path, runs, protection=guard | {"instructions": None})
    assert "Why a lone client costs more" not in uncounted


def _write_path(users: int, per_commit: float, process_us: float) -> dict[str, object]:
    return {"users": users, "flows": 1000, "flows_per_s": 1000.0, "sync_us_per_flow": 50.0,
            "process_us_per_flow": process_us, "per_commit": per_commit,
            "writes_per_flow": 10.0, "bytes_per_flow": 20480.0}  # fmt: skip


def test_report_separates_a_commits_cost_from_a_flows(tmp_path: Path) -> None:
    # 300 µs per commit and 100 µs per flow, a flow committing 2 / per_commit times
    storage = [
        _write_path(users, per_commit, 300.0 * 2 / per_commit + 100.0)
        for users, per_commit in ((1, 1.0), (4, 4.0), (8, 8.0), (32, 32.0))
    ]
    assert commit_cost_fit(storage) == pytest.approx((300.0, 100.0))
    flat = " ".join(rendered(tmp_path, [], storage=storage).split())
    assert "about 300 µs of CPU per commit" in flat
    assert "about 100 µs per flow (its statements" in flat
    assert "the two commits are 600 of the 700 µs a flow's writes cost" in flat


def test_report_fits_no_commit_cost_from_two_batch_sizes(tmp_path: Path) -> None:
    storage = [_write_path(8, 8.0, 175.0), _write_path(32, 32.0, 118.75)]
    assert commit_cost_fit(storage) is None
    assert "of CPU per commit" not in rendered(tmp_path, [], storage=storage)


def test_report_prices_one_unit_per_flow_against_two(tmp_path: Path) -> None:
    storage = [
        _write_path(1, 1.0, 700.0),
        _write_path(4, 4.0, 250.0),
        _write_path(32, 32.0, 118.75),
        _write_path(1, 1.0, 420.0) | {"together": True},
        _write_path(32, 32.0, 107.0) | {"together": True},
    ]
    text = rendered(tmp_path, [], storage=storage)
    flat = " ".join(text.split())
    priced = "a flow costs 420 µs against 700 (-40%) at 1 user, 107 µs against 119 (-10%) at 32"
    assert priced in flat
    assert "The whole flow does not gain that" in flat
    # the table and the commit-cost fit (300 µs per commit, 100 per flow) take the two-unit rows
    assert text.count("| 1 | 1000 |") == 1
    assert "about 300 µs of CPU per commit" in flat


def test_report_states_what_durability_costs_a_lone_client(tmp_path: Path) -> None:
    flat = " ".join(rendered(tmp_path, []).split())
    assert "What durability costs a lone client" in flat
    assert "half of the distance to node-oidc-provider at c=1" in flat
