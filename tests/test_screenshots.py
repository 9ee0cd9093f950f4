"""scripts/screenshots.py runs: ``--check`` starts a real server, renders every scene in
Chromium into a temporary directory and verifies each PNG; docs/screenshots/ holds the same
files."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import CHROMIUM, require_chromium

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "screenshots.py"


def _script_module() -> Any:
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.mark.browser
def test_check_renders_every_scene(tmp_path: Path) -> None:
    require_chromium(CHROMIUM, os.environ)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    before = {p.name: p.stat().st_mtime_ns for p in (ROOT / "docs" / "screenshots").glob("*")}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    after = {p.name: p.stat().st_mtime_ns for p in (ROOT / "docs" / "screenshots").glob("*")}
    assert after == before, "--check must not touch docs/screenshots"


def test_the_committed_screenshots_are_the_scenes_files() -> None:
    module = _script_module()
    expected = sorted(module.EXPECTED)
    committed = sorted(p.name for p in (ROOT / "docs" / "screenshots").glob("*.png"))
    assert committed == expected
    for name in expected:
        width, _height = module.png_size(ROOT / "docs" / "screenshots" / name)
        assert width == module.WIDTH
