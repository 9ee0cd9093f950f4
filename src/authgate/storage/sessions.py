"""Login sessions, pending interactions and remembered consent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, insert, select, update

from authgate.core.types import AuthorizationRequest, Interaction, LoginSession, SessionState
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.models import CONSENTS, INTERACTIONS, SESSIONS, USERS

_sessions = SESSIONS
_interactions = INTERACTIONS
_consents = CONSENTS
_users = USERS
#: The longest User-Agent kept (the column's width).
USER_AGENT_MAX = 512


def _params_for(table: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.name: bindparam(c.name) for c in table.columns if c.name not in exclude}


INSERT_SESSION = insert(_sessions).values(_params_for(_sessions))
GET_SESSION = select(_sessions).where(
    _sessions.c.session_hash == bindparam("session_hash"), _sessions.c.ended_at.is_(None)
)
# The authorize endpoint's one read: the session, whether its user may still sign in, and
# what that user approved for the requesting client (three primary-key lookups, one query).
GET_SESSION_STATE = (
    select(
        _sessions,
        _users.c.enabled.label("user_enabled"),
        _consents.c.scope.label("consented"),
    )
    .select_from(
        _sessions.outerjoin(_users, _users.c.user_id == _sessions.c.user_id).outerjoin(
            _consents,
            (_consents.c.user_id == _sessions.c.user_id)
            & (_consents.c.client_id == bindparam("client_id")),
        )
    )
    .where(_sessions.c.session_hash == bindparam("session_hash"), _sessions.c.ended_at.is_(None))
)
GET_SESSION_BY_SID = select(_sessions).where(
    _sessions.c.sid == bindparam("sid"), _sessions.c.ended_at.is_(None)
)
# Step-up: the session keeps its sid (the clients that joined it still hear of its logout)
# under a new cookie, with what was added to its authentication.
ELEVATE_SESSION = (
    update(_sessions)
    .where(
        _sessions.c.session_hash == bindparam("old_hash"),
        _sessions.c.sid == bindparam("sid"),
        _sessions.c.ended_at.is_(None),
    )
    .values(
        session_hash=bindparam("new_hash"),
        acr=bindparam("acr"),
        amr=bindparam("amr"),
        auth_time=bindparam("auth_time"),
    )
)
DELETE_SESSION = delete(_sessions).where(_sessions.c.session_hash == bindparam("session_hash"))

INSERT_INTERACTION = insert(_interactions).values(_params_for(_interactions))
GET_INTERACTION = select(_interactions).where(
    _interactions.c.interaction_id == bindparam("interaction_id")
)
UPDATE_INTERACTION = (
    update(_interactions)
    .where(_interactions.c.interaction_id == bindparam("key"))
    .values(_params_for(_interactions, exclude=("interaction_id",)))
)
DELETE_INTERACTION = delete(_interactions).where(
    _interactions.c.interaction_id == bindparam("interaction_id")
)

_consent_key = (
    _consents.c.user_id == bindparam("user_id"),
    _consents.c.client_id == bindparam("client_id"),
)
GET_CONSENT = select(_consents.c.scope).where(*_consent_key)
INSERT_CONSENT = insert(_consents).values(_params_for(_consents))
UPDATE_CONSENT = (
    update(_consents)
    .where(*_consent_key, _consents.c.scope == bindparam("expected"))
    .values(scope=bindparam("scope"), granted_at=bindparam("granted_at"))
)


class SqlSessionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, session: LoginSession) -> None:
        params = {
            "session_hash": session.session_hash,
            "sid": session.sid,
            "user_id": session.user_id,
            "auth_time": session.auth_time,
            "expires_at": session.expires_at,
            "acr": session.acr,
            "amr": orjson.dumps(list(session.amr)).decode(),
            "ended_at": None,
            "user_agent": session.user_agent[:USER_AGENT_MAX] or None,
            "last_used_at": session.last_used_at,
        }
        await self._db.transact([Step(INSERT_SESSION, params)])

    async def get(self, session_hash: str) -> LoginSession | None:
        row = await self._db.fetch_one(GET_SESSION, {"session_hash": session_hash})
        return None if row is None else session_of(row)

    async def state(self, session_hash: str, client_id: str) -> SessionState | None:
        params = {"session_hash": session_hash, "client_id": client_id}
        row = await self._db.fetch_one(GET_SESSION_STATE, params)
        if row is None:
            return None
        consented = row["consented"]
        return SessionState(
            session=session_of(row),
            client_id=client_id,
            user_enabled=bool(row["user_enabled"]),
            consented=frozenset(consented.split()) if consented else frozenset(),
        )

    async def end(self, session_hash: str) -> None:
        await self._db.transact([Step(DELETE_SESSION, {"session_hash": session_hash})])

    async def by_sid(self, sid: str) -> LoginSession | None:
        row = await self._db.fetch_one(GET_SESSION_BY_SID, {"sid": sid})
        return None if row is None else session_of(row)

    async def elevate(self, session_hash: str, stronger: LoginSession) -> bool:
        params = {
            "old_hash": session_hash,
            "sid": stronger.sid,
            "new_hash": stronger.session_hash,
            "acr": stronger.acr,
            "amr": orjson.dumps(list(stronger.amr)).decode(),
            "auth_time": stronger.auth_time,
        }
        return (await self._db.transact([Step(ELEVATE_SESSION, params, expect=1)])).applied


def session_of(row: Row) -> LoginSession:
    """A ``sessions`` row as a :class:`LoginSession`."""
    amr = row["amr"]
    return LoginSession(
        session_hash=row["session_hash"],
        sid=row["sid"],
        user_id=row["user_id"],
        auth_time=row["auth_time"],
        expires_at=row["expires_at"],
        acr=row["acr"],
        amr=tuple(orjson.loads(amr) if isinstance(amr, str) else amr),
        user_agent=row["user_agent"] or "",
        last_used_at=row["last_used_at"],
    )


def _interaction_params(ix: Interaction) -> dict[str, Any]:
    return {
        "interaction_id": ix.interaction_id,
        "browser_hash": ix.browser_hash,
        "csrf_token": ix.csrf_token,
        "request": orjson.dumps(ix.request.to_json()).decode(),
        "user_id": ix.user_id,
        "session_hash": ix.session_hash,
        "login_done": ix.login_done,
        "created_at": ix.created_at,
        "expires_at": ix.expires_at,
    }


def _interaction(row: Row) -> Interaction:
    request = row["request"]
    return Interaction(
        interaction_id=row["interaction_id"],
        browser_hash=row["browser_hash"],
        csrf_token=row["csrf_token"],
        request=AuthorizationRequest.from_json(
            orjson.loads(request) if isinstance(request, str) else request
        ),
        expires_at=row["expires_at"],
        user_id=row["user_id"],
        session_hash=row["session_hash"],
        login_done=bool(row["login_done"]),
        created_at=row["created_at"],
    )


class SqlInteractionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, interaction: Interaction) -> None:
        await self._db.transact([Step(INSERT_INTERACTION, _interaction_params(interaction))])

    async def get(self, interaction_id: str) -> Interaction | None:
        row = await self._db.fetch_one(GET_INTERACTION, {"interaction_id": interaction_id})
        return _interaction(row) if row else None

    async def replace(self, interaction: Interaction) -> None:
        params = _interaction_params(interaction)
        params["key"] = params.pop("interaction_id")
        await self._db.transact([Step(UPDATE_INTERACTION, params)])

    async def delete(self, interaction_id: str) -> bool:
        step = Step(DELETE_INTERACTION, {"interaction_id": interaction_id}, expect=1)
        return (await self._db.transact([step])).applied


class SqlConsentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def granted(self, user_id: str, client_id: str) -> frozenset[str]:
        row = await self._db.fetch_one(GET_CONSENT, {"user_id": user_id, "client_id": client_id})
        return frozenset(row["scope"].split()) if row else frozenset()

    async def grant(self, user_id: str, client_id: str, scope: Iterable[str], now: float) -> bool:
        """Add ``scope`` to what the user has approved for the client.

        A compare-and-set loop, so concurrent approvals (several tabs) all land. Returns
        False, having written nothing, when the client no longer exists: the insert then
        violates the foreign key and no other approval's row explains it, so retrying
        cannot help.
        """
        wanted = set(scope)
        key = {"user_id": user_id, "client_id": client_id}
        for _attempt in range(10):
            row = await self._db.fetch_one(GET_CONSENT, key)
            existing = row["scope"] if row else None
            merged = " ".join(sorted(wanted | set((existing or "").split())))
            if existing is None:
                try:
                    await self._db.transact(
                        [Step(INSERT_CONSENT, key | {"scope": merged, "granted_at": now})]
                    )
                    return True
                except IntegrityViolation:
                    if await self._db.fetch_one(GET_CONSENT, key) is None:
                        return False  # not a concurrent approval: the client is gone
                    continue
            step = Step(
                UPDATE_CONSENT,
                key | {"expected": existing, "scope": merged, "granted_at": now},
                expect=1,
            )
            if (await self._db.transact([step])).applied:
                return True
        raise RuntimeError("could not record consent under contention")
