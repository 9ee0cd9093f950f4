"""Deleting expired rows in small batches, so tables and indexes stay proportional to live data.

Consumed authorization codes are kept for ``replay_window`` seconds after they expire, so a late
replay is still recognised and the tokens minted from the code are revoked (RFC 6749 §4.1.2).
Refresh tokens are kept until their *grant* expires, even when an idle limit ended them
earlier, so a rotated token presented late still counts as reuse. The sealed successors of
rotated refresh tokens are wiped once no grace window can still need them. Expired clients
are deleted (their attributes and consents go with them through foreign keys; their tokens
can no longer authenticate or introspect and expire on their own), as are the jti records of
expired client assertions and the session participation of sessions that are gone, and
expired initial access tokens (used up or revoked ones stay listed until they expire). Security
events are kept for ``EVENT_RETENTION``. Rate limit counters go once their window has ended
(one statement: there is a row per active source and window, not per request). Brute-force
protection's failure counters go once their failures are older than ``attemptExpiration``
(each row carries its own expiry). A TOTP enrolment never confirmed goes after
``PENDING_FACTOR_LIFETIME`` (its sealed seed with it). Pending upstream sign-ins go once
expired.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Delete, Table, bindparam, delete, exists, func, select, update
from sqlalchemy.sql import ClauseElement

from authgate.storage.engine import Database, Step
from authgate.storage.models import (
    AUTH_FAILURES,
    AUTHORIZATION_CODES,
    CLIENT_ASSERTIONS,
    CLIENTS,
    DEVICE_AUTHORIZATIONS,
    DPOP_JTIS,
    EMAIL_LINKS,
    FEDERATION_PENDING,
    INITIAL_ACCESS_TOKENS,
    INTERACTIONS,
    PAR_REQUESTS,
    RATE_COUNTERS,
    SECOND_FACTORS,
    SECURITY_EVENTS,
    SESSION_CLIENTS,
    SESSIONS,
    TOKENS,
)

BATCH = 1000
#: How long security events are kept, in seconds (90 days).
EVENT_RETENTION = 90 * 86400.0
#: The longest refresh token reuse grace window the configuration allows, in seconds.
MAX_GRACE = 300.0
#: How long an unconfirmed second-factor enrolment is kept, in seconds (one day).
PENDING_FACTOR_LIFETIME = 86400.0

_tokens = TOKENS
_sessions = SESSIONS
_participants = SESSION_CLIENTS


def _purge(table: Table, key: str) -> Delete:
    expired = select(table.c[key]).where(table.c.expires_at < bindparam("before")).limit(BATCH)
    return delete(table).where(table.c[key].in_(expired.scalar_subquery()))


_TOKENS_GONE = (
    select(_tokens.c.token_hash)
    .where(func.coalesce(_tokens.c.grant_expires_at, _tokens.c.expires_at) < bindparam("before"))
    .limit(BATCH)
)
PURGE_TOKENS = delete(_tokens).where(_tokens.c.token_hash.in_(_TOKENS_GONE.scalar_subquery()))
WIPE_SUCCESSORS = (
    update(_tokens)
    .where(_tokens.c.successor.is_not(None), _tokens.c.used_at < bindparam("before"))
    .values(successor=None)
)
_ORPHANS = (
    select(_participants.c.sid)
    .where(~exists().where(_sessions.c.sid == _participants.c.sid))
    .limit(BATCH)
)
_events = SECURITY_EVENTS
_OLD_EVENTS = select(_events.c.event_id).where(_events.c.at < bindparam("before")).limit(BATCH)
PURGE_EVENTS = delete(_events).where(_events.c.event_id.in_(_OLD_EVENTS.scalar_subquery()))
_counters = RATE_COUNTERS
PURGE_RATE_COUNTERS = delete(_counters).where(_counters.c.expires_at < bindparam("before"))
_failures = AUTH_FAILURES
PURGE_FAILURES = delete(_failures).where(_failures.c.expires_at < bindparam("before"))
_factors = SECOND_FACTORS
PURGE_PENDING_FACTORS = delete(_factors).where(
    _factors.c.confirmed_at.is_(None), _factors.c.created_at < bindparam("before")
)
PURGE_PARTICIPANTS = delete(_participants).where(
    _participants.c.sid.in_(_ORPHANS.scalar_subquery())
)


@dataclass(frozen=True, slots=True)
class Purge:
    """One cleanup statement; rows go once they expired ``margin`` seconds ago (``None``:
    the replay window)."""

    name: str
    statement: ClauseElement
    margin: float | None = 0.0
    batched: bool = True


PURGES = (
    Purge("authorization_codes", _purge(AUTHORIZATION_CODES, "code_hash"), None),
    Purge("tokens", PURGE_TOKENS),
    Purge("refresh_successors", WIPE_SUCCESSORS, MAX_GRACE, batched=False),
    Purge("interactions", _purge(INTERACTIONS, "interaction_id")),
    Purge("sessions", _purge(SESSIONS, "session_hash")),
    Purge("session_clients", PURGE_PARTICIPANTS),
    Purge("client_assertions", _purge(CLIENT_ASSERTIONS, "assertion_hash")),
    Purge("clients", _purge(CLIENTS, "client_id")),
    Purge("par_requests", _purge(PAR_REQUESTS, "request_hash")),
    Purge("device_authorizations", _purge(DEVICE_AUTHORIZATIONS, "device_code_hash")),
    Purge("dpop_jtis", _purge(DPOP_JTIS, "jti_hash")),
    Purge("initial_access_tokens", _purge(INITIAL_ACCESS_TOKENS, "token_id")),
    # kept a day past expiry: the per-address mail limit counts them (docs/self-service.md)
    Purge("email_links", _purge(EMAIL_LINKS, "link_hash"), 86400.0),
    Purge("security_events", PURGE_EVENTS, EVENT_RETENTION),
    Purge("rate_counters", PURGE_RATE_COUNTERS, batched=False),
    Purge("auth_failures", PURGE_FAILURES, batched=False),
    Purge("pending_factors", PURGE_PENDING_FACTORS, PENDING_FACTOR_LIFETIME, batched=False),
    Purge("federation_pending", _purge(FEDERATION_PENDING, "key")),
)


async def purge_expired(db: Database, now: float, replay_window: float = 3600.0) -> dict[str, int]:
    """Delete expired rows (see the module docstring); returns counts per table."""
    counts: dict[str, int] = {}
    for purge in PURGES:
        before = now - (replay_window if purge.margin is None else purge.margin)
        total = 0
        while True:
            outcome = await db.transact([Step(purge.statement, {"before": before})])
            total += outcome.rowcounts[0]
            if not purge.batched or outcome.rowcounts[0] < BATCH:
                break
        counts[purge.name] = total
    return counts
