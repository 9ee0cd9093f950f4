"""The cyclic garbage collector while the ``authgate`` command starts.

Starting creates a few hundred thousand objects that live as long as the process: modules,
classes, the ORM's mappings, pydantic's validators, compiled templates. At CPython's default
thresholds the collector walks them again and again while they are being made, although none
of them is garbage: importing what ``authgate serve`` imports took 825 ms with it and 690 ms
without it (Intel Xeon test machine). So the command starts with the collector off
(:func:`authgate.__main__.run`), and switches it on once the start-up is over:

- ``authgate serve``: when the server is ready to serve, after a last full collection and
  ``gc.freeze`` (:func:`authgate.web.app.settle_heap` in each serving process, and
  :func:`authgate.startup.prefork.preload` in the supervisor before it forks the workers);
- every other command: as soon as it starts; the admin commands' local mode imports its
  runtime with the collector paused (:func:`paused`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def starting() -> None:
    """The command is starting: no collections until :func:`started`."""
    gc.disable()


def started() -> None:
    """The command's start-up is over: collect as usual."""
    gc.enable()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collections inside the block (imports of long-lived code); the collector's state
    is restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
