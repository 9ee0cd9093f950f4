"""Two real ``authgate serve`` processes on one database (a SQLite file shared like by
several workers, or one PostgreSQL database shared by several instances): what one
instance learns, the other acts on. A client approved through instance A gets its
authorization errors redirected by instance B (RFC 9700 §4.11.2 rule), and a code redeemed
at A and replayed at B is a security event in the shared database."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.storage.connect import open_database
from authgate.storage.security_events import SqlSecurityEventLog
from tests.conftest import REQUIRE_PG
from tests.e2e.harness import AuthgateServer
from tests.pg_scratch import PostgresUnreachable, scratch_database
from tests.support import (
    Browser,
    authorize_params,
    flow_registration_body,
    new_verifier,
    query_of,
    s256,
    token_form,
)

AUTHORIZE = "/jans-auth/restv1/authorize"
PASSWORD = secrets.token_urlsafe(12)


@contextlib.contextmanager
def started_together(database_url: str, base: Path) -> Iterator[list[AuthgateServer]]:
    """Two servers on ``database_url`` (data directories of their own), started at the same
    moment, as a deployment starts its replicas."""
    servers = [
        AuthgateServer(
            data_dir=base / name / "data",
            admin_password=PASSWORD,
            environment={"AUTHGATE_DATABASE_URL": database_url},
        )
        for name in ("a", "b")
    ]
    try:
        for server in servers:
            server.data_dir.parent.mkdir(parents=True)
            server.launch()
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def instances(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The issuers of two servers on ``database_url``, started together."""
    with started_together(database_url, tmp_path) as servers:
        yield servers[0].issuer, servers[1].issuer


@pytest.fixture
def new_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database that does not exist yet (SQLite) or is empty (PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/shared/authgate.db"
        return
    try:
        with scratch_database("authgate_together") as url:
            yield url.replace("postgresql://", "postgresql+asyncpg://", 1)
    except PostgresUnreachable as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


async def _count(database_url: str, table: str) -> int:
    db = await open_database(database_url)
    try:
        row = await db.fetch_one(text(f"SELECT count(*) AS n FROM {table}"), {})  # noqa: S608
    finally:
        await db.close()
    assert row is not None
    return int(row["n"])


async def test_two_first_starts_at_once_on_a_new_database_make_one_installation(
    new_database: str, tmp_path: Path
) -> None:
    """Both servers migrate the new database and bootstrap it at the same moment: one of
    them creates the schema, the keys, the configuration, the administrator and the admin
    client, the other finds them, and both serve with the same keys."""
    with started_together(new_database, tmp_path) as servers:
        async with httpx.AsyncClient(timeout=10.0) as http:
            jwks = [
                (await http.get(f"{server.issuer}/jans-auth/restv1/jwks")).json()
                for server in servers
            ]
    kids = [sorted(key["kid"] for key in document["keys"]) for document in jwks]
    assert kids[0] == kids[1]
    assert sorted(key["alg"] for key in jwks[0]["keys"]) == ["ES256", "PS256", "RS256"]
    assert await _count(new_database, "signing_keys") == 3
    assert await _count(new_database, "configuration") == 1
    assert await _count(new_database, "users") == 1
    assert await _count(new_database, "clients") == 1  # the admin client


async def _events(database_url: str, kind: EventKind, timeout: float = 10.0) -> list[SecurityEvent]:
    """The events of ``kind`` in the database, once the writers have stored one."""
    db = await open_database(database_url)
    try:
        log = SqlSecurityEventLog(db)
        async with asyncio.timeout(timeout):
            while not (found := await log.list(kind=kind)):
                await asyncio.sleep(0.1)
        return found
    finally:
        await db.close()


async def test_approval_and_replay_are_seen_by_the_other_instance(
    instances: tuple[str, str], database_url: str
) -> None:
    issuer_a, issuer_b = instances
    async with (
        httpx.AsyncClient(base_url=issuer_a, timeout=10) as a,
        httpx.AsyncClient(base_url=issuer_b, timeout=10) as b,
    ):
        client = await a.post("/jans-auth/restv1/register", json=flow_registration_body())
        assert client.status_code == 201, client.text
        client_id = client.json()["client_id"]
        silent = authorize_params(client_id, s256(new_verifier()), "S256", prompt="none")
        before = await b.get(AUTHORIZE, params=silent)
        assert before.status_code == 400  # registered a moment ago: the error page
        assert "login_required" in before.text

        verifier = new_verifier()
        params = authorize_params(client_id, s256(verifier), "S256")
        result = await Browser(a).authorize(params, username="admin", password=PASSWORD)
        form = token_form(client_id, result.params["code"], verifier)
        assert (await a.post("/jans-auth/restv1/token", data=form)).status_code == 200

        after = await b.get(AUTHORIZE, params=silent)
        assert after.status_code == 302
        assert query_of(after.headers["location"])["error"] == "login_required"

        replay = await b.post("/jans-auth/restv1/token", data=form)
        assert replay.json()["error"] == "invalid_grant"
    [event] = await _events(database_url, EventKind.CODE_REPLAYED)
    assert (event.client_id, event.source) == (client_id, "127.0.0.1")
