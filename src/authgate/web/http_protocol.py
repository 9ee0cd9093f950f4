"""The HTTP/1.1 protocol ``authgate serve`` runs uvicorn with: uvicorn's httptools protocol
plus the bounds only a connection can enforce.

uvicorn's protocol keeps a connection that never sends a byte open forever (its keep-alive
timer starts after a first response), gives a client unlimited time to send a request's head
or body, lets the parser buffer a request line or header of any size, and counts connections
against ``limit_concurrency`` only once a request's head is complete, so silent connections
are never refused. :class:`GuardedHttpProtocol` adds:

* a connection cap: a connection made while the process holds ``max_connections`` is
  answered 503 ``temporarily_unavailable`` and closed, before it can cost more than its
  socket (:mod:`authgate.web.descriptors` keeps the cap below the file limit);
* a first-byte timeout: a new connection must start a request within
  ``first_byte_timeout`` seconds, and an idle keep-alive one within ``keep_alive_timeout``;
  bytes that start no request (blank lines) do not reset either;
* a head timeout: a request's line and headers must be complete ``header_timeout`` seconds
  after they started arriving, else 408;
* a body timeout: the body must be complete ``body_timeout`` seconds after the headers, else
  408 (the connection is cut if a response has started). Time the server itself does not read
  (a pipelined request waiting, a body the endpoint has not consumed yet) is not held against
  the client;
* head limits: a request target over ``max_url_bytes`` is 414 as soon as that much of it has
  arrived, a complete head with more than ``max_headers`` fields or ``max_header_bytes``
  bytes of them 431, and an unfinished head 431 as soon as it holds more than
  :attr:`RequestLimits.max_head_bytes`, so no head is buffered beyond that.

Refusals and timeouts answer in the endpoint's format (:func:`authgate.web.limits.refusal`)
and close the connection; a client that does not read the answer is cut off after
:data:`CLOSE_GRACE` seconds. On the hot path this costs about 2.5 microseconds of CPU per
request over uvicorn's own protocol; the timers are armed only when a request's head or body
spans several reads.

This class relies on the internals of ``uvicorn.protocols.http.httptools_impl`` (pinned below
version 1 in pyproject.toml); ``tests/web/test_slow_clients.py`` runs it in a real server.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from authgate.errors import ConnectionLimitReached, OAuthError, RequestTimedOut
from authgate.settings import Settings
from authgate.web.limits import HEAD_CHECKED, RequestLimits, refusal

logger = logging.getLogger(__name__)
#: Seconds a refused or timed-out client gets to read its answer before the socket is cut.
CLOSE_GRACE = 1.0
#: Seconds between two warnings that connections are being refused.
BUSY_WARNING_INTERVAL = 10.0
_last_busy_warning = [-BUSY_WARNING_INTERVAL]


def _warn_busy(now: float, cap: int) -> None:
    """Warn that the connection cap refuses connections, at most every few seconds."""
    if now - _last_busy_warning[0] >= BUSY_WARNING_INTERVAL:
        _last_busy_warning[0] = now
        logger.warning("%d connections open: refusing new connections (503)", cap)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The bounds :class:`GuardedHttpProtocol` enforces (see the module docstring)."""

    request: RequestLimits
    max_connections: int
    first_byte_timeout: float
    header_timeout: float
    body_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings, max_connections: int) -> ConnectionLimits:
        """The settings' bounds, with the connection cap the file limit allows."""
        return cls(
            request=RequestLimits.from_settings(settings),
            max_connections=max_connections,
            first_byte_timeout=settings.first_byte_timeout,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
        )


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that breaks a limit."""


def response_bytes(path: str, exc: OAuthError, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete HTTP/1.1 response refusing a request with ``exc``, closing the connection."""
    response = refusal(path, exc)
    parts = [STATUS_LINE[response.status_code]]
    for name, value in [*default_headers, *response.raw_headers]:
        parts += [name, b": ", value, b"\r\n"]
    parts += [b"connection: close\r\n\r\n", bytes(response.body)]
    return b"".join(parts)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the module docstring's bounds.

    ``authgate serve`` passes ``functools.partial(GuardedHttpProtocol, limits=...)`` as
    uvicorn's ``http`` protocol class.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ConnectionLimits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits
        self._in_head = False
        self._head_bytes = 0
        self._chunk_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._refusal: OAuthError | None = None

    # --- connection ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self.transport = transport
            _warn_busy(self.loop.time(), self.limits.max_connections)
            busy = ConnectionLimitReached(
                "The server is busy; try again in a moment", headers={"Retry-After": "1"}
            )
            self._answer_and_close("", busy)
            return
        super().connection_made(transport)
        # The keep-alive timer doubles as the first-byte timer; a request's start cancels it.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.limits.first_byte_timeout, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        self._cancel_body_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._chunk_bytes = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            refused = self._refusal
            if refused is None:
                message = "Invalid HTTP request received."
                self.logger.warning(message)
                self.send_400_response(message)
            else:
                self._answer_and_close(self._path(), refused)
            return
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.request.max_head_bytes:
                self._answer_and_close(self._path(), self.limits.request.headers_too_large())
            elif self._head_timer is None:
                self._head_timer = self.loop.call_later(
                    self.limits.header_timeout, self._head_timed_out
                )
        elif self._body_timer is None and self._awaiting_body():
            self._arm_body_timer()

    # --- parser callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._unset_keepalive_if_required()  # the wait for a request is over
        self._in_head = True
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.request.max_url_bytes:
            self._refuse(self.limits.request.url_too_long())

    def on_headers_complete(self) -> None:
        # Counted here rather than per field (one call less per field on the hot path); the
        # raw byte bound in data_received keeps an unfinished head from growing meanwhile.
        # The fields' bytes are summed only when the raw head might exceed the bound.
        headers = self.headers
        bounds = self.limits.request
        if len(headers) > bounds.max_headers:
            self._refuse(bounds.too_many_headers())
        if self._head_bytes + self._chunk_bytes > bounds.max_header_bytes and (
            sum(len(name) + len(value) for name, value in headers) > bounds.max_header_bytes
        ):
            self._refuse(bounds.headers_too_large())
        self._in_head = False
        self._cancel_head_timer()
        self.scope[HEAD_CHECKED] = True  # type: ignore[literal-required]
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._cancel_body_timer()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._in_head:  # the next request has started: no keep-alive wait
            self._unset_keepalive_if_required()
        elif self._body_timer is None and self._awaiting_body():
            self._arm_body_timer()

    # --- limits --------------------------------------------------------------------------

    def _refuse(self, exc: OAuthError) -> None:
        self._refusal = exc
        raise _Refused

    def _path(self) -> str:
        url: bytes = getattr(self, "url", b"")
        return url.split(b"?", 1)[0].decode("latin-1")

    def _awaiting_body(self) -> bool:
        cycle = self.cycle
        return cycle is not None and cycle.more_body and not cycle.response_complete

    def _arm_body_timer(self) -> None:
        self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self._answer_and_close(
                self._path(), RequestTimedOut("The request's headers did not arrive in time")
            )

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or not self._awaiting_body():
            return
        if self.flow.read_paused:  # the server is not reading: not the client's delay
            self._arm_body_timer()
            return
        cycle = self.cycle
        if cycle.response_started:
            self.transport.abort()
            return
        self._answer_and_close(
            self._path(),
            RequestTimedOut("The request's body did not arrive in time"),
            running=True,
        )

    def _answer_and_close(self, path: str, exc: OAuthError, *, running: bool = False) -> None:
        """Answer ``exc``, close, and cut the socket if the client does not read the answer.

        ``running``: the refused request is the one whose endpoint is running (a body timeout);
        otherwise it has not reached an endpoint, and the answer can be written only if no
        earlier response on this connection is still due.
        """
        logger.debug("%s (%s): closing the connection", exc.description, exc.status_code)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # A running endpoint sees a disconnect and its answer goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
            if not running:  # an earlier response is still due: no answer can come first
                self.transport.abort()
                return
        self.transport.write(response_bytes(path, exc, self.server_state.default_headers))
        self.transport.close()
        self.loop.call_later(CLOSE_GRACE, self.transport.abort)
