"""``python -m bench.observe`` runs and reports what observation adds (numbers in
docs/operations.md, not in assertions)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench import observe

ROOT = Path(__file__).resolve().parents[2]


def test_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    observe.main(["--requests", "200", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "one process" in out and "added" in out and "one storage batch" in out


def test_as_a_worker_of_several_with_the_access_log() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    args = ["--requests", "200", "--rounds", "1", "--multiprocess", "--access-log"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.observe", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "multiprocess (mmap), access log" in result.stdout
