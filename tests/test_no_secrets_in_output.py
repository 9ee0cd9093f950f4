"""No secret in anything authgate writes: a real ``authgate serve`` (debug logs, access log)
on SQLite and on PostgreSQL, the browser flow, the token endpoint's grants, registration
management and the Config API over HTTP, and the admin commands as subprocesses (local
and ``--url``), all with secrets whose values the test knows. Everything written to stdout and
stderr, and every error body the server sent, is scanned for each of them
(:mod:`tests.secret_scan`): passwords (the first user's, others, too short or wrong ones),
client secrets, authorization codes, PKCE verifiers, access, refresh and id tokens,
registration access tokens, session cookies, the admin client's secret, the database
password and the signing keys (PEM and JWK private members).

The one exception is the one-time display of a newly generated secret, labelled as shown
once: that line, and only that line, may show it.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

import authgate
from authgate.admin import paths
from authgate.admin.scopes import ADMIN_SCOPES
from authgate.core import endpoints
from tests.conftest import REQUIRE_PG
from tests.e2e.harness import CHEAP_PASSWORD_HASHES, free_port
from tests.pg_scratch import PostgresUnreachable, scratch_database
from tests.secret_scan import (
    SHOWN_ONCE,
    Output,
    Secret,
    client_secret,
    find_leaks,
    jwt_secret,
    one_time_displays,
    private_key_secrets,
)
from tests.support import hidden_form, new_verifier, query_of, s256
from tests.web.device_support import DEVICE_GRANT, device_registration

LOOPBACK = "127.0.0.1"
#: Secrets of the configuration document, which ``config get`` shows whole.
PAIRWISE = frozenset({"pairwiseCalculationKey", "pairwiseCalculationSalt"})
REDIRECT_URI = "http://127.0.0.1:8765/cb"
SOURCE = str(Path(authgate.__file__).resolve().parent.parent)
TIMEOUT = 90.0
#: CLI subprocesses at once (each spends about a second of CPU importing authgate).
CLI_PARALLEL = 3

# Known values. Passwords have spaces and symbols so that URL-encoded forms differ.
ADMIN_PASSWORD = "Admin pass #1 known-7Qx"
ADMIN_CLIENT_ID = "secrets-test-admin"
ADMIN_CLIENT_SECRET = "AdminClientSecret-known-0c9e2b7f41d8"
WRONG_ADMIN_SECRET = "WrongAdminSecret-known-5d1a"
CAROL_PASSWORD = "Carol first pw &known-2Mv"
CAROL_NEW_PASSWORD = "Carol new pw %known-8Rt"
WRONG_LOGIN_PASSWORD = "Wrong login pw known-4Kd"
SHORT_API_PASSWORD = "Sh0rt!a"
SHORT_CLI_PASSWORD = "Sh0rt!c"
SHORT_REMOTE_PASSWORD = "Sh0rt!r"
ERIN_PASSWORD = "Erin cli pw known-3Hs"
CAROL_CLI_PASSWORD = "Carol cli pw known-6Wq"
WRONG_CLIENT_SECRET = "WrongClientSecret-known-9f3c"
WRONG_TOKEN = "01a2ffffWrongBearerToken-known-1b7e"
DATABASE_PASSWORD = "DbPassw0rd-known-71c3"


@dataclass(frozen=True)
class Case:
    """How one backend's server runs: its database and which first-start secret it
    generates (shown once) rather than takes from the environment."""

    backend: str
    log_format: str
    generate: str  # "password" or "client_secret"


CASES = [
    Case("sqlite", "text", generate="password"),
    Case("postgres", "json", generate="client_secret"),
]


@dataclass
class Transcript:
    """What the test collected: every output, every known secret."""

    outputs: list[Output] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)

    def secret(self, label: str, value: str) -> str:
        self.secrets.append(Secret(label, value))
        return value

    def add(self, *secrets: Secret) -> None:
        self.secrets.extend(secrets)


def _environment(extra: dict[str, str]) -> dict[str, str]:
    """The test's environment without AUTHGATE_*, plus ``extra``; this authgate first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env["PYTHONPATH"] = os.pathsep.join([SOURCE, env.get("PYTHONPATH", "")])
    return env | CHEAP_PASSWORD_HASHES | extra


# --- the database -------------------------------------------------------------------------


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database whose URL carries a password (trust authentication
    ignores it), so that the test can look for the password in the output."""
    try:
        with scratch_database("authgate_secrets", DATABASE_PASSWORD) as url:
            yield url
    except PostgresUnreachable as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


async def private_keys(database_url: str, data_dir: Path) -> list[str]:
    """Every signing key's private PEM, read from the database."""
    if database_url:
        conn = await asyncpg.connect(database_url)
        try:
            return [
                row["private_pem"]
                for row in await conn.fetch("SELECT private_pem FROM signing_keys")
            ]
        finally:
            await conn.close()
    with sqlite3.connect(data_dir / "authgate.db") as db:
        return [row[0] for row in db.execute("SELECT private_pem FROM signing_keys")]


# --- processes ----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    issuer: str
    stdout: Path
    stderr: Path

    def outputs(self) -> list[Output]:
        return [
            Output("authgate serve stdout", self.stdout.read_text(errors="replace")),
            Output("authgate serve stderr", self.stderr.read_text(errors="replace")),
        ]


@contextmanager
def serve(case: Case, workdir: Path, database_url: str, env: dict[str, str]) -> Iterator[Server]:
    port = free_port()
    environment = _environment(
        env
        | {
            "AUTHGATE_LOG_LEVEL": "debug",
            "AUTHGATE_LOG_FORMAT": case.log_format,
            "AUTHGATE_ACCESS_LOG": "true",
            "AUTHGATE_MANAGEMENT_ADDRESS": "off",
        }
    )
    command = [
        sys.executable,
        "-m",
        "authgate",
        "serve",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--data-dir",
        str(workdir / "data"),
    ]
    if database_url:
        command += ["--database-url", database_url]
    stdout, stderr = workdir / "serve.out", workdir / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            command, cwd=workdir, env=environment, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
    server = Server(process, f"http://{LOOPBACK}:{port}", stdout, stderr)
    try:
        _wait_ready(server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + TIMEOUT
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise AssertionError(f"authgate serve exited: {server.stderr.read_text()[-3000:]}")
            try:
                if client.get(f"{server.issuer}/health/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise AssertionError(f"authgate serve not ready: {server.stderr.read_text()[-3000:]}")


@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    #: the exit status expected (1: refused with a message)
    status: int = 0


async def run_cli(command: Command, workdir: Path) -> tuple[list[Output], str]:
    """Run ``authgate ARGS`` and return its stdout and stderr as outputs, and stdout."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "authgate",
        *command.args,
        cwd=workdir,
        env=_environment(command.env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
    shown = [
        "***" if previous == "--password" else arg
        for previous, arg in zip(("", *command.args), command.args, strict=False)
    ]
    where = " (--url)" if "AUTHGATE_ADMIN_URL" in command.env else ""
    name = f"authgate {' '.join(shown)}{where}"
    assert process.returncode == command.status, f"{name}: {process.returncode}\n{stderr}"
    announced = "client_secret" in stderr and SHOWN_ONCE in stderr
    return [
        Output(f"{name} stdout", stdout, announces_secret=announced),
        Output(f"{name} stderr", stderr),
    ], stdout


async def run_all(commands: Sequence[Command], workdir: Path, seen: Transcript) -> list[str]:
    """Run ``commands`` a few at a time; record their outputs and return their stdouts."""
    gate = asyncio.Semaphore(CLI_PARALLEL)

    async def one(command: Command) -> str:
        async with gate:
            outputs, stdout = await run_cli(command, workdir)
        seen.outputs.extend(outputs)
        return stdout

    return list(await asyncio.gather(*(one(c) for c in commands)))


# --- HTTP ---------------------------------------------------------------------------------


@asynccontextmanager
async def http_client(issuer: str, seen: Transcript) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the server that records every error body it receives."""

    async def record(response: httpx.Response) -> None:
        if response.status_code >= 400:
            await response.aread()
            request = response.request
            seen.outputs.append(
                Output(
                    f"HTTP {response.status_code} {request.method} {request.url.path}",
                    response.text,
                )
            )

    async with httpx.AsyncClient(
        base_url=issuer, timeout=30.0, event_hooks={"response": [record]}
    ) as client:
        yield client


async def sign_in(
    http: httpx.AsyncClient, client_id: str, username: str, password: str, seen: Transcript
) -> tuple[str, str]:
    """The authorization code flow in a cookie-keeping client, with one wrong password
    first. Returns the code and the PKCE verifier."""
    verifier = seen.secret("PKCE code_verifier", new_verifier(64))
    params = {
        "response_type": "code",
        "client_id": client_id,
        "scope": "openid profile email",
        "redirect_uri": REDIRECT_URI,
        "state": uuid.uuid4().hex,
        "nonce": uuid.uuid4().hex,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "login_hint": username,
    }
    response = await http.get(f"{endpoints.AUTHORIZE}?{urlencode(params)}")
    assert response.status_code == 302, response.text
    login = await http.get(response.headers["location"])
    action, fields = hidden_form(login.text)
    refused = await http.post(
        action, data=fields | {"username": username, "password": WRONG_LOGIN_PASSWORD}
    )
    assert refused.status_code == 401, refused.text
    seen.outputs.append(Output("HTTP failed login page", refused.text))
    action, fields = hidden_form(refused.text)
    response = await http.post(action, data=fields | {"username": username, "password": password})
    for _ in range(3):
        assert response.status_code in (302, 303), response.text
        location = response.headers["location"]
        if not location.startswith("/"):
            break
        page = await http.get(location)
        action, fields = hidden_form(page.text)
        response = await http.post(action, data=fields | {"decision": "allow"})
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI), location
    code = seen.secret("authorization code", query_of(location)["code"])
    for cookie in http.cookies.jar:
        if cookie.value:
            seen.secret(f"cookie {cookie.name}", cookie.value)
    return code, verifier


async def oauth_flows(http: httpx.AsyncClient, seen: Transcript, admin_password: str) -> None:
    """Registration and its management, the code flow with wrong credentials on the way,
    the token endpoint's grants, userinfo, introspection, revocation and logout."""
    body = {
        "client_name": "Secrets RP",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": ["openid", "profile", "email"],
    }
    response = await http.post(endpoints.REGISTER, json=body)
    assert response.status_code == 201, response.text
    client = response.json()
    client_id = client["client_id"]
    seen.add(client_secret("registered client_secret", client_id, client["client_secret"]))
    rat = seen.secret("registration_access_token", client["registration_access_token"])
    config_url = urlsplit(client["registration_client_uri"])
    read = await http.get(
        f"{config_url.path}?{config_url.query}", headers={"Authorization": f"Bearer {rat}"}
    )
    assert read.status_code == 200, read.text
    refused = await http.get(
        f"{config_url.path}?{config_url.query}", headers={"Authorization": f"Bearer {WRONG_TOKEN}"}
    )
    assert refused.status_code == 401

    code, verifier = await sign_in(http, client_id, "admin", admin_password, seen)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    wrong = await http.post(endpoints.TOKEN, data=form, auth=(client_id, WRONG_CLIENT_SECRET))
    assert wrong.status_code == 401, wrong.text
    auth = (client_id, client["client_secret"])
    tokens = await http.post(endpoints.TOKEN, data=form, auth=auth)
    assert tokens.status_code == 200, tokens.text
    issued = tokens.json()
    access = seen.secret("access token", issued["access_token"])
    refresh = seen.secret("refresh token", issued["refresh_token"])
    seen.add(jwt_secret("id_token", issued["id_token"]))

    assert (
        await http.get(endpoints.USERINFO, headers={"Authorization": f"Bearer {access}"})
    ).status_code == 200
    bogus = await http.get(endpoints.USERINFO, headers={"Authorization": f"Bearer {WRONG_TOKEN}"})
    assert bogus.status_code == 401
    found = await http.post(endpoints.INTROSPECTION, data={"token": access}, auth=auth)
    assert found.status_code == 200 and found.json()["active"] is True, found.text
    refreshed = await http.post(
        endpoints.TOKEN, auth=auth, data={"grant_type": "refresh_token", "refresh_token": refresh}
    )
    assert refreshed.status_code == 200, refreshed.text
    seen.secret("refreshed access token", refreshed.json()["access_token"])
    new_refresh = seen.secret("rotated refresh token", refreshed.json()["refresh_token"])
    seen.add(jwt_secret("refreshed id_token", refreshed.json()["id_token"]))
    replay = await http.post(endpoints.TOKEN, data=form, auth=auth)  # revokes the grant
    assert replay.status_code == 400, replay.text
    revoked = await http.post(endpoints.REVOKE, data={"token": new_refresh}, auth=auth)
    assert revoked.status_code == 200, revoked.text
    logout = await http.get(endpoints.END_SESSION, params={"id_token_hint": issued["id_token"]})
    assert logout.status_code < 500, logout.text


async def device_flow(http: httpx.AsyncClient, seen: Transcript, admin_password: str) -> None:
    """The device flow (RFC 8628): codes asked for, a wrong user code, a poll while pending,
    the approval on the verification page (signing in if the session is gone), the tokens
    and a second redemption."""
    body = device_registration(token_endpoint_auth_method="client_secret_basic")
    response = await http.post(endpoints.REGISTER, json=body)
    assert response.status_code == 201, response.text
    client = response.json()
    auth = (client["client_id"], client["client_secret"])
    seen.add(client_secret("device client_secret", client["client_id"], client["client_secret"]))
    asked = await http.post(endpoints.DEVICE_AUTHORIZATION, data={"scope": "openid"}, auth=auth)
    assert asked.status_code == 200, asked.text
    device = asked.json()
    device_code = seen.secret("device_code", device["device_code"])
    user_code = seen.secret("user_code", device["user_code"])
    seen.secret("user_code as typed", user_code.replace("-", ""))
    form = {"grant_type": DEVICE_GRANT, "device_code": device_code}
    pending = await http.post(endpoints.TOKEN, data=form, auth=auth)
    assert pending.json()["error"] == "authorization_pending", pending.text
    wrong = await http.get(endpoints.DEVICE_PAGE, params={"user_code": "BBBB-BBBB"})
    assert wrong.status_code == 400, wrong.text
    page = await http.get(endpoints.DEVICE_PAGE, params={"user_code": user_code.replace("-", "")})
    assert page.status_code == 303, page.text
    location = page.headers["location"]
    if endpoints.LOGIN_PAGE in location:
        action, fields = hidden_form((await http.get(location)).text)
        fields |= {"username": "admin", "password": admin_password}
        location = (await http.post(action, data=fields)).headers["location"]
    action, fields = hidden_form((await http.get(location)).text)
    done = await http.post(action, data=fields | {"decision": "approve"})
    assert done.status_code == 200, done.text
    tokens = await http.post(endpoints.TOKEN, data=form, auth=auth)
    assert tokens.status_code == 200, tokens.text
    seen.secret("device access token", tokens.json()["access_token"])
    seen.add(jwt_secret("device id_token", tokens.json()["id_token"]))
    again = await http.post(endpoints.TOKEN, data=form, auth=auth)
    assert again.status_code == 400, again.text


async def config_api(http: httpx.AsyncClient, seen: Transcript, admin_secret: str) -> str:
    """The Config API with its admin client: a wrong secret, too-short passwords refused
    (their bodies must not echo them), a user and a client created. Returns the client id."""
    token_form = {"grant_type": "client_credentials", "scope": " ".join(ADMIN_SCOPES)}
    wrong = await http.post(
        endpoints.TOKEN, data=token_form, auth=(ADMIN_CLIENT_ID, WRONG_ADMIN_SECRET)
    )
    assert wrong.status_code == 401, wrong.text
    response = await http.post(
        endpoints.TOKEN, data=token_form, auth=(ADMIN_CLIENT_ID, admin_secret)
    )
    assert response.status_code == 200, response.text
    token = seen.secret("Config API access token", response.json()["access_token"])
    bearer = {"Authorization": f"Bearer {token}"}
    # the pairwise key and salt are write-only in the Config API: set known values, then
    # look for them everywhere
    document = (await http.get(paths.CONFIG, headers=bearer)).json()
    assert not PAIRWISE & set(document)
    known = [
        {"op": "replace", "path": f"/{name}", "value": seen.secret(name, f"{name} known-Q7r2")}
        for name in sorted(PAIRWISE)
    ]
    patched = await http.patch(
        paths.CONFIG, json=known, headers=bearer | {"Content-Type": paths.JSON_PATCH}
    )
    assert patched.status_code == 200, patched.text
    # Regression: a failed JSON Patch `test` quoted the current value (a secret here) and the
    # tested one, in the 409 body and in the server's log line for it.
    guess = seen.secret("tested pairwiseCalculationKey", "Guessed pairwise key known-5Tz")
    for path in ("/pairwiseCalculationKey", "/pairwiseCalculationSalt/0"):
        refused = await http.patch(
            paths.CONFIG,
            json=[{"op": "test", "path": path, "value": guess}],
            headers=bearer | {"Content-Type": paths.JSON_PATCH},
        )
        assert refused.status_code in (400, 409), refused.text

    short = await http.post(
        paths.USERS, headers=bearer, json={"username": "carol", "password": SHORT_API_PASSWORD}
    )
    assert short.status_code == 400, short.text
    created = await http.post(
        paths.USERS, headers=bearer, json={"username": "carol", "password": CAROL_PASSWORD}
    )
    assert created.status_code == 201, created.text
    password_path = f"{paths.USERS}/carol/password"
    short = await http.post(password_path, headers=bearer, json={"password": SHORT_API_PASSWORD})
    assert short.status_code == 400, short.text
    changed = await http.post(password_path, headers=bearer, json={"password": CAROL_NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    unknown = await http.post(
        f"{paths.USERS}/nobody/password", headers=bearer, json={"password": CAROL_NEW_PASSWORD}
    )
    assert unknown.status_code == 404, unknown.text

    client = await http.post(
        paths.CLIENTS,
        headers=bearer,
        json={
            "client_name": "API client",
            "redirect_uris": ["https://rp.example.com/cb"],
            "token_endpoint_auth_method": "client_secret_basic",
        },
    )
    assert client.status_code == 201, client.text
    client_id: str = client.json()["client_id"]
    seen.add(client_secret("Config API client_secret", client_id, client.json()["client_secret"]))
    return client_id


# --- the test -----------------------------------------------------------------------------


def _known_secrets(seen: Transcript, case: Case) -> None:
    for label, value in [
        ("wrong admin client secret", WRONG_ADMIN_SECRET),
        ("carol's password", CAROL_PASSWORD),
        ("carol's new password", CAROL_NEW_PASSWORD),
        ("wrong login password", WRONG_LOGIN_PASSWORD),
        ("too-short password (Config API)", SHORT_API_PASSWORD),
        ("too-short password (CLI)", SHORT_CLI_PASSWORD),
        ("too-short password (CLI --url)", SHORT_REMOTE_PASSWORD),
        ("erin's password", ERIN_PASSWORD),
        ("carol's password set by the CLI", CAROL_CLI_PASSWORD),
        ("wrong client secret", WRONG_CLIENT_SECRET),
        ("wrong bearer token", WRONG_TOKEN),
    ]:
        seen.secret(label, value)
    if case.backend == "postgres":
        seen.secret("database password", DATABASE_PASSWORD)
    if case.generate != "password":
        seen.secret("admin password", ADMIN_PASSWORD)
    if case.generate != "client_secret":
        seen.add(client_secret("admin client secret", ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET))


def _generated(outputs: list[Output], pattern: str) -> str:
    """The value a first start displayed once on a line containing ``pattern``."""
    displays = one_time_displays(outputs)
    for value, places in displays.items():
        for name, number in places:
            line = next(o for o in outputs if o.name == name).lines[number - 1]
            if pattern in line:
                return value
    raise AssertionError(f"no one-time display of {pattern!r} in {[o.name for o in outputs]}")


@pytest.mark.parametrize("case", CASES, ids=[c.backend for c in CASES])
async def test_no_secret_in_any_output(case: Case, tmp_path: Path) -> None:
    seen = Transcript()
    _known_secrets(seen, case)
    with postgres_database() if case.backend == "postgres" else _no_database() as database_url:
        db_env = {"AUTHGATE_DATABASE_URL": database_url} if database_url else {}
        local = {**db_env, "AUTHGATE_DATA_DIR": str(tmp_path / "data")}
        first = {"AUTHGATE_ADMIN_CLIENT_ID": ADMIN_CLIENT_ID}
        if case.generate != "password":
            first["AUTHGATE_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        if case.generate != "client_secret":
            first["AUTHGATE_ADMIN_CLIENT_SECRET"] = ADMIN_CLIENT_SECRET
        if database_url:  # migrate first: serve then finds the schema in place
            await run_all([Command(("migrate",), local)], tmp_path, seen)

        with serve(case, tmp_path, database_url, first) as server:
            served = server.outputs()
            if case.generate == "password":
                admin_password = _generated(served, "created user 'admin'")
                admin_secret = ADMIN_CLIENT_SECRET
            else:
                admin_password = ADMIN_PASSWORD
                admin_secret = _generated(served, "Config API admin client")
                seen.add(
                    client_secret("generated admin client secret", ADMIN_CLIENT_ID, admin_secret)
                )
            seen.secret("admin password", admin_password)
            async with http_client(server.issuer, seen) as http:
                api_client = await config_api(http, seen, admin_secret)
                await oauth_flows(http, seen, admin_password)
                await device_flow(http, seen, admin_password)
            await admin_commands(
                case, server.issuer, local, admin_secret, api_client, tmp_path, seen
            )
        seen.outputs.extend(server.outputs())
        for index, pem in enumerate(await private_keys(database_url, tmp_path / "data")):
            seen.add(*private_key_secrets(f"signing key {index}", pem))

    _check(seen)


@contextmanager
def _no_database() -> Iterator[str]:
    yield ""


async def admin_commands(
    case: Case,
    issuer: str,
    local: dict[str, str],
    admin_secret: str,
    api_client: str,
    workdir: Path,
    seen: Transcript,
) -> None:
    """The admin commands as subprocesses, on the server's database while it serves and,
    on SQLite, through the Config API with ``--url``. Each costs about a second of CPU (the
    imports), so each backend runs the ones whose output could differ there."""
    if case.backend == "sqlite":
        remote = {
            "AUTHGATE_ADMIN_URL": issuer,
            "AUTHGATE_ADMIN_CLIENT_ID": ADMIN_CLIENT_ID,
            "AUTHGATE_ADMIN_CLIENT_SECRET": admin_secret,
        }
        commands = [
            Command(("users", "add", "erin", "--password", ERIN_PASSWORD), local),
            Command(
                ("users", "set-password", "carol", "--password", SHORT_CLI_PASSWORD),
                local,
                status=1,
            ),
            Command(("clients", "show", api_client), local),
            Command(("config", "get"), local),
            Command(("config", "set", "accessTokenLifetime", "300"), local),
            Command(
                ("users", "add", "grace", "--password", SHORT_REMOTE_PASSWORD), remote, status=1
            ),
            Command(("clients", "show", "--json", api_client), remote),
            Command(("keys", "list"), remote),
        ]
    else:  # the database URL carries a password
        commands = [
            Command(("users", "add", "frank", "--password", SHORT_CLI_PASSWORD), local, status=1),
            Command(("users", "set-password", "carol", "--password", CAROL_CLI_PASSWORD), local),
            Command(("clients", "list"), local),
        ]
    commands += [
        Command(
            (
                "clients",
                "create",
                "--name",
                "CLI client",
                "--redirect-uri",
                "https://rp.example.com/cli",
            ),
            local,
        ),
        Command(("keys", "rotate"), local),
    ]
    await run_all(commands, workdir, seen)


def _check(seen: Transcript) -> None:
    displays = one_time_displays(seen.outputs)
    # Each one-time display shows its secret once, and the CLI's new client secret is one.
    assert all(len(places) == 1 for places in displays.values()), displays
    assert any(
        "clients create" in name and name.endswith("stdout")
        for places in displays.values()
        for name, _ in places
    )
    # The scan has something to find: the flows ran, the keys were read.
    labels = {s.label for s in seen.secrets}
    for expected in (
        "authorization code",
        "access token",
        "refresh token",
        "id_token",
        "registration_access_token",
        "cookie session_id",
        "admin password",
        "signing key 0 (JWK d)",
        "signing key 0 (PEM line 2)",
    ):
        assert expected in labels, f"no {expected} collected: {sorted(labels)}"
    assert sum(len(o.lines) for o in seen.outputs) > 100
    leaks = find_leaks(seen.outputs, seen.secrets, displays)
    assert not leaks, "secrets in the output:\n" + "\n".join(leaks)
