"""JavaScript libraries from the npm registry for the browser tests, installed at test time.

``npm install`` runs once into ``.cache/e2e-npm/`` at the repository root (ignored by git) and
is reused afterwards. Without npm or the registry the test is skipped, or fails when the
browser tests are required (``AUTHGATE_REQUIRE_BROWSER=1``, as in CI).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.e2e.harness import REQUIRE_BROWSER_ENV

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "e2e-npm"
INSTALL_TIMEOUT = 300


def _unavailable(message: str, environ: Mapping[str, str]) -> None:
    if environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(f"{message}, but {REQUIRE_BROWSER_ENV}=1 requires the browser tests")
    pytest.skip(message)


def npm_file(name: str, version: str, relative: str, environ: Mapping[str, str]) -> Path:
    """The file ``relative`` (to the package's directory) of the npm package ``name`` at
    ``version`` (a range), installed first if this machine has not done so yet."""
    spec = f"{name}@{version}"
    target = CACHE / re.sub(r"[^A-Za-z0-9._-]", "_", spec)
    wanted = target / "node_modules" / name / relative
    if wanted.is_file():
        return wanted
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed (Debian's npm package)", environ)
    target.mkdir(parents=True, exist_ok=True)
    command = [str(npm), "install", "--prefix", str(target), "--no-audit", "--no-fund"]
    command += ["--cache", str(CACHE / ".npm-cache"), spec]
    try:
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        output = getattr(exc, "stderr", b"") or b""
        _unavailable(
            f"npm install {spec} failed: {output.decode(errors='replace')[-500:]}", environ
        )
    if not wanted.is_file():
        _unavailable(f"npm installed {spec} without {relative}", environ)
    return wanted
