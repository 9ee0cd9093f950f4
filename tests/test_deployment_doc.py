"""docs/deployment.md and deploy/ do what they say.

- Every ``sh`` block of the document runs, in order, in a scratch copy of the repository, in
  the document's *admin shell*: ``authgate`` (this build) on ``PATH`` and the settings file's
  variables in the environment. Blocks tagged ``<!-- doc-test: TAG -->`` run when they can
  (:data:`TAGS`), else they are reported as skipped with the reason.
- ``shell`` blocks need a real host: they may use only the commands of :data:`HOST_ONLY`,
  each named in the document's last section.
- deploy/authgate.service passes ``systemd-analyze verify``; its ExecStart runs with its
  settings; deploy/nginx.conf passes ``nginx -t`` and proxies real requests over TLS to that
  server; deploy/kubernetes is valid against the API schemas and agrees with the server;
  deploy/Dockerfile installs as the document does; requirements.lock is complete.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import authgate
from authgate.cli import main as cli_main
from authgate.settings import Settings
from authgate.startup.options import env_names
from authgate.storage.connect import head_revision
from authgate.web.health import PROBE_PATHS
from tests.conftest import REQUIRE_PG
from tests.deploy_files import (
    env_file,
    nginx_main,
    nginx_site,
    self_signed,
    unit_service,
)
from tests.doc_blocks import Block, commands, read_blocks
from tests.e2e.harness import free_port
from tests.pg_scratch import PostgresUnreachable, scratch_database

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "deployment.md"
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
LOCK = ROOT / "requirements.lock"
SOURCE = str(Path(authgate.__file__).resolve().parent.parent)
#: What the scratch copy of the repository holds (the install blocks build from it).
COPIED = ("pyproject.toml", "README.md", "requirements.lock", "src", "deploy")
INSTALL_ENV = "AUTHGATE_TEST_INSTALL"
K8S_VERSION = "1.30.0"
#: The unit's program, replaced by this build's ``authgate``.
UNIT_PROGRAM = "/opt/authgate/venv/bin/authgate"
PUBLIC_HOST = "login.example.com"
CLIENT_ADDRESS = "127.0.0.2"  # the client's source address, other than nginx's 127.0.0.1

BLOCKS = read_blocks(DOC)
RUNNABLE = [b for b in BLOCKS if b.lang == "sh"]
HOST_BLOCKS = [b for b in BLOCKS if b.lang == "shell"]
LANGUAGES = {"sh", "shell", "text", "json", "yaml", "ini", "nginx"}
#: Commands of ``shell`` blocks, and what they need that the test does not have.
HOST_ONLY = {
    "useradd": "root on the host",
    "install": "root on the host",
    "ln": "root on the host",
    "rm": "root on the host",
    "systemctl": "systemd as PID 1",
    "journalctl": "systemd as PID 1",
    "sudo": "the host",
    "cd": "the host",
    "set": "the host",
    ".": "the host",
    "export": "the host",
    "nginx": "the host's nginx",
    "kubectl": "a cluster",
    "docker": "a container runtime",
}


# --- running the document's sh blocks -----------------------------------------------------


@dataclass
class Outcome:
    status: str  # passed, failed or skipped
    reason: str = ""
    output: str = ""


@dataclass
class DocRun:
    workdir: Path
    wrapper: Path
    #: the admin shell's environment once every block ran (the settings file's variables)
    env: dict[str, str]
    outcomes: dict[int, Outcome] = field(default_factory=dict)


def _clean_environment(path_first: Path) -> dict[str, str]:
    """This process's environment without AUTHGATE_* and pip's settings (the install blocks
    use PyPI alone, as on a clean machine), with ``path_first`` first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AUTHGATE_", "PIP_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    return env


def _wrapper(bindir: Path) -> Path:
    """``authgate``: this build, whatever the working directory."""
    bindir.mkdir()
    wrapper = bindir / "authgate"
    wrapper.write_text(
        f'#!/bin/sh\nPYTHONPATH="{SOURCE}" exec "{sys.executable}" -m authgate "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def _copy_repository(target: Path) -> None:
    target.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".mypy_cache")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)


def _why_not(tag: str | None, run: DocRun, postgres: str | None, problem: str) -> str | None:
    """Why a block with ``tag`` cannot run here, or None when it can."""
    if tag is None:
        return None
    if tag == "install":
        if os.environ.get(INSTALL_ENV) != "1":
            return (
                f"installs about 45 packages from PyPI into a new virtualenv (about 20 s, "
                f"needs the network): set {INSTALL_ENV}=1 (CI does)"
            )
        return None
    if tag == "backup":
        probe = subprocess.run(
            [str(run.wrapper), "backup", "--help"], capture_output=True, env=run.env, check=False
        )
        return None if probe.returncode == 0 else "this build has no `authgate backup` command"
    if tag == "sqlite3":
        return None if shutil.which("sqlite3") else "the sqlite3 shell is not installed"
    if tag == "restore":
        if (run.workdir / "backup.db").exists():
            return None
        return "no backup.db: neither `authgate backup` nor the sqlite3 shell ran"
    if tag == "postgres":
        return None if postgres else f"PostgreSQL unreachable: {problem}"
    raise AssertionError(f"unknown doc-test tag {tag!r}")


def _run_block(block: Block, run: DocRun, extra: dict[str, str]) -> Outcome:
    timeout = 600 if block.tag == "install" else 120
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.text],
        cwd=run.workdir,
        env=run.env | extra,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    output = f"$ {block.text}--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    if result.returncode != 0:
        return Outcome("failed", f"exit status {result.returncode}", output)
    return Outcome("passed", "", output)


@pytest.fixture(scope="module")
def doc_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocRun]:
    base = tmp_path_factory.mktemp("deployment")
    workdir = base / "authgate"
    _copy_repository(workdir)
    wrapper = _wrapper(base / "bin")
    run = DocRun(workdir, wrapper, _clean_environment(wrapper.parent))
    with contextlib.ExitStack() as stack:
        postgres: str | None = None
        problem = ""
        try:
            postgres = stack.enter_context(scratch_database("authgate_doc"))
        except PostgresUnreachable as exc:
            problem = str(exc)
        for block in RUNNABLE:
            reason = _why_not(block.tag, run, postgres, problem)
            if reason is not None:
                failed = block.tag == "postgres" and REQUIRE_PG
                run.outcomes[block.index] = Outcome("failed" if failed else "skipped", reason)
                continue
            extra = {"AUTHGATE_DATABASE_URL": postgres or ""} if block.tag == "postgres" else {}
            run.outcomes[block.index] = _run_block(block, run, extra)
            settings = workdir / "authgate.env"
            if settings.exists():  # the admin shell loads it from then on
                run.env |= env_file(settings)
        yield run


# --- the document itself ------------------------------------------------------------------


def test_every_block_has_a_known_language() -> None:
    """Shell examples are ``sh`` (run) or ``shell`` (a real host's): nothing slips through."""
    for block in BLOCKS:
        assert block.lang in LANGUAGES, f"line {block.line}: ```{block.lang}"
    assert len(RUNNABLE) >= 10 and HOST_BLOCKS


def test_links_point_at_files() -> None:
    text = DOC.read_text()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if not target.startswith(("http://", "https://")):
            assert (DOC.parent / target).exists(), target


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.name for b in RUNNABLE])
def test_runnable_block(block: Block, doc_run: DocRun) -> None:
    outcome = doc_run.outcomes[block.index]
    if outcome.status == "skipped":
        pytest.skip(f"line {block.line}: {outcome.reason}")
    assert outcome.status == "passed", f"line {block.line}: {outcome.reason}\n{outcome.output}"


def test_the_first_start_prints_no_secret(doc_run: DocRun) -> None:
    """The settings file's secrets are used, never shown."""
    settings = env_file(doc_run.workdir / "authgate.env")
    secret_file = env_file(doc_run.workdir / "authgate-secret.env")
    secrets = [
        settings["AUTHGATE_ADMIN_PASSWORD"],
        settings["AUTHGATE_ADMIN_CLIENT_SECRET"],
        secret_file["admin-password"],
        secret_file["admin-client-secret"],
    ]
    assert all(len(s) >= 24 for s in secrets)
    ran = [o for o in doc_run.outcomes.values() if o.status == "passed"]
    users = next(o.output for o in ran if "authgate users list" in o.output)
    assert re.search(r"^admin\t", users, re.MULTILINE), users
    for outcome in ran:
        body = outcome.output.split("--- stdout\n", 1)[1]
        for secret in secrets:
            assert secret not in body


def test_host_only_commands_are_listed() -> None:
    last_section = DOC.read_text().split("## What is verified, and how", 1)[1]
    for block in HOST_BLOCKS:
        for words in commands(block.text):
            assert words[0] in HOST_ONLY, f"line {block.line}: {' '.join(words)}"
    for program in HOST_ONLY:
        if program != ".":
            assert f"`{program}" in last_section, f"{program} is not in the last section"


# --- requirements.lock --------------------------------------------------------------------


def _pins() -> dict[str, tuple[str, list[str]]]:
    """``{name: (version, hashes)}`` of requirements.lock."""
    pins: dict[str, tuple[str, list[str]]] = {}
    name = ""
    for line in LOCK.read_text().splitlines():
        pinned = re.match(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", line)
        if pinned:
            name = canonicalize_name(pinned[1])
            pins[name] = (pinned[2], [])
        elif line.strip().startswith("--hash=sha256:"):
            pins[name][1].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
    return pins


def _dependencies() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]]


def test_requirements_lock_pins_every_dependency_within_range_with_hashes() -> None:
    pins = _pins()
    for requirement in _dependencies():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock"
        assert pins[name][0] in requirement.specifier, f"{name}=={pins[name][0]}: {requirement}"
    for pinned, (_version, hashes) in pins.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), pinned
    assert "pip-compile" in LOCK.read_text().split("\n", 5)[1]


def test_requirements_lock_covers_what_the_dependencies_need() -> None:
    """Every package the dependencies (with their extras) need here, as their installed
    metadata says, is pinned: ``pip install --require-hashes`` would refuse a missing one."""
    pins = _pins()
    seen: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in _dependencies()]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        assert name in pins, f"{name} (needed here) is not in requirements.lock"
        for text in importlib.metadata.requires(name) or []:
            needed = Requirement(text)
            environments = [{"extra": e} for e in extras] or [{"extra": ""}]
            if needed.marker is None or any(needed.marker.evaluate(e) for e in environments):
                todo.append((needed, frozenset(needed.extras)))
    assert len(seen) >= 30


# --- upgrades -----------------------------------------------------------------------------

MIGRATIONS = ROOT / "src" / "authgate" / "storage" / "migrations" / "versions"
#: Operations of a migration's upgrade() that leave what an older version uses in place.
ADDITIVE = {"create_table", "create_index", "add_column", "batch_alter_table", "f"}


def _upgrade_operations(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text())
    (upgrade,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"]
    return [
        node
        for node in ast.walk(upgrade)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("op", "batch_op")
    ]


def test_migrations_only_add_as_the_document_says() -> None:
    """The document says that the migrations up to the newest only add (new tables, new
    nullable columns, new indexes; 0005 also replaces two indexes). A migration that does
    more needs a new text in docs/deployment.md, "Upgrades and rollbacks"."""
    text = " ".join(DOC.read_text().split())
    assert f"schema revisions 0001 to {head_revision()})" in text
    everything: set[str] = set()
    for path in sorted(MIGRATIONS.glob("*.py")):
        seen: set[str] = set()
        revision = re.search(r'^revision: str = "(\w+)"', path.read_text(), re.MULTILINE)
        assert revision
        for call in _upgrade_operations(path):
            assert isinstance(call.func, ast.Attribute)
            name = call.func.attr
            seen.add(name)
            if name == "drop_index":
                assert revision[1] == "0005", f"{path.name} drops an index"
                continue
            if name == "get_bind":  # reads what a new table is filled from
                continue
            if name == "bulk_insert":  # rows for a table the same migration creates
                assert "create_table" in seen, f"{path.name} inserts into an older table"
                continue
            assert name in ADDITIVE, f"{path.name}: op.{name} is not additive"
            if name == "add_column":
                column = call.args[-1]
                assert isinstance(column, ast.Call)
                nullable = [k.value for k in column.keywords if k.arg == "nullable"]
                assert nullable and isinstance(nullable[0], ast.Constant)
                assert nullable[0].value is True, f"{path.name}: a NOT NULL column"
        everything |= seen
    assert {"create_table", "add_column", "create_index", "drop_index"} <= everything


def test_an_older_authgate_refuses_a_newer_schema(doc_run: DocRun, tmp_path: Path) -> None:
    """What the document says an older release does with a database a newer one migrated,
    shown with this build on a copy whose revision is one it does not know."""
    shutil.copy(doc_run.workdir / "data" / "authgate.db", tmp_path / "authgate.db")
    with sqlite3.connect(tmp_path / "authgate.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    for args, says in [
        (["migrate"], "Can't locate revision identified by '9999'"),
        (["users", "list"], "from a newer authgate"),
    ]:
        result = subprocess.run(
            [str(doc_run.wrapper), *args, "--data-dir", str(tmp_path)],
            env=doc_run.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1 and says in result.stderr, result.stderr
    assert "Can't locate revision identified by" in DOC.read_text()


# --- systemd ------------------------------------------------------------------------------


def _unit_text() -> str:
    return (DEPLOY / "authgate.service").read_text()


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the structural checks still run)")
    unit = tmp_path / "authgate.service"
    # verify checks that ExecStart's program exists: point it at an existing one
    unit.write_text(_unit_text().replace(UNIT_PROGRAM, shutil.which("true") or "/bin/true"))
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_unit_matches_the_documented_layout() -> None:
    service = unit_service(_unit_text())
    doc = DOC.read_text()
    assert service.program == UNIT_PROGRAM and service.args[0] == "serve"
    assert service.user == "authgate" and "useradd --system" in doc
    assert f"--home-dir {service.working_directory}" in doc
    assert service.working_directory == f"/var/lib/{service.state_directory}"
    assert service.environment_files == ["/etc/authgate/authgate.env"]
    assert f"authgate.env {service.environment_files[0]}" in doc  # the install command
    assert "deploy/authgate.service /etc/systemd/system/authgate.service" in doc
    assert "/opt/authgate/venv" in doc
    ctx = cli_main.commands["serve"].make_context("serve", service.args[1:])
    assert ctx.params["host"] == "127.0.0.1"


@dataclass
class UnitServer:
    process: subprocess.Popen[bytes]
    url: str
    management: str
    log: Path

    def log_records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records


def _wait_ready(server: UnitServer, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the unit's command exited: {server.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not ready in {timeout} s: {server.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def unit_server(doc_run: DocRun) -> Iterator[UnitServer]:
    """The unit's ExecStart with the unit's settings (the file the document's block wrote)
    in the working directory the blocks used; the test changes the port, runs the
    management listener on a free port and turns the access log on (JSON)."""
    service = unit_service(_unit_text())
    settings = doc_run.workdir / "authgate.env"
    if not settings.exists():
        pytest.fail("the document's settings block did not write authgate.env")
    port, management = free_port(), free_port()
    args = list(service.args)
    args[args.index("--port") + 1] = str(port)
    env = _clean_environment(doc_run.wrapper.parent) | env_file(settings) | service.environment
    env |= {
        "AUTHGATE_MANAGEMENT_ADDRESS": f"127.0.0.1:{management}",
        "AUTHGATE_ACCESS_LOG": "true",
        "AUTHGATE_LOG_FORMAT": "json",
    }
    log = doc_run.workdir / "unit.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(doc_run.wrapper), *args],
            cwd=doc_run.workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = UnitServer(process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{management}", log)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)  # the unit's KillSignal
        try:
            status = process.wait(timeout=30)  # the unit's TimeoutStopSec
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise AssertionError("did not stop within TimeoutStopSec") from None
    # uvicorn shuts down, then ends by the signal it got; systemd counts SIGTERM as a clean
    # stop (SuccessExitStatus)
    assert status in (0, -signal.SIGTERM), f"exit status {status}: {log.read_text()[-2000:]}"
    assert "Application shutdown complete" in log.read_text()


def test_registration_is_closed_as_the_document_says(unit_server: UnitServer) -> None:
    discovery = httpx.get(f"{unit_server.url}/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    assert discovery.json()["issuer"] == f"https://{PUBLIC_HOST}"
    assert "registration_endpoint" not in discovery.json()
    refused = httpx.post(
        f"{unit_server.url}/jans-auth/restv1/register",
        json={"redirect_uris": ["https://rp.example.com/cb"]},
        timeout=10,
    )
    assert refused.status_code == 403 and refused.json()["error"] == "access_denied"


# --- nginx --------------------------------------------------------------------------------


@dataclass
class Proxy:
    https: str
    http: str
    ca: Path
    access_log: Path


def _nginx_files(tmp: Path, upstream: int) -> tuple[Path, int, int]:
    tls, plain = free_port(), free_port()
    self_signed(tmp, PUBLIC_HOST)
    site = tmp / "authgate.conf"
    site.write_text(
        nginx_site((DEPLOY / "nginx.conf").read_text(), upstream=upstream, tls=tls,
                   plain=plain, tmp=tmp)
    )  # fmt: skip
    main = tmp / "nginx.conf"
    main.write_text(nginx_main(site, tmp))
    return main, tls, plain


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.skip("nginx is not installed (CI installs Debian's nginx package)")
    return found


def test_nginx_configuration_passes_nginx_t(tmp_path: Path) -> None:
    nginx = _nginx()
    main, _, _ = _nginx_files(tmp_path, free_port())
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.fixture(scope="module")
def proxy(unit_server: UnitServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    nginx = _nginx()
    tmp = tmp_path_factory.mktemp("nginx")
    main, tls, plain = _nginx_files(tmp, int(unit_server.url.rsplit(":", 1)[1]))
    command = [nginx, "-p", str(tmp), "-c", str(main), "-e", str(tmp / "error.log"),
               "-g", "daemon off;"]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                httpx.get(f"http://127.0.0.1:{plain}/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield Proxy(f"https://127.0.0.1:{tls}", f"http://127.0.0.1:{plain}",
                    tmp / "cert.pem", tmp / "nginx-access.log")  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_nginx_proxies_over_tls_and_passes_on_no_client_chosen_header(
    proxy: Proxy, unit_server: UnitServer
) -> None:
    """Through nginx, from 127.0.0.2: the client's own X-Forwarded-For, Forwarded and
    X-Request-Id change neither the address authgate counts nor the request id."""
    transport = httpx.HTTPTransport(
        local_address=CLIENT_ADDRESS, verify=ssl.create_default_context(cafile=str(proxy.ca))
    )
    spoof = {
        "X-Forwarded-For": "203.0.113.9",
        "Forwarded": "for=198.51.100.7",
        "X-Request-Id": "client-chosen-id",
    }
    with httpx.Client(transport=transport, timeout=10) as client:
        response = client.get(f"{proxy.https}/.well-known/openid-configuration", headers=spoof)
        assert response.status_code == 200, response.text
        assert response.json()["issuer"] == f"https://{PUBLIC_HOST}"
        assert "max-age" in response.headers["strict-transport-security"]
        request_id = response.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id  # nginx's $request_id
        client.get(f"{proxy.https}/jans-auth/restv1/authorize?client_id=x&code=query-canary")
        redirect = client.get(f"{proxy.http}/jans-auth/restv1/jwks")
        assert redirect.status_code == 301
        assert redirect.headers["location"] == "https://127.0.0.1/jans-auth/restv1/jwks"
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in unit_server.log_records() if r.get("request_id") == request_id]
        access = [r for r in found if r.get("logger") == "authgate.access"]
        if access or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert access and access[0]["source"] == CLIENT_ADDRESS, found
    nginx_log = proxy.access_log.read_text()
    assert "/jans-auth/restv1/authorize" in nginx_log and "query-canary" not in nginx_log


# --- Kubernetes ---------------------------------------------------------------------------


def _manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((path.name, document))
    return found


def _one(kind: str) -> dict[str, Any]:
    (document,) = [d for _, d in _manifests() if d["kind"] == kind]
    return document


def _container(kind: str) -> dict[str, Any]:
    (container,) = _one(kind)["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_kubernetes_manifests_are_valid() -> None:
    validator = pytest.importorskip("kubernetes_validate")
    kinds = []
    for _, document in _manifests():
        if document["kind"] == "Kustomization":
            for resource in document["resources"]:
                assert (KUBERNETES / resource).exists(), resource
            continue
        validator.validate(document, K8S_VERSION, strict=True)
        kinds.append(document["kind"])
    assert sorted(kinds) == ["Deployment", "Job", "PodDisruptionBudget", "Service"]


def test_deployment_runs_replicas_of_serve_on_postgres_with_known_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment = _one("Deployment")
    container = _container("Deployment")
    assert deployment["spec"]["replicas"] >= 2
    assert container["command"] == ["authgate"] and container["args"][0] == "serve"
    ctx = cli_main.commands["serve"].make_context("serve", container["args"][1:])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ctx.params["port"] == ports["http"]
    assert ctx.params["management_address"] == f"0.0.0.0:{ports['management']}"
    known = {name for f in Settings.model_fields for name in env_names(f)}
    env = {e["name"]: e for e in container["env"]}
    assert set(env) <= known, set(env) - known
    assert "secretKeyRef" in env["AUTHGATE_DATABASE_URL"]["valueFrom"]
    for name, item in env.items():  # the literal values are valid settings
        if "value" in item:
            monkeypatch.setenv(name, item["value"])
    settings = Settings()
    assert settings.issuer == f"https://{PUBLIC_HOST}" and settings.trusted_proxy_networks


def test_probes_answer_on_the_server(unit_server: UnitServer) -> None:
    container = _container("Deployment")
    bases = {"http": unit_server.url, "management": unit_server.management}
    probes = [container[p]["httpGet"] for p in ("startupProbe", "livenessProbe",
                                                 "readinessProbe")]  # fmt: skip
    assert {p["path"] for p in probes} == PROBE_PATHS
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    for probe in probes:
        response = httpx.get(bases[probe["port"]] + probe["path"], timeout=10)
        assert response.status_code == 200, (probe, response.text)
        # and on the management listener too (docs/operations.md)
        assert httpx.get(bases["management"] + probe["path"], timeout=10).status_code == 200


def _secret_refs(value: Any) -> Iterator[dict[str, Any]]:
    """Every ``secretKeyRef`` in a manifest."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "secretKeyRef":
                yield item
            else:
                yield from _secret_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_refs(item)


def test_secrets_are_those_the_document_writes(doc_run: DocRun) -> None:
    written = set(env_file(doc_run.workdir / "authgate-secret.env"))
    refs = [ref for _, document in _manifests() for ref in _secret_refs(document)]
    assert {ref["name"] for ref in refs} == {"authgate"}
    assert {ref["key"] for ref in refs} == written
    assert "kubectl create secret generic authgate --from-env-file=authgate-secret.env" in (
        DOC.read_text()
    )


def test_service_job_and_kustomization_agree_with_the_deployment() -> None:
    deployment, container = _one("Deployment"), _container("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = _one("Service")
    assert service["spec"]["selector"] == labels
    names = {p["name"] for p in container["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} == {"http"} <= names
    budget = _one("PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"] == labels
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    job = _container("Job")
    assert [*job["command"], *job["args"]] == ["authgate", "migrate"]
    assert job["image"] == container["image"]
    assert job["env"] == [e for e in container["env"] if e["name"] == "AUTHGATE_DATABASE_URL"]
    (kustomization,) = [d for n, d in _manifests() if n == "kustomization.yaml"]
    (image,) = kustomization["images"]
    assert container["image"] == f"{image['name']}:{image['newTag']}"


# --- the image ----------------------------------------------------------------------------


def test_dockerfile_installs_like_the_document() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    steps = [c for c in commands(dockerfile.replace("RUN ", "\n")) if "pip" in c[0]]
    installed = [
        " ".join(w for w in c if w != "--no-cache-dir").replace("/opt/authgate/venv/", "venv/")
        for c in steps
    ]
    (install,) = [b for b in RUNNABLE if "--require-hashes" in b.text]
    documented = [" ".join(c) for c in commands(install.text) if "pip" in c[0]]
    assert installed == documented
    assert "COPY requirements.lock pyproject.toml README.md ./" in dockerfile
    user = re.search(r"--uid (\d+)", dockerfile)
    assert user and _one("Deployment")["spec"]["template"]["spec"]["securityContext"][
        "runAsUser"
    ] == int(user[1])
