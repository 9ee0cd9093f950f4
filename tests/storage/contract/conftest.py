"""The ``ports`` fixture: every storage port of :mod:`authgate.core.ports`, from one backend.

Parametrized by ``backend`` (``memory``, ``sqlite``, ``postgres``), so that each contract test
runs against the in-memory stores of :mod:`tests.memory.stores` and the ``Sql*`` stores on
both databases; the root conftest marks the ``postgres`` variant. Each test gets fresh
storage: a new set of memory tables, a copy of the migrated SQLite template file, or the
session's PostgreSQL database with every table truncated (as ``database_url`` does).

The SQL client and scope stores are built with ``ttl=0``, and the failure store without
screening, so every read goes to the database: the contract is about what is stored, not
about a cache.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from authgate.admin.ports import AdminFederation
from authgate.core.ports import (
    AccountStore,
    AssertionStore,
    ClientStore,
    ConsentStore,
    DeviceAuthorizationStore,
    EmailLinkStore,
    FactorStore,
    FailureStore,
    FederationStore,
    GrantStore,
    InitialAccessTokenStore,
    InteractionStore,
    ParStore,
    PasskeyStore,
    RateCounterStore,
    ReplayCache,
    ScopeStore,
    SessionStore,
    UserStore,
)
from authgate.storage.accounts import SqlAccountStore
from authgate.storage.assertions import SqlAssertionStore
from authgate.storage.clients import SqlClientStore
from authgate.storage.connect import open_database
from authgate.storage.devices import SqlDeviceAuthorizationStore
from authgate.storage.email_links import SqlEmailLinkStore
from authgate.storage.engine import Database
from authgate.storage.factors import SqlFactorStore
from authgate.storage.failures import SqlFailureStore
from authgate.storage.federation import SqlFederationStore
from authgate.storage.grants import SqlGrantStore
from authgate.storage.initial_tokens import SqlInitialAccessTokenStore
from authgate.storage.par import SqlParStore
from authgate.storage.passkeys import SqlPasskeyStore
from authgate.storage.rate_counters import SqlRateCounterStore
from authgate.storage.replay import SqlReplayCache
from authgate.storage.sessions import SqlConsentStore, SqlInteractionStore, SqlSessionStore
from authgate.storage.users import SqlScopeStore, SqlUserStore
from tests.conftest import empty_pg
from tests.memory.stores import (
    MemoryAccountStore,
    MemoryAssertionStore,
    MemoryClientStore,
    MemoryConsentStore,
    MemoryDeviceAuthorizationStore,
    MemoryEmailLinkStore,
    MemoryFactorStore,
    MemoryFailureStore,
    MemoryFederationStore,
    MemoryGrantStore,
    MemoryInitialAccessTokenStore,
    MemoryInteractionStore,
    MemoryParStore,
    MemoryPasskeyStore,
    MemoryRateCounterStore,
    MemoryReplayCache,
    MemoryScopeStore,
    MemorySessionStore,
    MemoryUserStore,
    Tables,
)

BACKENDS = ["memory", "sqlite", "postgres"]


class FederationPorts(FederationStore, AdminFederation, Protocol):
    """The federation store's core port and its administrative writes."""


@dataclass(frozen=True, slots=True)
class Ports:
    """The stores of one backend over one storage, typed by the ports they implement."""

    backend: str
    clients: ClientStore
    users: UserStore
    scopes: ScopeStore
    sessions: SessionStore
    interactions: InteractionStore
    consents: ConsentStore
    grants: GrantStore
    pushed: ParStore
    replay: ReplayCache
    assertions: AssertionStore
    rate_counters: RateCounterStore
    initial_tokens: InitialAccessTokenStore
    failures: FailureStore
    federation: FederationPorts
    account: AccountStore
    devices: DeviceAuthorizationStore
    links: EmailLinkStore
    factors: FactorStore
    passkeys: PasskeyStore
    #: New store objects over the same storage: what another server instance would see.
    peer: Callable[[], Ports]


def memory_ports(tables: Tables) -> Ports:
    return Ports(
        backend="memory",
        clients=MemoryClientStore(tables),
        users=MemoryUserStore(tables),
        scopes=MemoryScopeStore(tables),
        sessions=MemorySessionStore(tables),
        interactions=MemoryInteractionStore(tables),
        consents=MemoryConsentStore(tables),
        grants=MemoryGrantStore(tables),
        pushed=MemoryParStore(tables),
        replay=MemoryReplayCache(tables),
        assertions=MemoryAssertionStore(tables),
        rate_counters=MemoryRateCounterStore(tables),
        initial_tokens=MemoryInitialAccessTokenStore(tables),
        failures=MemoryFailureStore(tables),
        federation=MemoryFederationStore(tables),
        account=MemoryAccountStore(tables),
        devices=MemoryDeviceAuthorizationStore(tables),
        links=MemoryEmailLinkStore(tables),
        factors=MemoryFactorStore(tables),
        passkeys=MemoryPasskeyStore(tables),
        peer=lambda: memory_ports(tables),
    )


def sql_ports(backend: str, db: Database) -> Ports:
    return Ports(
        backend=backend,
        clients=SqlClientStore(db, ttl=0),
        users=SqlUserStore(db),
        scopes=SqlScopeStore(db, ttl=0),
        sessions=SqlSessionStore(db),
        interactions=SqlInteractionStore(db),
        consents=SqlConsentStore(db),
        grants=SqlGrantStore(db),
        pushed=SqlParStore(db),
        replay=SqlReplayCache(db),
        assertions=SqlAssertionStore(db),
        rate_counters=SqlRateCounterStore(db),
        initial_tokens=SqlInitialAccessTokenStore(db),
        failures=SqlFailureStore(db, screen=False),
        federation=SqlFederationStore(db),
        account=SqlAccountStore(db),
        devices=SqlDeviceAuthorizationStore(db),
        links=SqlEmailLinkStore(db),
        factors=SqlFactorStore(db),
        passkeys=SqlPasskeyStore(db),
        peer=lambda: sql_ports(backend, db),
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Overrides the root ``backend`` (SQLite, PostgreSQL) to add the memory stores."""
    return str(request.param)


@pytest.fixture
async def ports(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Ports]:
    if backend == "memory":
        yield memory_ports(Tables())
        return
    if backend == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
        await empty_pg(url)
    else:
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "authgate.db"
        shutil.copy(template, target)
        url = f"sqlite+aiosqlite:///{target}"
    db = await open_database(url)
    try:
        yield sql_ports(backend, db)
    finally:
        await db.close()
