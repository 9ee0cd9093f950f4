"""Administrative writes to configuration, clients, scopes and users, each with its audit entry.

Each method is one transaction: the change and its :class:`~authgate.admin_records.AuditEntry`
are committed together, so the audit log never misses a change and never records one that
did not happen. Reads that only the Config API needs (search, paging) live here too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from sqlalchemy import ColumnElement, bindparam, delete, func, or_, select, update

from authgate.admin_records import AuditEntry
from authgate.core.types import Client, Scope, User
from authgate.errors import AlreadyExists
from authgate.storage import clients as client_sql
from authgate.storage import configuration
from authgate.storage import users as user_sql
from authgate.storage.audit import record_step
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.models import CLIENTS, SCOPES, SESSIONS, TOKENS, USERS

_clients = CLIENTS
_scopes = SCOPES
_users = USERS
_tokens = TOKENS
_sessions = SESSIONS
_USER_FIELDS = [f.name for f in dataclasses.fields(User)]


def _like(column: Any) -> ColumnElement[bool]:
    return func.lower(column).like(bindparam("pattern"), escape="/")


def _page(query: Any) -> Any:
    return query.limit(bindparam("limit")).offset(bindparam("offset"))


SEARCH_CLIENTS = _page(
    select(_clients)
    .where(or_(_like(_clients.c.client_name), _like(_clients.c.client_id)))
    .order_by(_clients.c.client_name, _clients.c.client_id)
)
REVOKE_CLIENT_TOKENS = (
    update(_tokens)
    .where(_tokens.c.client_id == bindparam("client_id"), _tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
GET_SCOPE = select(_scopes).where(_scopes.c.scope_id == bindparam("scope_id"))
UPDATE_SCOPE = (
    update(_scopes)
    .where(_scopes.c.scope_id == bindparam("scope_id"))
    .values(
        description=bindparam("description"),
        claims=bindparam("claims"),
        registrable=bindparam("registrable"),
    )
)
DELETE_SCOPE = delete(_scopes).where(_scopes.c.scope_id == bindparam("scope_id"))
SEARCH_USERS = _page(
    select(_users)
    .where(
        or_(
            _like(_users.c.username),
            _like(_users.c.user_id),
            _like(func.coalesce(_users.c.email, "")),
            _like(func.coalesce(_users.c.name, "")),
        )
    )
    .order_by(_users.c.username)
)
UPDATE_USER = (
    update(_users)
    .where(_users.c.user_id == bindparam("key"))
    .values({c: bindparam(c) for c in _USER_FIELDS if c != "user_id"})
)
REVOKE_USER_TOKENS = (
    update(_tokens)
    .where(_tokens.c.user_id == bindparam("user_id"), _tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
END_USER_SESSIONS = delete(_sessions).where(_sessions.c.user_id == bindparam("user_id"))


def like_pattern(text: str) -> str:
    """A case-insensitive "contains" LIKE pattern with ``%``, ``_`` and ``/`` escaped."""
    escaped = text.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _scope(row: Row) -> Scope:
    claims = row["claims"]
    loaded = orjson.loads(claims) if isinstance(claims, str | bytes) else claims
    return Scope(row["scope_id"], row["description"], tuple(loaded or ()), bool(row["registrable"]))


def _scope_params(scope: Scope) -> dict[str, Any]:
    return {
        "scope_id": scope.scope_id,
        "description": scope.description,
        "claims": orjson.dumps(list(scope.claims)).decode(),
        "registrable": scope.registrable,
    }


class SqlAdminStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _apply(self, steps: list[Step], audit: AuditEntry) -> bool:
        """Run the steps and the audit entry in one transaction; False if a guarded step
        matched nothing.

        Raises:
            AlreadyExists: a unique constraint failed (nothing written).
        """
        try:
            return (await self._db.transact([*steps, record_step(audit)])).applied
        except IntegrityViolation as exc:
            raise AlreadyExists(str(exc)) from exc

    async def bootstrap(
        self, scopes: list[Scope], client: Client | None, audit: AuditEntry
    ) -> bool:
        """Add scopes and a client in one transaction; False if any of them already exists."""
        steps = [Step(user_sql.INSERT_SCOPE, [_scope_params(s) for s in scopes])] if scopes else []
        if client is not None:
            steps += [Step(client_sql.INSERT, client_sql._row(client))]
            steps += client_sql._attribute_steps(client)
        try:
            return await self._apply(steps, audit)
        except AlreadyExists:
            return False

    # --- configuration ---------------------------------------------------------------------

    async def save_config(
        self, document: dict[str, Any], expected_revision: int, audit: AuditEntry
    ) -> bool:
        """Compare-and-set the configuration document; False if the revision moved on."""
        params = {
            "config_id": configuration.CONFIG_ID,
            "expected": expected_revision,
            "revision": expected_revision + 1,
            "document": orjson.dumps(document).decode(),
            "now": audit.at,
        }
        return await self._apply([Step(configuration.SAVE, params, expect=1)], audit)

    # --- clients ---------------------------------------------------------------------------

    async def search_clients(self, pattern: str | None, limit: int, offset: int) -> list[Client]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if pattern:
            rows = await self._db.fetch_all(
                SEARCH_CLIENTS, params | {"pattern": like_pattern(pattern)}
            )
        else:
            rows = await self._db.fetch_all(client_sql.LIST, params)
        return [client_sql._client(r) for r in rows]

    async def add_client(self, client: Client, audit: AuditEntry) -> None:
        steps = [Step(client_sql.INSERT, client_sql._row(client))]
        await self._apply(steps + client_sql._attribute_steps(client), audit)

    async def replace_client(self, client: Client, audit: AuditEntry) -> bool:
        values = client_sql._row(client) | {"key": client.client_id}
        steps = [Step(client_sql.UPDATE, values, expect=1)]
        return await self._apply(steps + client_sql._attribute_steps(client), audit)

    async def delete_client(self, client_id: str, audit: AuditEntry) -> bool:
        """Delete the client and revoke every token issued to it."""
        key = {"client_id": client_id}
        steps = [
            Step(client_sql.DELETE_ATTRS, key),
            Step(client_sql.DELETE, key, expect=1),
            Step(REVOKE_CLIENT_TOKENS, key | {"now": audit.at}),
        ]
        return await self._apply(steps, audit)

    # --- scopes ----------------------------------------------------------------------------

    async def get_scope(self, scope_id: str) -> Scope | None:
        row = await self._db.fetch_one(GET_SCOPE, {"scope_id": scope_id})
        return _scope(row) if row else None

    async def add_scope(self, scope: Scope, audit: AuditEntry) -> None:
        await self._apply([Step(user_sql.INSERT_SCOPE, _scope_params(scope))], audit)

    async def replace_scope(self, scope: Scope, audit: AuditEntry) -> bool:
        return await self._apply([Step(UPDATE_SCOPE, _scope_params(scope), expect=1)], audit)

    async def delete_scope(self, scope_id: str, audit: AuditEntry) -> bool:
        return await self._apply([Step(DELETE_SCOPE, {"scope_id": scope_id}, expect=1)], audit)

    # --- users -----------------------------------------------------------------------------

    async def search_users(self, pattern: str | None, limit: int, offset: int) -> list[User]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if pattern:
            rows = await self._db.fetch_all(
                SEARCH_USERS, params | {"pattern": like_pattern(pattern)}
            )
        else:
            rows = await self._db.fetch_all(user_sql.LIST_USERS, params)
        return [user_sql._user(r) for r in rows]

    async def add_user(self, user: User, audit: AuditEntry) -> None:
        await self._apply([Step(user_sql.INSERT_USER, dataclasses.asdict(user))], audit)

    async def replace_user(self, user: User, audit: AuditEntry) -> bool:
        """Store every member of ``user``; a disabled user also loses its sessions and tokens."""
        values = dataclasses.asdict(user) | {"key": user.user_id}
        steps = [Step(UPDATE_USER, values, expect=1)]
        if not user.enabled:
            key = {"user_id": user.user_id}
            steps += [
                Step(REVOKE_USER_TOKENS, key | {"now": audit.at}),
                Step(END_USER_SESSIONS, key),
            ]
        return await self._apply(steps, audit)
