"""Metrics of several worker processes: the directory they record into, and which of them are
alive.

With ``authgate serve --workers N`` (N > 1), the serving process creates a private directory
and names it in ``PROMETHEUS_MULTIPROC_DIR`` before it forks the workers
(:mod:`authgate.startup.prefork`), and switches its metric families to recording into files
there (:func:`record_into_directory`; prometheus-client was imported before the variable was
set). Each worker then keeps its values in files of its own (one per worker and metric type:
a forked child starts new files at its first recording). The management listener, in a
process of its own, adds them up at every scrape. A
worker that dies leaves its files: its counts stay in the totals (counters never go back),
and it is marked dead so that per-process values of it are dropped. The directory is removed
when the server stops.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import multiprocess, values

from authgate.metrics import families, record

ENVIRONMENT = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """A fresh private directory named in ``PROMETHEUS_MULTIPROC_DIR`` for the processes
    started inside the block (it must be set before they import prometheus-client); the
    variable is restored and the directory removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"authgate-metrics-{os.getpid()}-"))
    previous = os.environ.get(ENVIRONMENT)
    os.environ[ENVIRONMENT] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(ENVIRONMENT, None)
        else:
            os.environ[ENVIRONMENT] = previous
        shutil.rmtree(path, ignore_errors=True)


def record_into_directory() -> None:
    """Make this process's metric families record into the directory named in
    ``PROMETHEUS_MULTIPROC_DIR``, although prometheus-client was imported before it was set
    (prometheus-client chooses its value class at import): every value made from now on is
    kept in a file, and the values made so far are made again, empty."""
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    for family in families.ALL:
        if family._labelnames:
            # (it warns that the files' values stay: the children dropped hold none)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                family.clear()
        else:
            family._metric_init()  # type: ignore[no-untyped-call]
    record.forget_children()


def recorded_pids(directory: Path) -> set[int]:
    """The processes that have files in ``directory`` (``<type>_<pid>.db``)."""
    pids: set[int] = set()
    for entry in directory.glob("*.db"):
        tail = entry.stem.rsplit("_", 1)[-1]
        if tail.isdigit():
            pids.add(int(tail))
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class Workers:
    """The worker processes recording into ``directory``, with dead ones marked."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._dead: set[int] = set()

    def live(self) -> list[int]:
        """Live workers' pids, marking every worker found dead since the last call."""
        live = []
        for pid in sorted(recorded_pids(self.directory)):
            if alive(pid):  # (a reused pid carries on in the dead process's files)
                live.append(pid)
                self._dead.discard(pid)
            elif pid not in self._dead:
                multiprocess.mark_process_dead(pid, str(self.directory))  # type: ignore[no-untyped-call]
                self._dead.add(pid)
        return live
