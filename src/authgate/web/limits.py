"""Bounds on a request's size, checked before any endpoint sees the request.

:func:`head_violation` finds a request target longer than ``max_url_bytes`` (414),
more than ``max_headers`` header fields or more than ``max_header_bytes`` bytes of header names
and values (431), and a request target with raw bytes that are not ASCII or a query string
with more than :data:`authgate.core.params.MAX_PARAMETERS` parameters (400). Under
``authgate serve`` the connection's protocol (:mod:`authgate.web.http_protocol`) already
enforces the size limits while the request's head arrives, before it is buffered whole; the
check here is the same rule for any other ASGI server. Bodies are bounded where they are read
(:func:`authgate.web.context.read_body`, 413).

The checks run in the outermost layer (:class:`authgate.web.observe.ObserveMiddleware`, so a
refusal is observed like any answer); the protocol marks the scope with :data:`HEAD_CHECKED`
when it has counted the header fields itself, and they are not counted twice.

Refusals keep the endpoint's format: an error page on the browser endpoints, the OAuth error
body (``error``, ``error_description``) everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import Scope

from authgate.core.params import MAX_PARAMETERS
from authgate.errors import HeaderFieldsTooLarge, InvalidRequest, OAuthError, UriTooLong
from authgate.settings import Settings
from authgate.web.errors import error_body, error_page, is_browser_path
from authgate.web.responses import json_response

#: Set in a request's scope by a protocol that has already bounded its header fields.
HEAD_CHECKED = "authgate.head_checked"


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """The size bounds on a request's head (see the module docstring)."""

    max_url_bytes: int = 8192
    max_header_bytes: int = 16384
    max_headers: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        return cls(settings.max_url_bytes, settings.max_header_bytes, settings.max_headers)

    @property
    def max_head_bytes(self) -> int:
        """Most raw bytes a request's head (request line, header lines, separators) can take
        within the limits above: the memory one unfinished head may hold."""
        return self.max_url_bytes + self.max_header_bytes + 4 * self.max_headers + 1024

    def url_too_long(self) -> UriTooLong:
        return UriTooLong(f"The request target exceeds {self.max_url_bytes} bytes")

    def too_many_headers(self) -> HeaderFieldsTooLarge:
        return HeaderFieldsTooLarge(f"The request has more than {self.max_headers} header fields")

    def headers_too_large(self) -> HeaderFieldsTooLarge:
        return HeaderFieldsTooLarge(
            f"The request's header fields exceed {self.max_header_bytes} bytes"
        )


def too_many_parameters() -> InvalidRequest:
    return InvalidRequest(f"The request has more than {MAX_PARAMETERS} parameters")


def refusal(path: str, exc: OAuthError) -> Response:
    """The response refusing a request to ``path`` with ``exc``, in that endpoint's format."""
    if is_browser_path(path):
        return error_page(exc)
    return json_response(error_body(exc, with_reason=False), exc.status_code, headers=exc.headers)


def head_violation(scope: Scope, limits: RequestLimits) -> OAuthError | None:
    """What is wrong with the size of the request's head, if anything."""
    query: bytes = scope["query_string"]
    raw_path: bytes | None = scope.get("raw_path")
    path_bytes = len(raw_path) if raw_path is not None else len(scope["path"].encode())
    if path_bytes + (len(query) + 1 if query else 0) > limits.max_url_bytes:  # path?query
        return limits.url_too_long()
    if not query.isascii() or (raw_path is not None and not raw_path.isascii()):
        return InvalidRequest("The request target must be ASCII; escape other bytes (RFC 3986)")
    if HEAD_CHECKED not in scope:
        headers = scope["headers"]
        if len(headers) > limits.max_headers:
            return limits.too_many_headers()
        if sum(len(name) + len(value) for name, value in headers) > limits.max_header_bytes:
            return limits.headers_too_large()
    if query.count(b"&") >= MAX_PARAMETERS and (
        sum(1 for part in query.split(b"&") if part) > MAX_PARAMETERS
    ):
        return too_many_parameters()
    return None
