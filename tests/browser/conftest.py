"""Real processes for the browser tests: an ``authgate serve`` on 127.0.0.1, two static web
origins on 127.0.0.1 (different ports, so different origins), and headless Chromium.

Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser here. Without
it the tests are skipped, unless AUTHGATE_REQUIRE_BROWSER=1 makes that a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOST = "127.0.0.1"
ADMIN_PASSWORD = "browser-test-password-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>relying party</title><p>app"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@dataclass
class WebOrigin:
    server: ThreadingHTTPServer

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("AUTHGATE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required (AUTHGATE_REQUIRE_BROWSER=1) but missing")
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()


def _origin() -> Iterator[WebOrigin]:
    server = ThreadingHTTPServer((HOST, 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebOrigin(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def app_origin() -> Iterator[WebOrigin]:
    """The SPA's origin: its redirect URI is registered."""
    yield from _origin()


@pytest.fixture(scope="module")
def other_origin() -> Iterator[WebOrigin]:
    """Another origin on the same host: no client registered it."""
    yield from _origin()


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``authgate serve`` as a child process on a fresh SQLite data directory."""
    base = tmp_path_factory.mktemp("authgate-browser")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env["AUTHGATE_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    command = [sys.executable, "-m", "authgate", "serve", "--host", HOST, "--port", str(port)]
    command += ["--data-dir", str(base / "data")]
    log = (base / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError((base / "server.log").read_text(errors="replace"))
            try:
                if httpx.get(url + "/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("authgate did not start in 60 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
