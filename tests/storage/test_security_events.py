"""Security events are kept in the database and logged, without request input breaking either."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.storage.connect import open_database
from authgate.storage.engine import Database
from authgate.storage.janitor import EVENT_RETENTION, purge_expired
from authgate.storage.security_events import SqlSecurityEventLog

NOW = 1_700_000_000.0


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    yield database
    await database.close()


async def test_recorded_events_are_listed_newest_first(db: Database) -> None:
    log = SqlSecurityEventLog(db)
    log.record(SecurityEvent(NOW, EventKind.LOGIN_FAILED, "192.0.2.1", None, "u-1", "password"))
    log.record(SecurityEvent(NOW + 1, EventKind.CODE_REPLAYED, "192.0.2.2", "app", "u-1"))
    log.record(SecurityEvent(NOW + 2, EventKind.LOGIN_FAILED, "192.0.2.3"))
    events = await log.list()
    assert [(e.at, e.kind, e.source) for e in events] == [
        (NOW + 2, "login_failed", "192.0.2.3"),
        (NOW + 1, "code_replayed", "192.0.2.2"),
        (NOW, "login_failed", "192.0.2.1"),
    ]
    assert events[1] == SecurityEvent(NOW + 1, "code_replayed", "192.0.2.2", "app", "u-1", "")
    failed = await log.list(kind=EventKind.LOGIN_FAILED, limit=1, offset=1)
    assert [e.source for e in failed] == ["192.0.2.1"]
    # another instance's store reads what this one wrote
    assert len(await SqlSecurityEventLog(db).list()) == 3


async def test_request_input_is_cut_to_fit_and_made_printable(db: Database) -> None:
    log = SqlSecurityEventLog(db)
    log.record(SecurityEvent(NOW, EventKind.CLIENT_AUTH_FAILED, client_id="a\x00b\n" + "c" * 300))
    (event,) = await log.list()
    assert event.client_id == "a?b?" + "c" * 60


async def test_each_event_is_one_log_line(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    log = SqlSecurityEventLog(db)
    with caplog.at_level(logging.INFO, logger="authgate.security"):
        log.record(SecurityEvent(NOW, EventKind.RATE_LIMITED, "192.0.2.9", detail="token"))
        await log.flush()
    assert [r.getMessage() for r in caplog.records if r.name == "authgate.security"] == [
        "security event rate_limited source=192.0.2.9 client_id=- user_id=- (token)"
    ]


async def test_the_janitor_drops_events_after_the_retention(db: Database) -> None:
    log = SqlSecurityEventLog(db)
    log.record(SecurityEvent(NOW, EventKind.LOGIN_FAILED))
    log.record(SecurityEvent(NOW + 10, EventKind.LOGIN_FAILED))
    await log.flush()
    counts = await purge_expired(db, NOW + EVENT_RETENTION + 5)
    assert counts["security_events"] == 1
    assert [e.at for e in await log.list()] == [NOW + 10]
