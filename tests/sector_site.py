"""A real HTTP server on 127.0.0.1 that serves sector identifier documents for tests.

Tests register what each path answers; the server runs in a thread and is always stopped
by the context manager that started it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson


@dataclass(frozen=True)
class Answer:
    """What one path answers."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0
    location: str | None = None


class _Handler(BaseHTTPRequestHandler):
    server: SectorSite

    def do_GET(self) -> None:
        answer = self.server.answers.get(self.path)
        self.server.hits.append(self.path)
        if answer is None:
            self.send_error(404)
            return
        if answer.delay:
            time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            if answer.location:
                self.send_header("Location", answer.location)
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            # The server under test stops reading a document over its size limit, or gives
            # up on a request while stopping: that hang-up is its answer, not a fault here
            # (socketserver would print it as a traceback into the test output).
            self.server.hung_up.append(self.path)
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""


class SectorSite(ThreadingHTTPServer):
    """``with SectorSite() as site: site.publish("/s.json", [...]); site.url("/s.json")``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers: dict[str, Answer] = {}
        self.hits: list[str] = []
        #: Paths whose client went away before the body was written.
        self.hung_up: list[str] = []
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="sector-site"
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def publish(self, path: str, redirect_uris: list[str]) -> str:
        """Serve ``redirect_uris`` as a JSON array at ``path``; returns its URL."""
        self.answers[path] = Answer(orjson.dumps(redirect_uris))
        return self.url(path)

    def __enter__(self) -> SectorSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)
