"""Response helpers: JSON with orjson, no-store caching, security headers for pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from starlette.responses import RedirectResponse, Response

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: In a page's own Content-Security-Policy: where :func:`authgate.web.pages.page` puts the
#: pages' style and image sources (inline styles, a theme's stylesheet, the logo's origin).
#: They end with ``img-src``'s list, so more image sources may follow the placeholder.
ASSETS = "{assets}"
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    body: Any, status_code: int = 200, *, headers: dict[str, str] | None = None, cache: bool = False
) -> JSONResponse:
    merged = {} if cache else dict(NO_STORE)
    merged.update(headers or {})
    return JSONResponse(body, status_code=status_code, headers=merged)


def add_query(uri: str, params: dict[str, str]) -> str:
    """Append parameters to a URI's query, keeping the query it already has (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    query = urlencode(params)
    combined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, combined, parts.fragment))


def redirect(
    url: str, status_code: int = 302, headers: dict[str, str] | None = None
) -> RedirectResponse:
    return RedirectResponse(url, status_code=status_code, headers={**NO_STORE, **(headers or {})})
