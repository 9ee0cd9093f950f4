"""Every request observed once, outside everything else (even Starlette's server-error
handling, so a 500 is observed like any other answer): its request id, its metrics, its
access log line.

* Request id: the ``X-Request-Id`` header when the peer is a trusted proxy
  (``AUTHGATE_TRUSTED_PROXIES``) and the value is short and plain, else a fresh random one.
  It is sent back in the response's ``X-Request-Id`` and set in :data:`authgate.logs.
  REQUEST_ID` while the request runs, so every log line of the request carries it.
* Metrics: ``authgate_http_requests_total`` and ``authgate_http_request_duration_seconds``
  by route template (never the raw path), method and status, through children bound once
  per label set; login submissions by outcome.
* Access log (``AUTHGATE_ACCESS_LOG``): one line per request on ``authgate.access`` with
  method, route template, status, duration, request id and source address, never the query
  string (it carries codes and tokens). The probes are left out.

The same layer bounds the request's head (:func:`authgate.web.limits.head_violation`) before
anything reads it, so a refusal is observed with its request id and costs no extra layer.

A plain ASGI middleware: no ``BaseHTTPMiddleware`` task or body buffering per request.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import os
import re
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate import activity, metrics
from authgate.core import endpoints
from authgate.logs import REQUEST_ID
from authgate.metrics.record import REQUEST_SECONDS, REQUESTS
from authgate.settings import IPNetwork
from authgate.web.health import PROBE_PATHS
from authgate.web.limits import RequestLimits, head_violation, refusal
from authgate.web.source import source

access_logger = logging.getLogger("authgate.access")

HEADER = b"x-request-id"
#: The ``route`` label of requests no route matched.
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: A request id taken from a proxy: 1 to 128 characters that need no quoting anywhere.
VALID_ID = re.compile(rb"[A-Za-z0-9._~:/+=@-]{1,128}")


#: This process's random half of the request ids it makes, drawn again in a forked child
#: (the workers of ``authgate serve --workers N``, :mod:`authgate.startup.prefork`).
_PREFIX = os.urandom(8).hex()
_SEQUENCE = itertools.count(1)


def _new_prefix() -> None:
    global _PREFIX, _SEQUENCE
    _PREFIX = os.urandom(8).hex()
    _SEQUENCE = itertools.count(1)


os.register_at_fork(after_in_child=_new_prefix)


def new_request_id() -> str:
    """32 hex digits (the size of a W3C trace id): 64 random bits drawn once per process and
    a 64-bit sequence number, unique across processes and cheaper than random bits each."""
    return f"{_PREFIX}{next(_SEQUENCE):016x}"


#: The scope entry holding the request-limit violation :func:`answer_refusal` answers.
VIOLATION = "authgate.violation"


async def answer_refusal(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer the request-limit violation in ``scope`` in its endpoint's format."""
    await refusal(scope["path"], scope[VIOLATION])(scope, receive, send)


def login_outcome(status: int) -> str:
    """A login submission's outcome from its status: the form answers 303 on success and
    the same 401 page for every wrong or throttled attempt."""
    if status < 400:
        return "succeeded"
    if status in (401, 429):
        return "failed"
    return "rejected"


class ObserveMiddleware:
    """See the module docstring.

    Args:
        app: The application.
        access_log: Whether to log one line per request.
        trusted_proxies: Peers whose ``X-Request-Id`` is taken.
        routes: The application's routes (the route template of a refused request).
        limits: The bounds on a request's head; None checks none.
        refusals: The application answering a request whose head breaks them (the violation
            is in the scope under :data:`VIOLATION`): :func:`answer_refusal`, possibly behind
            other middleware.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        access_log: bool,
        trusted_proxies: tuple[IPNetwork, ...],
        routes: Sequence[BaseRoute] = (),
        limits: RequestLimits | None = None,
        refusals: ASGIApp | None = None,
    ) -> None:
        self.app = app
        self.limits = limits
        self.refusals = refusals or answer_refusal
        self.access_log = access_log
        self.trusted_proxies = trusted_proxies
        self.routes = routes
        self._meters: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._static: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = self._request_id(scope)
        header = (HEADER, request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = REQUEST_ID.set(request_id)
        activity.request_started()
        try:
            violation = None if self.limits is None else head_violation(scope, self.limits)
            if violation is None:
                await self.app(scope, receive, send_with_id)
            else:
                scope[VIOLATION] = violation
                await self.refusals(scope, receive, send_with_id)
        finally:
            activity.request_ended()
            self._observe(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _request_id(self, scope: Scope) -> str:
        if self.trusted_proxies:
            for name, value in scope["headers"]:
                if name == HEADER:
                    if VALID_ID.fullmatch(value) and self._from_proxy(scope):
                        return str(value.decode("ascii"))
                    break
        return new_request_id()

    def _from_proxy(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client:
            return False
        try:
            peer = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(peer in network for network in self.trusted_proxies)

    def _template(self, scope: Scope, status: int) -> str:
        """The route template of the request. A middleware may answer before the router
        sees the request (a CORS preflight, a rate-limit refusal): then the template whose
        route would have taken it; a 404 no route would take is ``unmatched``."""
        route = scope.get("route")
        if route is not None:
            return str(route.path)
        if status == 404:
            return UNMATCHED
        if self._static is None:
            paths = (getattr(r, "path", None) for r in self.routes)
            self._static = frozenset(p for p in paths if isinstance(p, str) and "{" not in p)
        if scope["path"] in self._static:
            return str(scope["path"])
        for candidate in self.routes:
            if candidate.matches(scope)[0] is not Match.NONE:
                return str(getattr(candidate, "path", UNMATCHED))
        return UNMATCHED

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        path = self._template(scope, status)
        method: str = scope["method"]
        if method not in METHODS:
            method = "other"
        key = (path, method, status)
        meters = self._meters.get(key)
        if meters is None:
            meters = self._meters[key] = (
                REQUESTS(path, method, str(status)),
                REQUEST_SECONDS(path, method),
            )
        meters[0].inc()
        meters[1].observe(seconds)
        if path == endpoints.LOGIN_PAGE and method == "POST":
            metrics.login(login_outcome(status))
        if self.access_log and path not in PROBE_PATHS:
            self._log(scope, path, method, status, seconds)

    def _log(self, scope: Scope, path: str, method: str, status: int, seconds: float) -> None:
        try:
            address = source(Request(scope))
        except AttributeError:  # no runtime (yet): the peer
            client = scope.get("client")
            address = client[0] if client else "unknown"
        milliseconds = round(seconds * 1000, 3)
        access_logger.info(
            "%s %s %d %.1fms source=%s",
            method,
            path,
            status,
            milliseconds,
            address,
            extra={
                "method": method,
                "route": path,
                "status": status,
                "duration_ms": milliseconds,
                "source": address,
            },
        )


class ObservedApp(Starlette):
    """A Starlette application with :class:`ObserveMiddleware` (and the request limits)
    around its whole stack, and ``outer`` middleware (first is outermost) between the two:
    outside Starlette's own server-error handling, so they see its ``500`` answers like any
    other. Request-limit refusals pass through the ``outer`` middleware too."""

    def __init__(
        self,
        *args: Any,
        access_log: bool = False,
        trusted_proxies: tuple[IPNetwork, ...] = (),
        limits: RequestLimits | None = None,
        outer: Sequence[Middleware] = (),
        **kwargs: Any,
    ) -> None:
        self.access_log = access_log
        self.trusted_proxies = trusted_proxies
        self.limits = limits
        self.outer = tuple(outer)
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        refusals: ASGIApp = answer_refusal
        for cls, args, kwargs in reversed(self.outer):
            app = cls(app, *args, **kwargs)
            refusals = cls(refusals, *args, **kwargs)
        return ObserveMiddleware(
            app,
            access_log=self.access_log,
            trusted_proxies=self.trusted_proxies,
            routes=self.routes,
            limits=self.limits,
            refusals=refusals,
        )
