"""A relying party's web site for the browser tests: fixed pages served over real HTTP on
127.0.0.1, every request recorded (path with query, and when it arrived).

Unlike :class:`tests.e2e.harness.RelyingPartySite` (one page), it serves any set of pages:
an SPA with its script files, a front-channel logout page, a post-logout page. A page may
answer after a delay, to stand for a slow relying party.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.e2e.harness import LOOPBACK

HTML = "text/html; charset=utf-8"
SCRIPT = "text/javascript; charset=utf-8"


@dataclass(frozen=True, slots=True)
class SitePage:
    body: bytes
    content_type: str = HTML
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    at: float


class _Handler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:
        self.server.record(self.path)
        found = self.server.pages.get(self.path.split("?", 1)[0])
        if found is None:
            self.send_error(404)
            return
        if found.delay:
            time.sleep(found.delay)
        self.send_response(200)
        self.send_header("Content-Type", found.content_type)
        self.send_header("Content-Length", str(len(found.body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(found.body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


class Site(ThreadingHTTPServer):
    """``with Site(pages) as site:``; ``site.url("/path")``; ``site.hits`` in arrival order."""

    daemon_threads = True

    def __init__(self, pages: Mapping[str, SitePage]) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.pages = dict(pages)
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="rp-site", daemon=True)

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.origin + path

    def record(self, path: str) -> None:
        with self._lock:
            self.hits.append(Hit(path, time.monotonic()))

    def hits_on(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path.split("?", 1)[0] == path]

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)
