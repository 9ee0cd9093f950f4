"""Administrative writes to configuration, clients, scopes and users, each with its audit entry.

Each method is one transaction: the change and its :class:`~authgate.storage.audit.AuditEntry`
are committed together, so the audit log never misses a change and never records one that
did not happen. Reads that only the Config API needs (search, paging) live here too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.core.types import Client, Scope, User
from authgate.storage.audit import AuditEntry, record
from authgate.storage.clients import client_from_row, client_row, write_attributes
from authgate.storage.models import (
    ClientAttributeRow,
    ClientRow,
    ConfigurationRow,
    ScopeRow,
    SessionRow,
    TokenRow,
    UserRow,
    table_of,
)
from authgate.storage.settings_store import CONFIG_ID

_config = table_of(ConfigurationRow)
_clients = table_of(ClientRow)
_attrs = table_of(ClientAttributeRow)
_scopes = table_of(ScopeRow)
_users = table_of(UserRow)
_tokens = table_of(TokenRow)
_sessions = table_of(SessionRow)


def _contains(column: Any, pattern: str) -> ColumnElement[bool]:
    return func.lower(column).contains(pattern.lower(), autoescape=True)


class SqlAdminStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- configuration ---------------------------------------------------------------------

    async def save_config(
        self, document: dict[str, Any], expected_revision: int, audit: AuditEntry
    ) -> bool:
        """Compare-and-set the configuration document; False if the revision moved on."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_config)
                .where(_config.c.config_id == CONFIG_ID, _config.c.revision == expected_revision)
                .values(document=document, revision=expected_revision + 1, updated_at=audit.at)
            )
            if result.rowcount != 1:
                return False
            await record(conn, audit)
        return True

    # --- clients ---------------------------------------------------------------------------

    async def search_clients(self, pattern: str | None, limit: int, offset: int) -> list[Client]:
        query = select(_clients).order_by(_clients.c.client_name, _clients.c.client_id)
        if pattern:
            query = query.where(
                or_(
                    _contains(_clients.c.client_name, pattern),
                    _contains(_clients.c.client_id, pattern),
                )
            )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [client_from_row(r) for r in rows]

    async def add_client(self, client: Client, audit: AuditEntry) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(_clients).values(**client_row(client)))
            await write_attributes(conn, client)
            await record(conn, audit)

    async def replace_client(self, client: Client, audit: AuditEntry) -> bool:
        values = client_row(client)
        del values["client_id"]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_clients).where(_clients.c.client_id == client.client_id).values(**values)
            )
            if result.rowcount != 1:
                return False
            await write_attributes(conn, client)
            await record(conn, audit)
        return True

    async def delete_client(self, client_id: str, audit: AuditEntry) -> bool:
        """Delete the client and revoke every token issued to it."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(_attrs).where(_attrs.c.client_id == client_id))
            result = await conn.execute(delete(_clients).where(_clients.c.client_id == client_id))
            if result.rowcount != 1:
                return False
            await conn.execute(
                update(_tokens)
                .where(_tokens.c.client_id == client_id, _tokens.c.revoked_at.is_(None))
                .values(revoked_at=audit.at)
            )
            await record(conn, audit)
        return True

    # --- scopes ----------------------------------------------------------------------------

    async def get_scope(self, scope_id: str) -> Scope | None:
        query = select(_scopes).where(_scopes.c.scope_id == scope_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return Scope(row.scope_id, row.description, tuple(row.claims or ()), row.registrable)

    async def add_scope(self, scope: Scope, audit: AuditEntry) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(_scopes).values(**_scope_values(scope)))
            await record(conn, audit)

    async def replace_scope(self, scope: Scope, audit: AuditEntry) -> bool:
        values = _scope_values(scope)
        del values["scope_id"]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_scopes).where(_scopes.c.scope_id == scope.scope_id).values(**values)
            )
            if result.rowcount != 1:
                return False
            await record(conn, audit)
        return True

    async def delete_scope(self, scope_id: str, audit: AuditEntry) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(_scopes).where(_scopes.c.scope_id == scope_id))
            if result.rowcount != 1:
                return False
            await record(conn, audit)
        return True

    # --- users -----------------------------------------------------------------------------

    async def search_users(self, pattern: str | None, limit: int, offset: int) -> list[User]:
        query = select(_users).order_by(_users.c.username)
        if pattern:
            query = query.where(
                or_(
                    _contains(_users.c.username, pattern),
                    _contains(_users.c.user_id, pattern),
                    _contains(func.coalesce(_users.c.email, ""), pattern),
                    _contains(func.coalesce(_users.c.name, ""), pattern),
                )
            )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [
            User(**{f.name: getattr(r, f.name) for f in dataclasses.fields(User)}) for r in rows
        ]

    async def add_user(self, user: User, audit: AuditEntry) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(_users).values(**dataclasses.asdict(user)))
            await record(conn, audit)

    async def replace_user(self, user: User, audit: AuditEntry) -> bool:
        """Store every member of ``user``; a disabled user also loses its sessions and tokens."""
        values = dataclasses.asdict(user)
        del values["user_id"]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_users).where(_users.c.user_id == user.user_id).values(**values)
            )
            if result.rowcount != 1:
                return False
            if not user.enabled:
                await conn.execute(
                    update(_tokens)
                    .where(_tokens.c.user_id == user.user_id, _tokens.c.revoked_at.is_(None))
                    .values(revoked_at=audit.at)
                )
                await conn.execute(delete(_sessions).where(_sessions.c.user_id == user.user_id))
            await record(conn, audit)
        return True


def _scope_values(scope: Scope) -> dict[str, Any]:
    return {
        "scope_id": scope.scope_id,
        "description": scope.description,
        "claims": list(scope.claims),
        "registrable": scope.registrable,
    }
