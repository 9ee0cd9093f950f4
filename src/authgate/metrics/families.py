"""Every metric family authgate's server processes record, in the default registry.

Names follow Prometheus conventions: the ``authgate_`` prefix, base units (``_seconds``),
``_total`` on counters (prometheus-client adds it to the names below). Labels take values
from small fixed sets only: route templates, methods, status codes, grant types, error codes,
event kinds, backends; never client ids, users, addresses or raw paths.

Under ``authgate serve --workers N`` each worker records into its own files of the shared
multiprocess directory and the management listener adds them up
(:mod:`authgate.metrics.exposition`); docs/operations.md shows a query per family.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase

#: Request latency buckets (seconds): sub-millisecond reads to argon2 logins and slow stores.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Write transactions per storage batch.
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: Storage commit and fsync latency buckets (seconds).
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

REQUESTS = Counter(
    "authgate_http_requests",
    "HTTP requests answered, by route template (unmatched: no route), method and status.",
    ("route", "method", "status"),
)
REQUEST_SECONDS = Histogram(
    "authgate_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template and method.",
    ("route", "method"),
    buckets=LATENCY_BUCKETS,
)
GRANTS = Counter(
    "authgate_grants",
    "Token endpoint requests by grant type (other: unsupported) and outcome (issued, or "
    "the OAuth error code).",
    ("grant_type", "outcome"),
)
OAUTH_ERRORS = Counter(
    "authgate_oauth_errors",
    "OAuth error responses, JSON or redirected to the client, by error code.",
    ("error",),
)
LOGINS = Counter(
    "authgate_logins",
    "Login form submissions by outcome: succeeded, failed (wrong credentials or throttled, "
    "alike by design), rejected (expired interaction, CSRF check, bad request).",
    ("outcome",),
)
CODE_REPLAYS = Counter(
    "authgate_code_replays",
    "Authorization codes presented again after their redemption (the grant is revoked).",
)
REFRESH_REUSE = Counter(
    "authgate_refresh_token_reuse",
    "Rotated refresh tokens presented again outside the grace period (the grant is revoked).",
)
SECURITY_EVENTS = Counter(
    "authgate_security_events",
    "Security events recorded, by kind (docs/security.md).",
    ("kind",),
)
RATE_LIMITED = Counter(
    "authgate_rate_limited",
    "Requests refused by a rate limit, by endpoint (route template or limit family).",
    ("endpoint",),
)
STORAGE_BATCH = Histogram(
    "authgate_storage_batch_transactions",
    "Write transactions committed together in one batch (group commit), by backend.",
    ("backend",),
    buckets=BATCH_BUCKETS,
)
STORAGE_COMMIT = Histogram(
    "authgate_storage_commit_seconds",
    "Time to run and commit one write batch, by backend (SQLite: under the writer lock, "
    "before the fsync; PostgreSQL: from taking a connection to the commit).",
    ("backend",),
    buckets=COMMIT_BUCKETS,
)
STORAGE_SYNC = Histogram(
    "authgate_storage_sync_seconds",
    "SQLite: time of one fdatasync of the write-ahead log (it may cover several batches).",
    buckets=COMMIT_BUCKETS,
)

#: Every family above.
ALL: tuple[MetricWrapperBase, ...] = (
    REQUESTS,
    REQUEST_SECONDS,
    GRANTS,
    OAUTH_ERRORS,
    LOGINS,
    CODE_REPLAYS,
    REFRESH_REUSE,
    SECURITY_EVENTS,
    RATE_LIMITED,
    STORAGE_BATCH,
    STORAGE_COMMIT,
    STORAGE_SYNC,
)
