"""The servers under test: authgate in its deployment shapes, and node-oidc-provider.

Each target starts real server processes on free loopback ports, prepares what the driver
needs (users, one public client), exposes the endpoint paths from the server's own discovery
document, and the process ids whose CPU time and memory the driver reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
NODE_SOURCE = Path(__file__).resolve().parent / "node"
NODE_DIR = WORK / "node"

PASSWORD = "bench-password"
REDIRECT_URI = "http://127.0.0.1:9/callback"
SCOPE = "openid profile email"
PG_ADMIN_DSN = os.environ.get("AUTHGATE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
PG_BENCH_DB = "authgate_bench"

_AS = "https://jans.io/oauth/jans-auth-server"
ADMIN_SCOPES = f"{_AS}/config/properties.write https://jans.io/oauth/config/user.write"
#: rateLimitTokenRequestCount for the benchmark: counted, never reached.
TOKEN_LIMIT = 1_000_000_000


def default_workers() -> int:
    """The worker count ``authgate serve`` without ``--workers`` starts here: its ``auto``
    default (one per core this process may run on, capped), read the way the server reads it."""
    from authgate.settings import Settings

    return Settings(workers="auto").workers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Instance:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class Target:
    """What every target gives the driver once started."""

    name: str
    description: str
    instances: list[Instance] = field(default_factory=list)
    client_id: str = ""
    redirect_uri: str = REDIRECT_URI
    issuer: str = ""
    authorize_path: str = ""
    token_path: str = ""
    jwks_url: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    async def start(self, *, code_ttl: int | None = None, users: int = 32) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    async def _discover(self) -> None:
        base = self.instances[0].url
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            doc = (await http.get("/.well-known/openid-configuration")).json()
        self.issuer = doc["issuer"]
        self.authorize_path = urlsplit(doc["authorization_endpoint"]).path
        self.token_path = urlsplit(doc["token_endpoint"]).path
        self.jwks_url = doc["jwks_uri"]

    async def _wait_ready(self, instance: Instance, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient(base_url=instance.url, timeout=2) as http:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early; see {self.logs[-1]}")
                with contextlib.suppress(httpx.HTTPError):
                    r = await http.get("/.well-known/openid-configuration")
                    if r.status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become ready; see {self.logs[-1]}")

    def _spawn(self, args: list[str], env: dict[str, str], log_name: str) -> None:
        run_dir = WORK / "logs"
        run_dir.mkdir(parents=True, exist_ok=True)
        log = run_dir / f"{log_name}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.procs.append(
                subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
            )


class AuthgateTarget(Target):
    """``authgate serve`` processes on SQLite (the default) or PostgreSQL.

    ``workers=None`` passes no ``--workers`` flag (nor ``AUTHGATE_WORKERS``): the server's own
    default, ``auto``, which :attr:`resolved_workers` gives as a count.
    """

    def __init__(
        self,
        name: str,
        description: str,
        *,
        database: str = "sqlite",
        workers: int | None = None,
        instances: int = 1,
        prefill: int = 0,
    ) -> None:
        super().__init__(name, description)
        self.database = database
        self.workers = workers
        self.resolved_workers = default_workers() if workers is None else workers
        self.instance_count = instances
        self.prefill = prefill
        self.admin_secret = secrets.token_urlsafe(32)
        self.data_dir = WORK / "data" / name

    def _database_url(self) -> str:
        if self.database == "postgres":
            base = PG_ADMIN_DSN.rsplit("/", 1)[0]
            return f"{base}/{PG_BENCH_DB}".replace("postgresql://", "postgresql+asyncpg://", 1)
        return f"sqlite+aiosqlite:///{self.data_dir / 'authgate.db'}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "AUTHGATE_DATA_DIR": str(self.data_dir),
                "AUTHGATE_DATABASE_URL": self._database_url(),
                "AUTHGATE_ADMIN_PASSWORD": PASSWORD,
                "AUTHGATE_ADMIN_CLIENT_ID": "bench-admin",
                "AUTHGATE_ADMIN_CLIENT_SECRET": self.admin_secret,
                "AUTHGATE_LOG_LEVEL": "warning",
            }
        )
        env.pop("AUTHGATE_ISSUER", None)
        env.pop("AUTHGATE_WORKERS", None)  # the worker count is the target's, or the default
        return env

    async def _fresh_database(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        if self.database != "postgres":
            return
        import asyncpg  # type: ignore[import-untyped]

        con = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await con.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
            await con.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')
        finally:
            await con.close()

    async def start(self, *, code_ttl: int | None = None, users: int = 32) -> None:
        await self._fresh_database()
        env = self._env()
        if self.prefill:
            from bench.prefill import prefill_sqlite

            subprocess.run(
                [sys.executable, "-m", "authgate", "migrate"], env=env, check=True, cwd=ROOT
            )
            prefill_sqlite(self.data_dir / "authgate.db", self.prefill)
        ports = [free_port() for _ in range(self.instance_count)]
        # Instances behind one load balancer share one public issuer identifier.
        env["AUTHGATE_ISSUER"] = f"http://127.0.0.1:{ports[0]}"
        for index, port in enumerate(ports):
            instance = Instance("127.0.0.1", port)
            args = [sys.executable, "-m", "authgate", "serve", "--port", str(instance.port)]
            if self.workers is not None:
                args += ["--workers", str(self.workers)]
            self._spawn(args, env, f"{self.name}-{index}")
            await self._wait_ready(instance, self.procs[-1])
            self.instances.append(instance)
        await self._discover()
        await self._prepare(code_ttl, users)

    async def _prepare(self, code_ttl: int | None, users: int) -> None:
        async with httpx.AsyncClient(base_url=self.instances[0].url, timeout=30) as http:
            token = await http.post(
                "/jans-auth/restv1/token",
                data={"grant_type": "client_credentials", "scope": ADMIN_SCOPES},
                auth=("bench-admin", self.admin_secret),
            )
            token.raise_for_status()
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            for i in range(users):
                r = await http.post(
                    "/jans-config-api/api/v1/mgt/configuser",
                    json={
                        "username": f"user{i}",
                        "password": PASSWORD,
                        "email_verified": True,
                        "email": f"user{i}@example.com",
                        "name": f"User {i}",
                    },
                    headers=bearer,
                )
                if r.status_code not in (201, 409):
                    raise RuntimeError(f"creating user{i}: {r.status_code} {r.text}")
            # The driver sends every token request from one address, far past the per-source
            # default (600 a minute); the limit stays on, so its cost is measured.
            ops = [{"op": "replace", "path": "/rateLimitTokenRequestCount", "value": TOKEN_LIMIT}]
            if code_ttl is not None:
                ops.append(
                    {"op": "replace", "path": "/authorizationCodeLifetime", "value": code_ttl}
                )
            r = await http.patch(
                "/jans-config-api/api/v1/jans-auth-server/config",
                content=json.dumps(ops),
                headers=bearer | {"Content-Type": "application/json-patch+json"},
            )
            r.raise_for_status()
            # Other workers and instances pick the change up within the poll interval.
            await asyncio.sleep(2.5 if self.resolved_workers > 1 or self.instance_count > 1 else 0)
            # The flow document's registration body, with a local redirect URI.
            reg = await http.post(
                "/jans-auth/restv1/register",
                json={
                    "client_name": "benchmark SPA",
                    "application_type": "web",
                    "token_endpoint_auth_method": "none",
                    "scope": SCOPE.split(),
                    "grant_types": ["authorization_code"],
                    "response_types": ["code", "token", "id_token"],
                    "redirect_uris": [REDIRECT_URI],
                },
            )
            reg.raise_for_status()
            self.client_id = reg.json()["client_id"]


class NodeTarget(Target):
    """node-oidc-provider (npm ``oidc-provider``), in-memory Map store, production mode."""

    def __init__(self) -> None:
        super().__init__(
            "node-oidc-provider", "oidc-provider on Node.js, one process, in-memory Map store"
        )
        self.client_id = "bench-spa"

    @staticmethod
    def install() -> None:
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        stale = False
        for name in ("package.json", "provider.mjs"):
            source, copy = NODE_SOURCE / name, NODE_DIR / name
            if not copy.exists() or copy.read_bytes() != source.read_bytes():
                shutil.copyfile(source, copy)
                stale = stale or name == "package.json"
        if stale or not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR)],
                check=True,
                cwd=NODE_DIR,
            )

    @staticmethod
    def version() -> str:
        package = NODE_DIR / "node_modules" / "oidc-provider" / "package.json"
        if not package.exists():
            return "not installed"
        return str(json.loads(package.read_text())["version"])

    async def start(self, *, code_ttl: int | None = None, users: int = 32) -> None:
        self.install()
        instance = Instance("127.0.0.1", free_port())
        env = dict(os.environ)
        env.update(
            {
                "PORT": str(instance.port),
                "ISSUER": instance.url,
                "NODE_ENV": os.environ.get("BENCH_NODE_ENV", "production"),
                "BENCH_PASSWORD": PASSWORD,
            }
        )
        if code_ttl is not None:
            env["CODE_TTL"] = str(code_ttl)
        # BENCH_NODE_SCRIPT: another provider script in .bench/node/, to compare set-ups
        script = os.environ.get("BENCH_NODE_SCRIPT") or str(NODE_DIR / "provider.mjs")
        self._spawn(["node", script], env, self.name)
        await self._wait_ready(instance, self.procs[-1])
        self.instances.append(instance)
        await self._discover()


def make_target(name: str) -> Target:
    """A target by name (see ``TARGETS``)."""
    if name == "node-oidc-provider":
        return NodeTarget()
    description, options = TARGETS[name]
    return AuthgateTarget(name, description.format(workers=default_workers_text()), **options)


def default_workers_text() -> str:
    """The default worker setting in words, with what it resolves to on this machine."""
    n = default_workers()
    return f"default: --workers auto, {n} worker{'' if n == 1 else 's'}"


class TargetOptions(TypedDict, total=False):
    """Keyword arguments of :class:`AuthgateTarget` that a named target sets."""

    database: str
    workers: int | None
    instances: int
    prefill: int


TARGETS: dict[str, tuple[str, TargetOptions]] = {
    # {workers}: the default worker setting and its count here (default_workers_text).
    "authgate-sqlite": ("authgate, SQLite (WAL, fsync before acknowledging), {workers}", {}),
    "authgate-sqlite-w1": ("authgate, SQLite, 1 worker (--workers 1)", {"workers": 1}),
    # The same worker setting as authgate-sqlite, which the growth comparison measures it against.
    "authgate-sqlite-1m": (
        "authgate, SQLite, {workers}, 1,000,000 tokens and 500,000 grants stored",
        {"prefill": 500_000},
    ),
    "authgate-pg": (
        "authgate, PostgreSQL, 1 instance, 1 worker",
        {"database": "postgres", "workers": 1},
    ),
    "authgate-pg-x2": (
        "authgate, PostgreSQL, 2 instances on one database, 1 worker each",
        {"database": "postgres", "instances": 2, "workers": 1},
    ),
    "node-oidc-provider": ("node-oidc-provider, in-memory, 1 process", {}),
}
