"""How long ``authgate serve`` takes to start: from the command to the first answer of its
discovery document, and the CPU its processes used until then.

Each start is a new ``python -m authgate serve`` process on SQLite, stopped once it has
answered: first on a fresh data directory (a first start: the schema, the signing keys, the
first user's password hash), then again on the directory the previous start left (a
restart, what an operator's deploy or a crashed process waits for). The package is
byte-compiled first, as pip leaves an installed package; otherwise, where
``PYTHONDONTWRITEBYTECODE`` is set, every start would compile it again.

    python -m bench startup [--repeat 5] [--workers 1]
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.measure import cpu_seconds, process_tree
from bench.targets import ROOT, free_port

#: Seconds a start may take before the measurement gives up.
TIMEOUT = 60.0


@dataclass
class StartupResult:
    kind: str  # "first start" or "restart"
    workers: str
    ready_s: list[float]
    cpu_s: list[float]

    def line(self) -> str:
        return (
            f"authgate serve {self.kind:<11} workers={self.workers:<4} "
            f"ready after {statistics.median(self.ready_s):5.2f} s "
            f"(range {min(self.ready_s):.2f}-{max(self.ready_s):.2f}), "
            f"CPU {statistics.median(self.cpu_s):5.2f} s (median of {len(self.ready_s)})"
        )


def _start_once(data_dir: Path, workers: str) -> tuple[float, float]:
    """One start: seconds until discovery answered, and the CPU seconds of the server's
    processes by then."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env |= {
        "AUTHGATE_ADMIN_PASSWORD": "startup-bench-password",
        "AUTHGATE_MANAGEMENT_ADDRESS": "off",
        "AUTHGATE_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "authgate", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--workers", workers]
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
    try:
        with httpx.Client(timeout=1.0) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"authgate serve exited with status {proc.returncode}")
                if time.perf_counter() - started > TIMEOUT:
                    raise RuntimeError(f"authgate serve did not answer within {TIMEOUT} s")
                try:
                    if client.get(url).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.005)
        ready = time.perf_counter() - started
        cpu = cpu_seconds(process_tree([proc.pid]))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return ready, cpu


def measure_startup(repeat: int = 5, workers: str = "1") -> list[StartupResult]:
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    first = StartupResult("first start", workers, [], [])
    restart = StartupResult("restart", workers, [], [])
    for _ in range(repeat):
        base = Path(tempfile.mkdtemp(prefix="authgate-startup-"))
        try:
            for result in (first, restart):
                ready, cpu = _start_once(base / "data", workers)
                result.ready_s.append(ready)
                result.cpu_s.append(cpu)
        finally:
            shutil.rmtree(base, ignore_errors=True)
    return [first, restart]
