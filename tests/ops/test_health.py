"""The probes: /health/live and /health/ready on the main port, on SQLite and PostgreSQL.

Ready turns 503, naming what is not ready, when the database is gone, when its schema is not
this code's revision, and when no key can sign; the report is shared for a second.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from starlette.applications import Starlette

from authgate.crypto.keys import KeyRing, StoredKey, generate_key
from authgate.health import Readiness, StoredKeys, schema_state
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.storage.configuration import SqlKeyStore
from authgate.storage.connect import open_database, upgrade_sync
from authgate.storage.engine import Database
from authgate.storage.probe import head_revisions
from authgate.web.app import create_app
from authgate.web.health import runtime_readiness
from tests.conftest import PG_ADMIN_URL
from tests.support import ISSUER, fast_hasher

LIVE = "/health/live"
READY = "/health/ready"


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _set_revision(runtime: Runtime, url: str, revision: str) -> None:
    """Write ``revision`` into alembic_version behind the server's back."""
    if runtime.db.dialect_name == "sqlite":
        import sqlite3

        con = sqlite3.connect(url.split("///", 1)[1])
        with con:
            con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        con.close()
        return
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("UPDATE alembic_version SET version_num = $1", revision)
    finally:
        await conn.close()


def _app(runtime: Runtime, clock: Monotonic) -> Starlette:
    app = create_app(runtime.settings, runtime)
    app.state.readiness = runtime_readiness(runtime, clock=clock)
    return app


async def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER)


async def test_live_answers_200(http: httpx.AsyncClient) -> None:
    response = await http.get(LIVE)
    assert response.status_code == 200
    assert response.json() == {"status": "live"}
    assert response.headers["cache-control"] == "no-store"


async def test_ready_when_database_schema_and_key_are(http: httpx.AsyncClient) -> None:
    response = await http.get(READY)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "signing_key": "ok"},
    }


async def test_not_ready_while_the_schema_is_not_this_codes_revision(
    runtime: Runtime, database_url: str
) -> None:
    clock = Monotonic()
    (head,) = head_revisions()
    async with await _client(_app(runtime, clock)) as http:
        assert (await http.get(READY)).status_code == 200
        await _set_revision(runtime, database_url, "0005")
        try:
            # within the second the report is shared, the last one stands
            assert (await http.get(READY)).status_code == 200
            clock.now += 1.0
            response = await http.get(READY)
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["status"] == "not ready"
            assert body["not_ready"] == ["schema"]
            assert body["checks"]["database"] == "ok"
            assert "authgate migrate" in body["checks"]["schema"]
        finally:
            await _set_revision(runtime, database_url, head)
        clock.now += 1.0
        assert (await http.get(READY)).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_not_ready_when_the_sqlite_file_is_gone(runtime: Runtime, database_url: str) -> None:
    clock = Monotonic()
    async with await _client(_app(runtime, clock)) as http:
        assert (await http.get(READY)).status_code == 200
        Path(database_url.split("///", 1)[1]).unlink()
        clock.now += 1.0
        response = await http.get(READY)
    assert response.status_code == 503
    body = response.json()
    assert body["not_ready"] == ["database", "schema"]
    assert body["checks"]["database"] == "the SQLite file was deleted or replaced"
    assert (await _live(runtime)) == 200


async def _live(runtime: Runtime) -> int:
    async with await _client(create_app(runtime.settings, runtime)) as http:
        return (await http.get(LIVE)).status_code


@pytest.fixture
async def doomed_postgres(postgres_url: str) -> AsyncIterator[str]:
    """A migrated PostgreSQL database of this test's own, dropped by the test."""
    name = f"authgate_doomed_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(PG_ADMIN_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        await asyncio.to_thread(upgrade_sync, url)
        yield url
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_not_ready_when_the_postgres_database_is_gone(doomed_postgres: str) -> None:
    settings = Settings(issuer_url=ISSUER, database_url=doomed_postgres, admin_password="pw-1")
    runtime = await Runtime.start(settings, migrate=False, passwords=fast_hasher(), poll=False)
    clock = Monotonic()
    try:
        async with await _client(_app(runtime, clock)) as http:
            assert (await http.get(READY)).status_code == 200
            name = doomed_postgres.rsplit("/", 1)[1]
            admin = await asyncpg.connect(_dsn(PG_ADMIN_URL))
            try:
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            finally:
                await admin.close()
            clock.now += 1.0
            response = await http.get(READY)
            assert response.status_code == 503
            assert response.json()["checks"]["database"] == "unreachable"
            assert (await http.get(LIVE)).status_code == 200
    finally:
        await runtime.stop()


# --- the check itself ------------------------------------------------------------------------


class _Database:
    """Enough of a database for :class:`Readiness`: answers the revision query, or hangs."""

    dialect_name = "postgresql"

    def __init__(self, revisions: list[str], *, hang: bool = False) -> None:
        self.revisions = revisions
        self.hang = hang
        self.queries = 0

    async def fetch_all(self, statement: object, params: object) -> list[dict[str, str]]:
        self.queries += 1
        if self.hang:
            await asyncio.sleep(60)
        await asyncio.sleep(0)
        return [{"version_num": r} for r in self.revisions]


def _readiness(db: _Database, clock: Monotonic, **options: float) -> Readiness:
    async def database() -> Database:
        return db  # type: ignore[return-value]

    async def key() -> None:
        return None

    return Readiness(database, key, clock=clock, **options)


async def test_concurrent_probes_share_one_query_per_second() -> None:
    db = _Database(sorted(head_revisions()))
    clock = Monotonic()
    readiness = _readiness(db, clock)
    reports = await asyncio.gather(*(readiness.report() for _ in range(50)))
    assert all(report.ready for report in reports)
    assert db.queries == 1
    clock.now += 0.5
    await readiness.report()
    assert db.queries == 1
    clock.now += 0.5
    await readiness.report()
    assert db.queries == 2


async def test_a_database_that_does_not_answer_is_not_ready_after_the_timeout() -> None:
    readiness = _readiness(_Database([], hang=True), Monotonic(), timeout=0.05)
    report = await readiness.report()
    assert not report.ready
    assert report.checks["database"] == "no answer within 0.05 s"


async def test_no_usable_signing_key_is_not_ready() -> None:
    db = _Database(sorted(head_revisions()))

    async def database() -> Database:
        return db  # type: ignore[return-value]

    async def no_key() -> None:
        raise LookupError("no active signing key for RS256")

    report = await Readiness(database, no_key).report()
    assert report.failing == ["signing_key"]
    assert report.body()["checks"]["signing_key"] == "no key can sign now"


def test_schema_states() -> None:
    assert schema_state(frozenset({"0006"}), frozenset({"0006"})) == "ok"
    assert schema_state(frozenset(), frozenset({"0006"})).startswith("not migrated")
    assert "authgate migrate" in schema_state(frozenset({"0005"}), frozenset({"0006"}))


async def test_stored_keys_reload_after_their_ttl_and_report_ages(database_url: str) -> None:
    db = await open_database(database_url)
    now = [2_000_000_000.0]
    loads = 0

    async def load() -> list[StoredKey]:
        nonlocal loads
        loads += 1
        return await SqlKeyStore(db).all()

    try:
        keys = StoredKeys(load, ttl=10.0, clock=lambda: now[0])
        with pytest.raises(LookupError):
            await keys.check()  # a fresh database holds no key
        await SqlKeyStore(db).add(generate_key("RS256", created_at=int(now[0]) - 3600))
        now[0] += 10
        await keys.check()
        assert isinstance(await keys.ring(), KeyRing)
        assert keys.ages() == {"RS256": 3610.0}
        assert loads == 2
    finally:
        await db.close()
