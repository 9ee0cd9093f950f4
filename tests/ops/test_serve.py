"""``authgate serve --workers 2`` for real: metrics of both workers on the management
listener (never the public port), counts that add up across workers and survive a worker's
death, JSON log lines with request ids, an access log without query strings, and the
metrics directory removed at the end."""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import CHEAP_PASSWORD_HASHES, free_port

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
DISCOVERY = "/.well-known/openid-configuration"
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    public: str
    management: str
    log: Path

    def scrape(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        response = httpx.get(f"{self.management}/metrics", timeout=10)
        assert response.status_code == 200, response.text
        found: dict[str, list[tuple[dict[str, str], float]]] = {}
        for family in text_string_to_metric_families(response.text):
            for s in family.samples:
                found.setdefault(s.name, []).append((s.labels, s.value))
        return found

    def worker_pids(self) -> set[int]:
        found = self.scrape().get("process_start_time_seconds", [])
        return {int(labels["pid"]) for labels, _ in found} - {self.process.pid}

    def discovery_count(self) -> float:
        return sum(
            value
            for labels, value in self.scrape().get("authgate_http_requests_total", [])
            if labels["route"] == DISCOVERY and labels["status"] == "200"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _wait(condition: object, what: str, served: Served, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"authgate exited: {served.log.read_text()[-3000:]}")
        try:
            if condition():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s: {served.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("serve")
    port, management_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env |= {
        "PYTHONPATH": str(ROOT / "src"),
        "AUTHGATE_ADMIN_PASSWORD": "serve-test-password",
        "AUTHGATE_TRUSTED_PROXIES": LOOPBACK,
        **CHEAP_PASSWORD_HASHES,
    }
    command = [
        sys.executable,
        "-m",
        "authgate",
        "serve",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        "2",
        "--management-address",
        f"{LOOPBACK}:{management_port}",
        "--log-format",
        "json",
        "--access-log",
        "--data-dir",
        str(data / "data"),
    ]
    log = data / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    result = Served(
        process, f"http://{LOOPBACK}:{port}", f"http://{LOOPBACK}:{management_port}", log
    )
    try:
        _wait(
            lambda: httpx.get(f"{result.public}/health/ready", timeout=2).status_code == 200,
            "public readiness",
            result,
        )
        _wait(lambda: len(result.worker_pids()) == 2, "two workers recording", result)
        yield result
    finally:
        result.stop()


def _drive(served: Served, count: int) -> None:
    """``count`` discovery requests, each on a new connection, from four threads."""

    def one(_: int) -> int:
        with httpx.Client(timeout=10) as client:
            return client.get(f"{served.public}{DISCOVERY}").status_code

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert set(pool.map(one, range(count))) == {200}


def _per_worker(served: Served) -> dict[int, float]:
    """Discovery requests each worker recorded, read from its own file."""
    (directory,) = Path(tempfile.gettempdir()).glob(f"authgate-metrics-{served.process.pid}-*")
    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        merged = MultiProcessCollector.merge([str(path)], accumulate=False)  # type: ignore[no-untyped-call]
        for metric in merged:
            for s in metric.samples:
                if s.name == "authgate_http_requests_total" and s.labels["route"] == DISCOVERY:
                    counts[pid] = counts.get(pid, 0.0) + s.value
    return counts


def test_counts_of_both_workers_add_up_and_survive_a_dead_worker(served: Served) -> None:
    driven = 0
    while driven < 400:  # until both workers have served some (the kernel picks)
        _drive(served, 20)
        driven += 20
        per_worker = _per_worker(served)
        if len(per_worker) == 2 and all(per_worker.values()):
            break
    assert len(per_worker) == 2 and all(per_worker.values()), per_worker
    assert sum(per_worker.values()) == driven
    assert served.discovery_count() == driven
    victim = min(served.worker_pids())
    os.kill(victim, signal.SIGKILL)  # uvicorn's supervisor starts a replacement
    _wait(
        lambda: victim not in served.worker_pids() and len(served.worker_pids()) == 2,
        "a replacement worker",
        served,
    )
    _drive(served, 20)
    assert served.discovery_count() == driven + 20


def test_metrics_only_on_the_management_listener(served: Served) -> None:
    assert httpx.get(f"{served.public}/metrics", timeout=5).status_code == 404
    for base in (served.public, served.management):
        assert httpx.get(f"{base}/health/live", timeout=5).status_code == 200
        ready = httpx.get(f"{base}/health/ready", timeout=5)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
    found = served.scrape()
    assert {labels["alg"] for labels, _ in found["authgate_signing_key_age_seconds"]} == {
        "RS256",
        "ES256",
        "PS256",
    }


def test_json_log_lines_with_request_ids_and_no_query_strings(served: Served) -> None:
    mine = httpx.get(
        f"{served.public}/jans-auth/restv1/authorize?code=SECRET-CODE-123&state=s",
        headers={"X-Request-Id": "proxy-id-1"},  # the peer is a trusted proxy here
        timeout=5,
    )
    generated = httpx.get(f"{served.public}{DISCOVERY}?token=SECRET-TOKEN-456", timeout=5)
    assert mine.headers["x-request-id"] == "proxy-id-1"
    generated_id = generated.headers["x-request-id"]
    time.sleep(0.5)  # the lines reach the file
    text = served.log.read_text()
    assert "SECRET-CODE-123" not in text and "SECRET-TOKEN-456" not in text
    entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(entries) > 10
    assert not [line for line in text.splitlines() if TEXT_LINE.match(line)]
    access = {e["request_id"]: e for e in entries if e["logger"] == "authgate.access"}
    assert access["proxy-id-1"]["route"] == "/jans-auth/restv1/authorize"
    assert access["proxy-id-1"]["status"] == mine.status_code
    assert access[generated_id]["route"] == DISCOVERY
    assert access[generated_id]["source"] == LOOPBACK
    # the error log line of the refused authorize request carries its id too
    assert any(
        e["request_id"] == "proxy-id-1" and e["logger"] == "authgate.web"
        for e in entries
        if "request_id" in e
    )


def test_stopping_removes_the_metrics_directory(served: Served) -> None:
    pattern = f"authgate-metrics-{served.process.pid}-*"
    assert list(Path(tempfile.gettempdir()).glob(pattern))
    served.stop()
    assert served.process.returncode == 0
    assert not list(Path(tempfile.gettempdir()).glob(pattern))
