"""The import contracts of pyproject.toml's [tool.importlinter] hold (the check `make lint` runs).

Running them here as well makes the README's test command fail on a layering violation, e.g.
the protocol core importing Starlette or the TUI importing the storage layer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# lint-imports' own entry point, run by this interpreter so that it is the one of the venv.
LINT_IMPORTS = (
    "import sys\n"
    "from importlinter.cli import lint_imports_command\n"
    "sys.exit(lint_imports_command())\n"
)


def contract_names() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        config = tomllib.load(file)
    return [contract["name"] for contract in config["tool"]["importlinter"]["contracts"]]


def test_import_contracts_are_kept() -> None:
    names = contract_names()
    assert names, "pyproject.toml declares no import contracts"

    # This checkout's sources first, whatever copy of authgate the venv has installed; a wide
    # terminal so that no contract name is wrapped in the report.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["COLUMNS"] = "1000"
    env["NO_COLOR"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = result.stdout + result.stderr

    broken = [name for name in names if re.search(rf"^{re.escape(name)} BROKEN$", report, re.M)]
    assert not broken and result.returncode == 0, (
        "import contracts broken: "
        + ("; ".join(broken) if broken else f"lint-imports exited {result.returncode}")
        + "\n\n"
        + report
    )
    kept = [name for name in names if re.search(rf"^{re.escape(name)} KEPT", report, re.M)]
    assert kept == names, f"lint-imports did not check every contract:\n\n{report}"
