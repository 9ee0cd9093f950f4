"""Nothing acknowledged is lost, and nothing is half-written, when the server is killed.

A few seconds of load (registrations, logins, code exchanges, refreshes) run against real
server processes: one on a SQLite file, or two instances on one PostgreSQL database. Then
every process is killed with SIGKILL in the middle of it, restarted, and every response the
server had acknowledged is checked against what the restarted server and the database say:

- each registered client exists and answers its RFC 7592 configuration request;
- each code handed out by a login and not yet presented is still redeemable;
- each refresh token chain is intact: every acknowledged token is stored, every one but the
  newest was rotated exactly once, the newest still refreshes, unless a refresh of it was in
  flight at the kill, in which case it was rotated at most once more;
- SQLite's ``PRAGMA integrity_check`` passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from authgate.crypto.handles import handle_hash
from authgate.storage.connect import open_database
from authgate.storage.engine import Database
from authgate.storage.models import TOKENS
from tests.operate.server import ADMIN_PASSWORD, ADMIN_USERNAME, Server, no_rate_limits
from tests.support import (
    Browser,
    authorize_params,
    flow_registration_body,
    new_verifier,
    s256,
    token_form,
)

#: Seconds of load before the kill: bounded, the machine has two cores.
LOAD_SECONDS = 4.0
#: Concurrent simulated users.
USERS = 4
REFRESHES_PER_GRANT = 3
#: A user signs in again (a new browser) every this many rounds.
LOGIN_EVERY = 3
REGISTER = "/jans-auth/restv1/register"
TOKEN = "/jans-auth/restv1/token"

_tokens = TOKENS


@dataclass
class Chain:
    """One grant's refresh tokens as the client received them, oldest first."""

    client_id: str
    refresh_tokens: list[str]
    in_flight: bool = False


@dataclass
class Ledger:
    """Everything the server acknowledged, and what was in flight when it died."""

    clients: list[tuple[str, str]] = field(default_factory=list)  # (client_id, token)
    codes: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)
    codes_in_flight: set[str] = field(default_factory=set)
    chains: list[Chain] = field(default_factory=list)
    logins: int = 0
    exchanges: int = 0
    refreshes: int = 0


async def _user(url: str, ledger: Ledger, stop: asyncio.Event) -> None:
    """One user's loop: register a client, sign in (a fresh browser every
    :data:`LOGIN_EVERY` rounds, single sign-on otherwise), exchange the code, refresh."""
    rounds = 0
    http = httpx.AsyncClient(base_url=url, timeout=30)
    try:
        while not stop.is_set():
            if rounds and rounds % LOGIN_EVERY == 0:
                await http.aclose()
                http = httpx.AsyncClient(base_url=url, timeout=30)
            rounds += 1
            await _round(http, ledger)
    finally:
        await http.aclose()


async def _round(http: httpx.AsyncClient, ledger: Ledger) -> None:
    registered = await http.post(REGISTER, json=flow_registration_body())
    assert registered.status_code == 201, registered.text
    client = registered.json()
    client_id = client["client_id"]
    ledger.clients.append((client_id, client["registration_access_token"]))
    verifier = new_verifier(64)
    params = authorize_params(client_id, s256(verifier), "S256")
    result = await Browser(http).authorize(params, username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    code = result.params["code"]
    ledger.logins += "login" in result.pages
    ledger.codes.append((client_id, code, verifier, params))
    ledger.codes_in_flight.add(code)
    exchanged = await http.post(TOKEN, data=token_form(client_id, code, verifier))
    assert exchanged.status_code == 200, exchanged.text
    ledger.codes_in_flight.discard(code)
    ledger.codes.pop(next(i for i, c in enumerate(ledger.codes) if c[1] == code))
    ledger.exchanges += 1
    chain = Chain(client_id, [exchanged.json()["refresh_token"]])
    ledger.chains.append(chain)
    for _ in range(REFRESHES_PER_GRANT):
        chain.in_flight = True
        form = {
            "grant_type": "refresh_token",
            "refresh_token": chain.refresh_tokens[-1],
            "client_id": client_id,
        }
        refreshed = await http.post(TOKEN, data=form)
        assert refreshed.status_code == 200, refreshed.text
        chain.refresh_tokens.append(refreshed.json()["refresh_token"])
        chain.in_flight = False
        ledger.refreshes += 1


async def _load_then_kill(servers: list[Server]) -> Ledger:
    """Run the users against the servers (alternately), kill every server mid-load."""
    ledger = Ledger()
    stop = asyncio.Event()
    users = [
        asyncio.create_task(_user(servers[i % len(servers)].url, ledger, stop))
        for i in range(USERS)
    ]
    await asyncio.sleep(LOAD_SECONDS)
    for server in servers:
        server.kill()  # SIGKILL: no drain, no shutdown code runs
    stop.set()
    outcomes = await asyncio.gather(*users, return_exceptions=True)
    for outcome in outcomes:  # the kill shows as a transport error; anything else is a bug
        assert outcome is None or isinstance(outcome, httpx.TransportError), repr(outcome)
    return ledger


async def _grant_rows(db: Database, client_id: str) -> list[dict[str, object]]:
    rows = await db.fetch_all(
        select(_tokens).where(_tokens.c.client_id == client_id, _tokens.c.kind == "refresh_token"),
        {},
    )
    return [
        {"hash": r["token_hash"], "used_at": r["used_at"], "grant": r["grant_id"]} for r in rows
    ]


async def _check(ledger: Ledger, urls: list[str], database_url: str) -> dict[str, int]:
    """Every acknowledged fact holds after the restart (asked of each restarted instance in
    turn); counts of what was checked."""
    checked = {"registrations": 0, "codes": 0, "chains": 0, "refresh_tokens": 0}
    db = await open_database(database_url)
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in urls]
    turn = itertools.cycle(clients)
    try:
        for client_id, token in ledger.clients:
            read = await next(turn).get(
                REGISTER,
                params={"client_id": client_id},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert read.status_code == 200, (client_id, read.text)
            checked["registrations"] += 1
        for client_id, code, verifier, _params in ledger.codes:
            redeemed = await next(turn).post(TOKEN, data=token_form(client_id, code, verifier))
            if code in ledger.codes_in_flight:  # presented when the server died
                assert redeemed.status_code in (200, 400), redeemed.text
            else:
                assert redeemed.status_code == 200, redeemed.text
            checked["codes"] += 1
        for chain in ledger.chains:
            await _check_chain(chain, db, next(turn))
            checked["chains"] += 1
            checked["refresh_tokens"] += len(chain.refresh_tokens)
    finally:
        for http in clients:
            await http.aclose()
        await db.close()
    return checked


async def _check_chain(chain: Chain, db: Database, http: httpx.AsyncClient) -> None:
    rows = {r["hash"]: r for r in await _grant_rows(db, chain.client_id)}
    acknowledged = [handle_hash(t) for t in chain.refresh_tokens]
    assert all(h in rows for h in acknowledged), "an acknowledged refresh token was lost"
    assert len({rows[h]["grant"] for h in acknowledged}) == 1
    for older in acknowledged[:-1]:  # their rotation was acknowledged
        assert rows[older]["used_at"] is not None
    used = [r for r in rows.values() if r["used_at"] is not None]
    assert len(used) == len(rows) - 1, "the chain forked or lost a link"
    extra = len(rows) - len(acknowledged)
    newest = rows[acknowledged[-1]]
    if chain.in_flight:  # its rotation may have committed, unacknowledged
        assert extra in (0, 1)
        assert (newest["used_at"] is not None) == (extra == 1)
        return
    assert extra == 0 and newest["used_at"] is None
    form = {
        "grant_type": "refresh_token",
        "refresh_token": chain.refresh_tokens[-1],
        "client_id": chain.client_id,
    }
    refreshed = await http.post(TOKEN, data=form)
    assert refreshed.status_code == 200, refreshed.text


@pytest.fixture
def instances(backend: str) -> int:
    return 2 if backend == "postgres" else 1


@pytest.fixture
def servers(database_url: str, tmp_path: Path, instances: int) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for i in range(instances):
            started.append(Server(database_url, tmp_path / f"server-{i}.log").start())
        with httpx.Client(base_url=started[0].url, timeout=10) as http:
            no_rate_limits(http)
        time.sleep(0.2)  # the other instance applies the change notice
        yield started
    finally:
        for server in started:
            server.stop()


async def test_acknowledged_writes_survive_sigkill(
    servers: list[Server], database_url: str, backend: str, tmp_path: Path
) -> None:
    ledger = await _load_then_kill(servers)
    assert ledger.exchanges and ledger.refreshes, "the load did not get going"
    restarted: list[Server] = []
    try:
        for i in range(len(servers)):
            restarted.append(Server(database_url, tmp_path / f"restarted-{i}.log").start())
        checked = await _check(ledger, [s.url for s in restarted], database_url)
    finally:
        for server in restarted:
            server.stop()
    print(  # the counts for the report
        f"{backend} x{len(servers)}: acknowledged {len(ledger.clients)} registrations, "
        f"{ledger.logins} logins, {ledger.exchanges} exchanges, {ledger.refreshes} refreshes; "
        f"checked after restart {checked}"
    )
    if backend == "sqlite":
        path = make_url(database_url).database
        assert path is not None
        with contextlib.closing(sqlite3.connect(path)) as con:
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
