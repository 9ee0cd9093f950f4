"""Failure counters of brute-force protection (implements ``core.ports.FailureStore``), and
their administration (listing and clearing, with an audit entry).

One row per :class:`~authgate.core.types.FailureKey` in ``auth_failures``; counting a failure
is one UPSERT per key, all in one transaction, so every instance sees every failure. Rows are
written only when a guess fails, or deleted when a success follows failures.

Screening (the hot path of client authentication): a store object remembers which keys it
knows to have live failures, those it counted itself and those :meth:`SqlFailureStore.sync`
read from the database (the runtime calls it every :data:`SYNC_INTERVAL` seconds). A
:meth:`~SqlFailureStore.read` that is not ``fresh`` and names no such key answers "no
failures" without a query, so a client that authenticates correctly costs no database access
at all. What that allows another instance (docs/security.md): at most one check per key and
instance before the instance learns of the key, either from its own failed check (the UPSERT
returns the counts) or from the next sync. Beyond :data:`SUSPECTS_LIMIT` known keys (an attack
from very many sources) the store stops screening and reads every time, until the live keys
fall below half of it again.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from authgate.admin_records import AuditEntry, FailureView
from authgate.core.types import FailureCount, FailureKey
from authgate.storage.audit import record_step
from authgate.storage.engine import Database, Row, Step
from authgate.storage.models import AUTH_FAILURES, USERS

_failures = AUTH_FAILURES
_users = USERS
_c = _failures.c

#: Seconds between two reads of the keys other instances counted failures on.
SYNC_INTERVAL = 1.0
#: Seconds of clock difference between instances a sync tolerates (it re-reads that much).
SYNC_OVERLAP = 5.0
#: Rows one sync reads at most; more means the store reads on every screen for a while.
SYNC_BATCH = 10_000
#: Keys with known failures a store screens with; beyond, it reads on every screen.
SUSPECTS_LIMIT = 100_000


def _live(since: BindParameter[float]) -> ColumnElement[bool]:
    """A counter is live while its last failure (a whole source's: its first) is recent."""
    return and_(_c.last_at > since, or_(_c.subject != "", _c.first_at > since))


def _stale(since: BindParameter[float]) -> ColumnElement[bool]:
    return or_(_c.last_at <= since, and_(_c.subject == "", _c.first_at <= since))


@functools.cache
def read_statement(count: int) -> ClauseElement:
    """The live counters of ``count`` keys (parameters ``family0``, ``subject0``, ...)."""
    wanted = or_(
        *(
            and_(
                _c.family == bindparam(f"family{i}"),
                _c.subject == bindparam(f"subject{i}"),
                _c.source == bindparam(f"source{i}"),
            )
            for i in range(count)
        )
    )
    return select(_failures).where(wanted, _live(bindparam("since")))


def _upsert(insert: Any) -> ClauseElement:
    since: BindParameter[float] = bindparam("since")
    statement = insert(_failures).values(
        family=bindparam("family"),
        subject=bindparam("subject"),
        source=bindparam("source"),
        failures=1,
        first_at=bindparam("now"),
        last_at=bindparam("now"),
        expires_at=bindparam("keep_until"),
        user_id=bindparam("user_id"),
    )
    upsert: ClauseElement = statement.on_conflict_do_update(
        index_elements=[_c.family, _c.subject, _c.source],
        set_={
            "failures": case((_stale(since), 1), else_=_c.failures + 1),
            "first_at": case((_stale(since), statement.excluded.first_at), else_=_c.first_at),
            "last_at": statement.excluded.last_at,
            "expires_at": statement.excluded.expires_at,
            "user_id": func.coalesce(statement.excluded.user_id, _c.user_id),
        },
    )
    return upsert


UPSERT = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
DELETE_KEY = delete(_failures).where(
    _c.family == bindparam("family"),
    _c.subject == bindparam("subject"),
    _c.source == bindparam("source"),
)
CHANGED = (
    select(_c.family, _c.subject, _c.source, _c.last_at)
    .where(_c.last_at > bindparam("after"))
    .order_by(_c.last_at)
    .limit(bindparam("limit"))
)


def _params(keys: Sequence[FailureKey]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, key in enumerate(keys):
        params |= {f"family{i}": key.family, f"subject{i}": key.subject, f"source{i}": key.source}
    return params


def _key(row: Row) -> FailureKey:
    return FailureKey(row["family"], row["subject"], row["source"])


def _count(row: Row) -> FailureCount:
    return FailureCount(
        key=_key(row),
        failures=int(row["failures"]),
        first_at=float(row["first_at"]),
        last_at=float(row["last_at"]),
        user_id=row["user_id"],
    )


class SqlFailureStore:
    """``FailureStore`` over the ``auth_failures`` table, screening reads (module docstring).

    Args:
        screen: False reads the database on every call (the port contract tests).
        suspects_limit: Known keys beyond which screening stops.
    """

    def __init__(
        self, db: Database, *, screen: bool = True, suspects_limit: int = SUSPECTS_LIMIT
    ) -> None:
        self._db = db
        self._screen = screen
        self._limit = suspects_limit
        #: key -> its last failure known here
        self._suspects: dict[FailureKey, float] = {}
        self._overflow = False
        self._synced_after: float | None = None

    @property
    def screening(self) -> bool:
        """Whether reads for keys without known failures are skipped now."""
        return self._screen and not self._overflow

    def _suspect(self, key: FailureKey, last_at: float) -> None:
        if key in self._suspects:
            self._suspects[key] = max(self._suspects[key], last_at)
        elif len(self._suspects) < self._limit:
            self._suspects[key] = last_at
        else:
            self._overflow = True

    async def read(
        self, keys: Sequence[FailureKey], since: float, *, fresh: bool = False
    ) -> list[FailureCount]:
        if not keys:
            return []
        if not fresh and self.screening:
            known = self._suspects
            if not any(known.get(key, since) > since for key in keys):
                return []
        rows = await self._db.fetch_all(read_statement(len(keys)), _params(keys) | {"since": since})
        return [_count(row) for row in rows]

    async def add(
        self,
        keys: Sequence[FailureKey],
        now: float,
        since: float,
        *,
        keep_until: float,
        user_id: str | None = None,
    ) -> list[FailureCount]:
        if not keys:
            return []
        upsert = UPSERT[self._db.dialect_name]
        common = {"now": now, "since": since, "keep_until": keep_until}
        # one order for every transaction, so concurrent ones never wait on each other's rows
        # in a cycle (PostgreSQL would abort one as a deadlock)
        ordered = sorted(set(keys), key=lambda k: (k.family, k.subject, k.source))
        params = [
            {
                "family": k.family,
                "subject": k.subject,
                "source": k.source,
                **common,
                "user_id": user_id if k.subject else None,
            }
            for k in ordered
        ]
        await self._db.transact([Step(upsert, params)])
        counts = await self.read(keys, since, fresh=True)
        for count in counts:
            self._suspect(count.key, count.last_at)
        return counts

    async def clear(self, keys: Sequence[FailureKey]) -> None:
        params = [{"family": k.family, "subject": k.subject, "source": k.source} for k in keys]
        if params:
            await self._db.transact([Step(DELETE_KEY, params)])
        for key in keys:
            self._suspects.pop(key, None)

    async def sync(self, now: float, window: float) -> int:
        """Learn the keys other instances counted failures on since the last sync, and forget
        those whose failures are older than ``window``; returns how many rows were read."""
        since = now - window
        self._suspects = {k: at for k, at in self._suspects.items() if at > since}
        if self._overflow and len(self._suspects) < self._limit // 2:
            self._overflow = False
            self._synced_after = None  # keys went unrecorded meanwhile: read them all again
        after = since if self._synced_after is None else max(since, self._synced_after)
        rows = await self._db.fetch_all(CHANGED, {"after": after, "limit": SYNC_BATCH})
        for row in rows:
            self._suspect(_key(row), float(row["last_at"]))
        if len(rows) >= SYNC_BATCH:  # more to read: carry on from the newest row next time
            self._overflow = True
            self._synced_after = max(float(row["last_at"]) for row in rows)
        else:  # failures counted later by an instance whose clock is behind are re-read
            self._synced_after = now - SYNC_OVERLAP
        return len(rows)


# --- administration -------------------------------------------------------------------------

_LISTED = select(_failures, _users.c.username).join(
    _users, _users.c.user_id == _c.user_id, isouter=True
)


@functools.cache
def list_statement(by_family: bool, excluding: bool) -> ClauseElement:
    statement = _LISTED.where(_live(bindparam("since")))
    if by_family:
        statement = statement.where(_c.family == bindparam("family"))
    if excluding:
        statement = statement.where(_c.family != bindparam("exclude"))
    return (
        statement.order_by(_c.last_at.desc(), _c.family, _c.subject, _c.source)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.cache
def delete_statement(by: tuple[str, ...]) -> ClauseElement:
    """Delete the counters whose columns ``by`` equal the parameters of the same names."""
    return delete(_failures).where(*(_c[name] == bindparam(name) for name in by))


def _view(row: Row) -> FailureView:
    return FailureView(count=_count(row), username=row["username"])


class SqlFailureAdmin:
    """Listing and clearing failure counters (``admin.ports.AdminFailures``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(
        self,
        since: float,
        *,
        family: str | None = None,
        exclude: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FailureView]:
        params: dict[str, Any] = {"since": since, "limit": limit, "offset": offset}
        if family is not None:
            params["family"] = family
        if exclude is not None:
            params["exclude"] = exclude
        statement = list_statement(family is not None, exclude is not None)
        rows = await self._db.fetch_all(statement, params)
        return [_view(row) for row in rows]

    async def clear(self, matches: Sequence[Mapping[str, str]], audit: AuditEntry) -> int:
        """Delete the counters whose ``family``/``subject``/``source`` equal those of one of
        ``matches`` (each naming at least one), recording ``audit`` in the same transaction;
        returns how many."""
        steps = []
        for match in matches:
            by = tuple(name for name in ("family", "subject", "source") if name in match)
            if not by:
                raise ValueError("a match needs at least one of family, subject, source")
            steps.append(Step(delete_statement(by), {n: match[n] for n in by}))
        outcome = await self._db.transact([*steps, record_step(audit)])
        return sum(outcome.rowcounts[: len(steps)])
