"""Real components for the end-to-end tests: the authgate server process, a relying party's
redirect page served over HTTP, and the rule for when Chromium is required.

Everything listens on 127.0.0.1 only and is stopped by whoever started it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

#: Debian's chromium package; Playwright must never download a browser of its own.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
REQUIRE_BROWSER_ENV = "AUTHGATE_REQUIRE_BROWSER"
RP_PATH = "/jans-auth-rp/home.htm"
LOOPBACK = "127.0.0.1"
#: The test servers' password hashes: argon2id at its least cost (``password_hash_cost``,
#: docs/configuration.md), a third of a second less per start and per sign-in than the
#: production cost, which tests/crypto/test_password_cost.py checks.
CHEAP_PASSWORD_HASHES = {"AUTHGATE_PASSWORD_HASH_COST": "minimal"}
#: What a server process logs once it applies a new configuration revision
#: (``authgate.runtime.Runtime.refresh``, at level info).
CONFIG_LOADED = re.compile(rb"configuration revision (\d+) loaded")
#: How long a change may take to be applied: the fallback poll (``config_poll_interval``,
#: 2 s by default) catches a lost change notice well within this.
CONFIG_APPLY_TIMEOUT = 15.0


def require_chromium(path: Path, environ: Mapping[str, str]) -> Path:
    """``path`` if it is an executable; otherwise skip the test, or fail it when the
    environment says the browser is required (``AUTHGATE_REQUIRE_BROWSER=1``)."""
    if path.is_file() and os.access(path, os.X_OK):
        return path
    message = f"Chromium not found at {path}"
    if environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(f"{message}, but {REQUIRE_BROWSER_ENV}=1 requires the browser tests")
    pytest.skip(f"{message} (install Debian's chromium package to run the browser tests)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class AuthgateServer:
    """``python -m authgate serve`` as a child process with a throwaway SQLite data dir, or
    on ``database_url`` when given."""

    data_dir: Path
    admin_password: str
    database_url: str | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    #: Further ``AUTHGATE_*`` settings, e.g. ``AUTHGATE_DATABASE_URL`` to share a database.
    environment: dict[str, str] = field(default_factory=dict)
    #: More ``authgate serve`` options (timeouts, ...).
    args: tuple[str, ...] = ()
    #: Worker processes, passed explicitly (``--workers``): :meth:`configure` waits for each
    #: of them to apply a change.
    workers: int = 1

    @property
    def issuer(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"authgate-server-{self.port}.log"

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no server log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _env(self) -> dict[str, str]:
        # Only what this test sets: no AUTHGATE_* from the caller's environment leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
        env["AUTHGATE_ADMIN_PASSWORD"] = self.admin_password
        # no management listener: tests run several servers at once, all would want :9000
        env["AUTHGATE_MANAGEMENT_ADDRESS"] = "off"
        env.update(CHEAP_PASSWORD_HASHES)
        env.update(self.environment)
        return env

    def configure(self, name: str, value: str, *more: str) -> None:
        """Set configuration properties (``NAME VALUE`` pairs, one revision) with ``authgate
        config set`` on the server's database, as an operator would, and return once every
        worker of the running server has applied them (it logs the new revision: within
        milliseconds through the change notice, within its poll interval otherwise). It reads
        that line from the server's log, so the server must log at level info (the default)."""
        before = self._loaded_revisions()
        command = [sys.executable, "-m", "authgate", "config", "set", name, value, *more]
        command += ["--data-dir", str(self.data_dir)]
        if self.database_url is not None:
            command += ["--database-url", self.database_url]
        subprocess.run(
            command, env=self._env(), check=True, capture_output=True, stdin=subprocess.DEVNULL
        )
        if self.process is not None and self.process.poll() is None:
            self._wait_for_revision_after(max(before, default=0))

    def _loaded_revisions(self) -> list[int]:
        """The configuration revisions the server's workers logged as loaded, in order."""
        if not self.log_path.exists():
            return []
        return [int(m) for m in CONFIG_LOADED.findall(self.log_path.read_bytes())]

    def _wait_for_revision_after(self, revision: int) -> None:
        deadline = time.monotonic() + CONFIG_APPLY_TIMEOUT
        while time.monotonic() < deadline:
            newer = [r for r in self._loaded_revisions() if r > revision]
            if len(newer) >= self.workers:
                return
            time.sleep(0.02)
        raise RuntimeError(
            f"{self.workers} worker(s) did not load a configuration revision after {revision} "
            f"within {CONFIG_APPLY_TIMEOUT} s:\n{self.log_tail()}"
        )

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and return once discovery answers; raise if it does not."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the server process without waiting for it (:meth:`wait_ready` does): servers
        that do not depend on each other start side by side."""
        env = self._env()
        command = [
            sys.executable,
            "-m",
            "authgate",
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--workers",
            str(self.workers),
            *self.args,
        ]
        if self.database_url is not None:
            command += ["--database-url", self.database_url]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Return once the launched server's discovery answers; raise if it exits first or
        does not answer within ``timeout`` seconds."""
        assert self.process is not None
        url = f"{self.issuer}/.well-known/openid-configuration"
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"authgate exited with status {self.process.returncode}:\n"
                        + self.log_tail()
                    )
                try:
                    if client.get(url).status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.05)
        raise RuntimeError(f"authgate did not answer {url} within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after 10 s) and reap it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class _RelyingPartyHandler(BaseHTTPRequestHandler):
    server: RelyingPartySite

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != RP_PATH:
            self.send_error(404)
            return
        self.server.hits.append(self.path)
        body = (
            b"<!doctype html><title>PKCE Test Client</title>"
            b'<h1 id="rp-home">PKCE Test Client home</h1>'
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


class RelyingPartySite(ThreadingHTTPServer):
    """The client's redirect URI, ``http://127.0.0.1:<port>/jans-auth-rp/home.htm``, served
    for real so the browser lands on a page; records every request to it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _RelyingPartyHandler)
        self.hits: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, name="rp-site", daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}{RP_PATH}"

    def __enter__(self) -> RelyingPartySite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)
