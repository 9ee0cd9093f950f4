"""Recording functions, the families they feed, and storage batches on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Counter
from sqlalchemy import bindparam, insert

from authgate import metrics
from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.metrics.events import CountingEventLog
from authgate.metrics.record import Children
from authgate.storage.connect import open_database
from authgate.storage.engine import Database, Step
from authgate.storage.models import SECURITY_EVENTS
from tests.memory.doubles import RecordingSecurityEvents


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_children_are_bound_once_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    family = Counter("t_children", "test", ("a",), registry=CollectorRegistry())
    children = Children(family)
    assert children("x") is children("x")
    monkeypatch.setattr("authgate.metrics.record.MAX_CHILDREN", 2)
    children("y")
    assert children("z") is children("w")  # past the cap: one "other" child
    children("z").inc()
    (metric,) = family.collect()
    assert {s.labels["a"] for s in metric.samples} == {"x", "y", "other"}


def test_rate_limited_counts_per_endpoint() -> None:
    before = sample("authgate_rate_limited_total", endpoint="/jans-auth/restv1/token")
    metrics.rate_limited("/jans-auth/restv1/token")
    metrics.rate_limited("/jans-auth/restv1/token")
    assert sample("authgate_rate_limited_total", endpoint="/jans-auth/restv1/token") == before + 2


async def test_security_events_are_counted_by_kind_as_they_are_recorded() -> None:
    inner = RecordingSecurityEvents()
    log = CountingEventLog(inner)
    before = (
        sample("authgate_code_replays_total"),
        sample("authgate_refresh_token_reuse_total"),
        sample("authgate_security_events_total", kind="login_failed"),
        sample("authgate_security_events_total", kind="code_replayed"),
    )
    log.record(SecurityEvent(1.0, EventKind.CODE_REPLAYED, "192.0.2.1", "app"))
    log.record(SecurityEvent(2.0, EventKind.REFRESH_TOKEN_REUSED, "192.0.2.1", "app"))
    log.record(SecurityEvent(3.0, EventKind.LOGIN_FAILED, "192.0.2.1"))
    after = (
        sample("authgate_code_replays_total"),
        sample("authgate_refresh_token_reuse_total"),
        sample("authgate_security_events_total", kind="login_failed"),
        sample("authgate_security_events_total", kind="code_replayed"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1]
    kinds = [e.kind for e in await log.list()]
    assert kinds == ["login_failed", "refresh_token_reused", "code_replayed"]
    await log.flush()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    yield database
    await database.close()


INSERT = insert(SECURITY_EVENTS).values(
    at=bindparam("at"), kind=bindparam("kind"), detail=bindparam("detail")
)


async def test_a_storage_batch_is_observed_once_with_its_size(db: Database) -> None:
    backend = db.dialect_name

    def observed() -> tuple[float, float, float]:
        return (
            sample("authgate_storage_batch_transactions_count", backend=backend),
            sample("authgate_storage_batch_transactions_sum", backend=backend),
            sample("authgate_storage_commit_seconds_count", backend=backend),
        )

    before = observed()
    await db.transact([Step(INSERT, {"at": 1.0, "kind": "test", "detail": ""})])
    count, total, commits = (a - b for a, b in zip(observed(), before, strict=True))
    assert count == 1 and total == 1 and commits == 1
    if backend == "sqlite":
        assert sample("authgate_storage_sync_seconds_count") >= 1
