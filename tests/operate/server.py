"""Real ``authgate serve`` processes for the operation tests: started on a given database,
listening on 127.0.0.1 only, stopped (SIGTERM) or killed (SIGKILL) by their pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from authgate.admin import paths
from authgate.admin.scopes import ADMIN_SCOPES
from tests.e2e.harness import CHEAP_PASSWORD_HASHES, LOOPBACK, free_port

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin password 1"
ADMIN_CLIENT_ID = "operate-admin"
ADMIN_CLIENT_SECRET = "operate-admin-secret-0123456789"
TOKEN = "/jans-auth/restv1/token"
DISCOVERY = "/.well-known/openid-configuration"
#: Every per-source rate limit: the tests send far more than one address normally does.
RATE_LIMITS = (
    "Registration",
    "ClientConfiguration",
    "Par",
    "Token",
    "Introspection",
    "Revocation",
    "ConfigApi",
)


class Server:
    """``python -m authgate serve`` on ``database_url``."""

    def __init__(
        self,
        database_url: str,
        log: Path,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.database_url = database_url
        self.log = log
        self.workers = workers
        self.env = env or {}
        self.port = port or free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Server:
        """Start the process and return once discovery answers."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
        env |= {
            "AUTHGATE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "AUTHGATE_ADMIN_CLIENT_ID": ADMIN_CLIENT_ID,
            "AUTHGATE_ADMIN_CLIENT_SECRET": ADMIN_CLIENT_SECRET,
            "AUTHGATE_LOG_LEVEL": "warning",
            **CHEAP_PASSWORD_HASHES,
            **self.env,
        }
        command = [sys.executable, "-m", "authgate", "serve", "--host", LOOPBACK]
        command += ["--port", str(self.port), "--database-url", self.database_url]
        command += ["--workers", str(self.workers)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self.wait(timeout)
        return self

    def wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"authgate exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + DISCOVERY, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"authgate did not start:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def terminate(self) -> None:
        """SIGTERM: a graceful stop."""
        os.kill(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as in a crash or an OOM kill."""
        assert self.process is not None
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s; reaps the process."""
        if self.process is None or self.process.poll() is not None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def admin_token(http: httpx.Client, *scopes: str) -> str:
    """A Config API access token (client_credentials of the admin client)."""
    response = http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": " ".join(scopes or ADMIN_SCOPES)},
        auth=(ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def patch_config(http: httpx.Client, token: str, **values: Any) -> None:
    """Replace configuration properties through the Config API."""
    ops = [{"op": "replace", "path": f"/{k}", "value": v} for k, v in values.items()]
    response = http.patch(
        paths.CONFIG,
        json=ops,
        headers={"Authorization": f"Bearer {token}", "Content-Type": paths.JSON_PATCH},
    )
    assert response.status_code == 200, response.text


def no_rate_limits(http: httpx.Client) -> None:
    """Turn every per-source rate limit off (0) through the Config API."""
    token = admin_token(http)
    patch_config(http, token, **{f"rateLimit{name}RequestCount": 0 for name in RATE_LIMITS})
