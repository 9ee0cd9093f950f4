"""What this process is doing right now, for the parts that adapt to it.

The web layer's outermost middleware (:class:`authgate.web.observe.ObserveMiddleware`) counts
the HTTP requests in progress; the SQLite adapter asks :func:`alone` whether a commit may be
flushed on the event loop's own thread (:class:`authgate.storage.sqlite.SqliteDatabase`,
docs/architecture.md §5.3). The count is per process: each worker has its own event loop.
"""

from __future__ import annotations

_in_progress = 0


def request_started() -> None:
    global _in_progress
    _in_progress += 1


def request_ended() -> None:
    global _in_progress
    _in_progress -= 1


def requests_in_progress() -> int:
    return _in_progress


def alone() -> bool:
    """Whether at most one request is in progress: the caller's own, or none."""
    return _in_progress <= 1
