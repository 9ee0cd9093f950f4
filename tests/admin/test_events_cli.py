"""``authgate events list``: on the local database (SQLite and PostgreSQL), and against a running
server with ``--url``, where a real rate-limited window shows up."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx

from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.storage.connect import open_database
from authgate.storage.security_events import SqlSecurityEventLog
from tests.admin.test_cli import _cli, _remote, server  # noqa: F401 (the server fixture)
from tests.support import flow_registration_body

#: 2027-01-15T08:00:00Z
NOW = 1_800_000_000.0


def _record(database_url: str, *events: SecurityEvent) -> None:
    async def write() -> None:
        db = await open_database(database_url)
        try:
            log = SqlSecurityEventLog(db)
            for event in events:
                log.record(event)
            await log.flush()
        finally:
            await db.close()

    asyncio.run(write())


def test_events_list_locally(database_url: str) -> None:
    local = ["--database-url", database_url]
    assert _cli("events", "list", *local).stdout == ""  # migrates and starts: no events yet
    _record(
        database_url,
        SecurityEvent(NOW, EventKind.LOGIN_FAILED, "192.0.2.1", None, "u-1", "password"),
        SecurityEvent(NOW + 61, EventKind.RATE_LIMITED, "192.0.2.2", detail="too many tokens"),
        SecurityEvent(NOW + 62, EventKind.CLIENT_REGISTERED, "192.0.2.3", "app-1"),
    )
    rows = _cli("events", "list", *local).stdout.splitlines()
    assert rows == [
        "2027-01-15T08:01:02+00:00\tclient_registered\t192.0.2.3\tapp-1\t-\t-",
        "2027-01-15T08:01:01+00:00\trate_limited\t192.0.2.2\t-\t-\ttoo many tokens",
        "2027-01-15T08:00:00+00:00\tlogin_failed\t192.0.2.1\t-\tu-1\tpassword",
    ]
    assert len(_cli("events", "list", "--limit", "2", *local).stdout.splitlines()) == 2
    as_json = json.loads(_cli("events", "list", "--kind", "login_failed", "--json", *local).stdout)
    assert as_json == [
        {"at": NOW, "kind": "login_failed", "source": "192.0.2.1", "client_id": None,
         "user_id": "u-1", "detail": "password"}
    ]  # fmt: skip
    unknown = _cli("events", "list", "--kind", "nope", *local)
    assert unknown.exit_code == 1
    assert "kind: unknown event kind" in unknown.stderr


def test_events_list_remotely_shows_a_rate_limited_window(server: tuple[str, Path]) -> None:  # noqa: F811
    url, _ = server
    assert _cli("events", "list", *_remote(url)).exit_code == 0
    for name, value in (
        ("rateLimitRegistrationPeriodInSeconds", "86400"),
        ("rateLimitRegistrationRequestCount", "2"),
    ):
        assert _cli("config", "set", name, value, *_remote(url)).exit_code == 0
    try:
        statuses = [
            httpx.post(f"{url}/jans-auth/restv1/register", json=flow_registration_body())
            for _ in range(4)
        ]
        assert [r.status_code for r in statuses] == [201, 201, 429, 429]
        assert int(statuses[-1].headers["retry-after"]) >= 1
        deadline = time.monotonic() + 5  # the server reports it within its sync interval
        while time.monotonic() < deadline:
            result = _cli("events", "list", "--kind", "rate_limited", "--json", *_remote(url))
            found = json.loads(result.stdout)
            if found:
                break
            time.sleep(0.1)
        assert [(e["source"], e["detail"]) for e in found] == [
            ("127.0.0.1", "too many registration requests")
        ]
    finally:
        _cli("config", "set", "rateLimitRegistrationRequestCount", "10", *_remote(url))
