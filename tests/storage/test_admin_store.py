"""The admin store maps the database's constraint errors to :class:`AlreadyExists` at its
boundary, and a refused write leaves no audit entry behind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from authgate.admin_records import AuditEntry
from authgate.core.types import Scope, User
from authgate.errors import AlreadyExists
from authgate.storage.admin import SqlAdminStore
from authgate.storage.audit import SqlAuditLog
from authgate.storage.connect import open_database
from authgate.storage.engine import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    yield database
    await database.close()


def _entry(action: str, target_type: str, target_id: str) -> AuditEntry:
    return AuditEntry("test", action, target_type, target_id, 1000.0)


async def _audited(db: Database, target_type: str) -> list[str]:
    records = await SqlAuditLog(db).list(target_type=target_type)
    return [r.entry.target_id for r in records]


async def test_a_taken_scope_id_is_already_exists(db: Database) -> None:
    store = SqlAdminStore(db)
    scope = Scope("shared", "first")
    await store.add_scope(scope, _entry("scope.create", "scope", "shared"))
    with pytest.raises(AlreadyExists):
        await store.add_scope(Scope("shared", "second"), _entry("scope.create", "scope", "shared"))
    assert await store.get_scope("shared") == scope
    assert await _audited(db, "scope") == ["shared"]


async def test_a_taken_username_is_already_exists(db: Database) -> None:
    store = SqlAdminStore(db)
    await store.add_user(User("u1", "carol", "hash"), _entry("user.create", "user", "u1"))
    with pytest.raises(AlreadyExists):
        await store.add_user(User("u2", "carol", "hash"), _entry("user.create", "user", "u2"))
    assert [u.user_id for u in await store.search_users("carol", 10, 0)] == ["u1"]
    assert await _audited(db, "user") == ["u1"]


async def test_bootstrap_over_an_existing_scope_is_refused_not_raised(db: Database) -> None:
    store = SqlAdminStore(db)
    await store.add_scope(Scope("taken"), _entry("scope.create", "scope", "taken"))
    applied = await store.bootstrap(
        [Scope("fresh"), Scope("taken")], None, _entry("admin.bootstrap", "client", "-")
    )
    assert applied is False
    assert await store.get_scope("fresh") is None
