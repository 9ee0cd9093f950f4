"""Recording functions for the code that observes something: each a dictionary lookup for
its pre-bound child and one increment or observation (no ``.labels()`` call per event).

A family's children are bound on first use and kept; past :data:`MAX_CHILDREN` distinct
label sets a family records under ``other``, so a mistake that lets request input into a
label cannot grow the exposition without bound.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from prometheus_client.metrics import MetricWrapperBase

from authgate.metrics import families

M = TypeVar("M", bound=MetricWrapperBase)
#: Distinct label sets per family before new ones are recorded under ``other``.
MAX_CHILDREN = 500
OTHER = "other"


class Children(Generic[M]):
    """The children of one labelled family, bound once per label set."""

    __slots__ = ("_children", "_family", "_other")

    def __init__(self, family: M) -> None:
        self._family = family
        self._children: dict[tuple[str, ...], M] = {}
        self._other: M | None = None

    def forget(self) -> None:
        """Drop the bound children (after the family's own were cleared)."""
        self._children.clear()
        self._other = None

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._bind(values)
        return child

    def _bind(self, values: tuple[str, ...]) -> M:
        if len(self._children) >= MAX_CHILDREN:
            if self._other is None:
                self._other = self._family.labels(*(OTHER for _ in values))
            return self._other
        child = self._children[values] = self._family.labels(*values)
        return child


REQUESTS = Children(families.REQUESTS)
REQUEST_SECONDS = Children(families.REQUEST_SECONDS)
_grants = Children(families.GRANTS)
_oauth_errors = Children(families.OAUTH_ERRORS)
_logins = Children(families.LOGINS)
_security_events = Children(families.SECURITY_EVENTS)
_rate_limited = Children(families.RATE_LIMITED)
_batches = Children(families.STORAGE_BATCH)
_commits = Children(families.STORAGE_COMMIT)
#: Every family's bound children, for :func:`forget_children`.
_ALL = (
    REQUESTS,
    REQUEST_SECONDS,
    _grants,
    _oauth_errors,
    _logins,
    _security_events,
    _rate_limited,
    _batches,
    _commits,
)
#: Security event kinds that have a family of their own as well.
_EVENT_COUNTERS = {
    "code_replayed": families.CODE_REPLAYS,
    "refresh_token_reused": families.REFRESH_REUSE,
}
ISSUED = "issued"


def grant(grant_type: str, outcome: str) -> None:
    """A token request for ``grant_type`` (a supported type or ``other``) ended with
    ``outcome``: :data:`ISSUED` or the OAuth error code."""
    _grants(grant_type, outcome).inc()


def oauth_error(error: str) -> None:
    """An OAuth error response with code ``error`` (RFC 6749 §5.2 and extensions)."""
    _oauth_errors(error).inc()


def login(outcome: str) -> None:
    """A login form submission ended with ``outcome`` (succeeded, failed, rejected)."""
    _logins(outcome).inc()


def security_event(kind: str) -> None:
    """A security event of ``kind`` was recorded (``core.security_events.EventKind``)."""
    _security_events(kind).inc()
    counter = _EVENT_COUNTERS.get(kind)
    if counter is not None:
        counter.inc()


def rate_limited(endpoint: str) -> None:
    """A request was refused by a rate limit.

    Call it once per refused request, from wherever the limit is enforced. ``endpoint``
    must come from a small fixed set: a route template (``authgate.core.endpoints``) or the
    name of a limit family (``login``, ``token``); never a raw path or other request input.
    """
    _rate_limited(endpoint).inc()


def storage_batch(backend: str, transactions: int, seconds: float) -> None:
    """A write batch of ``transactions`` units was committed in ``seconds`` on ``backend``
    (``sqlite``, ``postgresql``). Called once per batch, never per unit."""
    _batches(backend).observe(transactions)
    _commits(backend).observe(seconds)


def storage_sync(seconds: float) -> None:
    """One fsync of SQLite's write-ahead log took ``seconds``."""
    families.STORAGE_SYNC.observe(seconds)


def forget_children() -> None:
    """Forget every bound child, so that each is bound again on next use."""
    for children in _ALL:
        children.forget()
