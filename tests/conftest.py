"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable), a started runtime,
the ASGI app and an HTTP client bound to it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
import os
import shutil
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from authgate.core.types import User
from authgate.crypto import keys as keys_module
from authgate.crypto.keys import SigningKey, StoredKey, generate_key
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.storage.configuration import SqlKeyStore
from authgate.storage.connect import open_database, upgrade_sync
from authgate.storage.models import METADATA
from authgate.web.app import create_app
from tests import xdist_groups
from tests.support import ISSUER, PASSWORD, USERNAME, Browser, FakeClock, Flow, fast_hasher

PG_ADMIN_URL = os.environ.get(
    "AUTHGATE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("AUTHGATE_REQUIRE_POSTGRES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgres":
            item.add_marker(pytest.mark.postgres)
    xdist_groups.record(config, items)


# How pytest-xdist shares the tests between workers (tests/xdist_groups.py).
_xdist = xdist_groups.Controller()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    _xdist.configure_node(node)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return _xdist.make_scheduler(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    _xdist.close()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Runtimes and commands this process starts from its environment hash passwords with
    argon2id at its least cost (``AUTHGATE_PASSWORD_HASH_COST=minimal``, the real setting):
    each standard-cost hash or check takes a third of a second of both cores, and what these
    tests check is not the cost. tests/crypto/test_password_cost.py checks the production
    parameters; tests/e2e/harness.py sets the same for server processes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTHGATE_PASSWORD_HASH_COST", "minimal")
        yield


@pytest.fixture(scope="session", autouse=True)
def shared_tls_context() -> Iterator[None]:
    """One TLS context per session for the server's outbound HTTP clients.

    Every runtime builds an HTTP client for clients' URLs (``authgate.runtime.outbound_client``,
    ``trust_env=False``), and httpx loads the CA bundle into a new TLS context for each: about
    25 ms of CPU, the largest part of a runtime's start once the keys are parsed once. A
    context may serve any number of connections, so tests share one; clients that read the
    environment (``trust_env=True``) or bring their own ``verify``/``cert`` get their own.
    """
    create = httpx.create_ssl_context
    shared: list[ssl.SSLContext] = []

    def create_once(
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
    ) -> ssl.SSLContext:
        if verify is not True or cert is not None or trust_env:
            return create(verify=verify, cert=cert, trust_env=trust_env)
        if not shared:
            shared.append(create(verify=True, cert=None, trust_env=False))
        return shared[0]

    with pytest.MonkeyPatch.context() as patch:
        # where httpx's transports look it up (raises if httpx moves it)
        patch.setattr("httpx._transports.default.create_ssl_context", create_once)
        yield


@pytest.fixture(scope="session")
def signing_keys() -> Iterator[list[StoredKey]]:
    """One key per signing algorithm (RS256, ES256, PS256), generated once per session.

    Every runtime parses the keys it loads from the database, and loading an RSA private key
    checks its consistency (about 35 ms of CPU per RSA-2048 key, most of a runtime's start
    before this). These
    keys are the same in every test, so each is parsed once per session; any other key (a
    rotation's new key, a key a test generates) is parsed as usual.
    """
    keys = [generate_key(alg, created_at=1_700_000_000) for alg in ("RS256", "ES256", "PS256")]
    parse = keys_module._parse
    session_keys = {(k.kid, k.alg, k.private_pem) for k in keys}
    parsed: dict[tuple[str, str, str], SigningKey] = {}

    def parse_once(stored: StoredKey) -> SigningKey:
        name = (stored.kid, stored.alg, stored.private_pem)
        if name not in session_keys:
            return parse(stored)
        if name not in parsed:
            parsed[name] = parse(stored)
        return parsed[name]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys_module, "_parse", parse_once)
        yield keys


@pytest.fixture(scope="session")
def signing_key(signing_keys: list[StoredKey]) -> StoredKey:
    """The RS256 key (the default algorithm)."""
    return signing_keys[0]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session; tests take copies (``sqlite_file``)."""
    path = tmp_path_factory.mktemp("template") / "authgate.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_file(sqlite_template: Path, tmp_path: Path) -> Path:
    """A fresh, migrated SQLite database of this test: a copy of the template, which costs a
    file copy instead of running every migration."""
    target = tmp_path / "authgate.db"
    shutil.copy(sqlite_template, target)
    return target


async def _pg_reachable() -> str | None:
    engine = create_async_engine(PG_ADMIN_URL, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any connection failure means "unreachable"
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


def _run(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even inside a running loop's thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    problem = _run(_pg_reachable())
    if problem is not None:
        if REQUIRE_PG:
            pytest.fail(
                f"PostgreSQL required (AUTHGATE_REQUIRE_POSTGRES=1) but unreachable: {problem}"
            )
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    name = f"authgate_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1)
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    _run(admin(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade_sync(url)
    yield url
    _run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


#: Empties every table, children before parents, in one round trip (one transaction).
#: DELETE rather than TRUNCATE: a test leaves a few rows, and TRUNCATE's new files, locks
#: and fsyncs for every table cost about 15 times as much as deleting them.
_EMPTY_PG = "; ".join(
    f'DELETE FROM "{t.name}"'  # noqa: S608 (table names of our own schema)
    for t in reversed(METADATA.sorted_tables)
)


async def empty_pg(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(_EMPTY_PG)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
        await empty_pg(url)
        return url
    target: Path = request.getfixturevalue("sqlite_file")
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(issuer_url=ISSUER, database_url=database_url, admin_password="admin-password-1")


@pytest.fixture
async def runtime(
    settings: Settings, clock: FakeClock, signing_keys: list[StoredKey]
) -> AsyncIterator[Runtime]:
    db = await open_database(settings.database)
    for key in signing_keys:
        await SqlKeyStore(db).add(key)
    await db.close()
    rt = await Runtime.start(
        settings, migrate=False, passwords=fast_hasher(), clock=clock, poll=False
    )
    svc = rt.services
    await svc.users.add(
        User(
            user_id=str(uuid.uuid4()),
            username=USERNAME,
            password_hash=svc.passwords.hash(PASSWORD),
            email="alice@example.com",
            email_verified=True,
            name="Alice Example",
            given_name="Alice",
            family_name="Example",
            created_at=int(clock.now()),
        )
    )
    yield rt
    await rt.stop()


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime.settings, runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


@pytest.fixture
def browser(http: httpx.AsyncClient) -> Browser:
    return Browser(http)


async def patch_config(runtime: Runtime, **changes: Any) -> None:
    """Change the stored configuration document and reload it, as another instance would."""
    store = runtime.config_store
    loaded = await store.load()
    assert loaded is not None
    revision, document = loaded
    document = {**document, **changes}
    assert await store.save(document, revision, runtime.services.clock.now())
    await runtime.refresh()


async def administer(runtime: Runtime, client_id: str) -> None:
    """Make a registered client one as an administrator creates it (no registration access
    token): its authorization errors are redirected without an earlier approval."""
    clients = runtime.services.clients
    client = await clients.get(client_id)
    assert client is not None
    assert await clients.replace(dataclasses.replace(client, registration_token_hash=None))


@pytest.fixture
def flow(http: httpx.AsyncClient, browser: Browser, runtime: Runtime) -> Flow:
    return Flow(http, browser, functools.partial(administer, runtime))
