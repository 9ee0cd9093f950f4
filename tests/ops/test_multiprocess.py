"""Several worker processes recording into one multiprocess directory: the exposition adds
them up, a dead worker's counts stay, live workers get process metrics by pid, and the
directory goes away with the server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from authgate.metrics.exposition import Exposition
from authgate.metrics.multiprocess import ENVIRONMENT, metrics_directory, recorded_pids

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import sys
from authgate import metrics
for _ in range(int(sys.argv[1])):
    metrics.rate_limited("/test/multiprocess")
print("recorded", flush=True)
if len(sys.argv) > 2:
    sys.stdin.readline()  # stay alive until told
"""


def _worker(count: int, *, stay: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    args = [sys.executable, "-c", WORKER, str(count)] + (["stay"] if stay else [])
    process = subprocess.Popen(
        args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "recorded"
    return process


def _scrape(exposition: Exposition) -> dict[str, list[tuple[dict[str, str], float]]]:
    body, _content_type = exposition.render(None)
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            found.setdefault(s.name, []).append((s.labels, s.value))
    return found


def _limited(found: dict[str, list[tuple[dict[str, str], float]]]) -> float:
    return sum(
        value
        for labels, value in found.get("authgate_rate_limited_total", [])
        if labels.get("endpoint") == "/test/multiprocess"
    )


def test_workers_are_added_up_and_dead_ones_keep_their_counts() -> None:
    outside = os.environ.get(ENVIRONMENT)
    with metrics_directory() as directory:
        assert os.environ[ENVIRONMENT] == str(directory)
        exposition = Exposition(directory)
        first = _worker(3)
        first.wait(10)
        second = _worker(4, stay=True)
        try:
            found = _scrape(exposition)
            assert _limited(found) == 7
            pids = {labels["pid"] for labels, _ in found["process_cpu_seconds_total"]}
            # the serving process and the live worker; the one that exited is marked dead
            assert pids == {str(os.getpid()), str(second.pid)}
            assert exposition.workers is not None
            assert exposition.workers.live() == [second.pid]
        finally:
            assert second.stdin is not None
            second.stdin.write("stop\n")
            second.stdin.flush()
            second.wait(10)
        found = _scrape(exposition)
        assert _limited(found) == 7  # counters never go back when a worker dies
        pids = {labels["pid"] for labels, _ in found["process_cpu_seconds_total"]}
        assert pids == {str(os.getpid())}
        assert recorded_pids(directory) >= {first.pid, second.pid}
    assert not directory.exists()
    assert os.environ.get(ENVIRONMENT) == outside
