"""The ``authgate`` command starts with the cyclic garbage collector off and switches it on
once its start-up is over (authgate.startup.collector)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from authgate.cli import main
from authgate.startup import collector, prefork
from authgate.web.app import settle_heap

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The collector off, as the command leaves it while starting; restored afterwards."""
    before = gc.get_threshold()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_command_starts_without_collections_and_runs_with_them() -> None:
    # The real entry point (the `authgate` script and `python -m authgate` call it).
    script = textwrap.dedent(
        """
        import gc, json, sys
        from authgate.__main__ import run
        before = sum(s["collections"] for s in gc.get_stats())
        sys.argv = ["authgate", "pkce"]
        try:
            run()
        except SystemExit as exit:
            status = exit.code
        collections = sum(s["collections"] for s in gc.get_stats()) - before
        print(json.dumps([status, gc.isenabled(), collections]))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "code_verifier=" in done.stdout
    status, enabled, collections = json.loads(done.stdout.splitlines()[-1])
    assert status in (0, None)
    assert enabled
    # Importing the command line allocates over 100,000 objects: with the collector on, about
    # a hundred collections; with it off, those made once it is switched on, a few.
    assert collections < 40


def test_other_commands_switch_the_collector_on_when_they_start(collector_off: None) -> None:
    result = CliRunner().invoke(main, ["pkce"])
    assert result.exit_code == 0, result.output
    assert gc.isenabled()


def test_serve_leaves_it_off_until_the_server_has_started(collector_off: None) -> None:
    # `serve --help` runs the group's callback as `serve` does, then stops.
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    assert not gc.isenabled()


def test_a_serving_process_switches_it_on_once_started(collector_off: None) -> None:
    settle_heap()
    assert gc.isenabled()


def test_the_supervisor_switches_it_on_before_it_forks(collector_off: None) -> None:
    prefork.preload(())
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_restores_the_collector(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with collector.paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
