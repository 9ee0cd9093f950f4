"""Security events counted as they are recorded: ``authgate_security_events_total{kind}``,
and code replays and refresh token reuse in families of their own."""

from __future__ import annotations

from authgate.core.ports import SecurityEventLog
from authgate.core.types import SecurityEvent
from authgate.metrics.record import security_event


class CountingEventLog:
    """A :class:`~authgate.core.ports.SecurityEventLog` that counts each event by kind and
    hands it to the log it wraps."""

    def __init__(self, inner: SecurityEventLog) -> None:
        self.inner = inner

    def record(self, event: SecurityEvent) -> None:
        security_event(str(event.kind))
        self.inner.record(event)

    async def flush(self) -> None:
        await self.inner.flush()

    async def list(
        self, limit: int = 100, offset: int = 0, kind: str | None = None
    ) -> list[SecurityEvent]:
        return await self.inner.list(limit, offset, kind)
