"""Prometheus metrics (prometheus-client).

Record with the functions below; :mod:`authgate.metrics.families` defines what exists,
:mod:`authgate.metrics.exposition` serves it on the management listener, never on the
public port. docs/operations.md describes every family with a sample query.
"""

from __future__ import annotations

from authgate.metrics.record import (
    ISSUED,
    grant,
    login,
    oauth_error,
    rate_limited,
    security_event,
    storage_batch,
    storage_sync,
)

__all__ = [
    "ISSUED",
    "grant",
    "login",
    "oauth_error",
    "rate_limited",
    "security_event",
    "storage_batch",
    "storage_sync",
]
