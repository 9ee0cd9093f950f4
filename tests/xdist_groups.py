"""How pytest-xdist shares the suite between its workers (``make test`` runs ``-n auto``).

xdist's default (``--dist load``) hands out tests one by one. That balances well, but a
module whose tests share a module-scoped fixture (an ``authgate serve`` process, Chromium, a
run of a whole document) is often split between the workers, and each worker then starts
that fixture again: twice the seconds of the slowest fixtures in the suite. xdist's own
grouping (``--dist loadgroup`` with ``xdist_group`` marks) renames the tests to carry their
group, which pytest 9 no longer lets it do.

So the workers say which modules have such a fixture (:func:`record`, from their
collection), and the scheduler (:class:`ModuleFixtureScheduling`) gives each of those
modules to one worker as a whole, the larger ones first, and every other test on its own
afterwards, which keeps both workers busy to the end. An explicit ``--dist`` other than
``load`` is left alone.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

#: The ``workerinput`` key naming the directory where workers record the grouped modules.
KEY = "authgate_groups_dir"


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def uses_module_fixture(item: pytest.Item) -> bool:
    """Whether ``item`` uses a module- or package-scoped fixture."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        defs and defs[-1].scope in ("module", "package") for defs in info.name2fixturedefs.values()
    )


def record(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker: write the modules whose tests should stay together."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None or KEY not in workerinput:
        return
    modules = sorted({module_of(item.nodeid) for item in items if uses_module_fixture(item)})
    target = Path(workerinput[KEY]) / f"{workerinput['workerid']}.json"
    target.write_text(json.dumps(modules))


def grouped_modules(directory: Path) -> set[str]:
    modules: set[str] = set()
    for path in directory.glob("*.json"):
        modules.update(json.loads(path.read_text()))
    return modules


class ModuleFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """One unit per module with a module-scoped fixture, one per test otherwise."""

    def __init__(self, config: pytest.Config, directory: Path, log: Any = None) -> None:
        super().__init__(config, log)
        self._directory = directory
        self._grouped: set[str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._grouped is None:  # every worker has collected before the first call
            self._grouped = grouped_modules(self._directory)
        module = module_of(nodeid)
        return module if module in self._grouped else nodeid


class Controller:
    """The controller's side: a directory for the workers' records, and the scheduler."""

    def __init__(self) -> None:
        self._directory: tempfile.TemporaryDirectory[str] | None = None

    def directory(self) -> Path:
        if self._directory is None:
            self._directory = tempfile.TemporaryDirectory(prefix="authgate-xdist-")
        return Path(self._directory.name)

    def configure_node(self, node: Any) -> None:
        node.workerinput[KEY] = str(self.directory())

    def make_scheduler(self, config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
        if config.getvalue("dist") != "load":
            return None
        return ModuleFixtureScheduling(config, self.directory(), log)

    def close(self) -> None:
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None
