"""Upstream providers, federated identities and pending upstream sign-ins (implements
``core.ports.FederationStore`` and ``admin.ports.AdminFederation``; docs/federation.md).

A pending sign-in is taken with a guarded ``DELETE``: of two callbacks presenting one
``state`` only the one whose delete removed the row goes on (single use, every instance).
A provider's settings other than its alias, kind, enabled flag and sealed secret are one JSON
document; deleting a provider deletes its links (foreign key, ``ON DELETE CASCADE``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, func, insert, select, update

from authgate.admin_records import AuditEntry
from authgate.core.federation.model import FederatedIdentity, PendingSignIn, Provider
from authgate.core.types import User
from authgate.errors import AlreadyExists
from authgate.storage.audit import record_step
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.models import (
    FEDERATED_IDENTITIES,
    FEDERATION_PENDING,
    FEDERATION_PROVIDERS,
    USERS,
)
from authgate.storage.users import INSERT_USER, _user

_providers = FEDERATION_PROVIDERS
_links = FEDERATED_IDENTITIES
_pending = FEDERATION_PENDING
_users = USERS
_COLUMNS = ("alias", "kind", "enabled", "client_secret_sealed", "created_at", "updated_at")
_LINK_FIELDS = tuple(f.name for f in dataclasses.fields(FederatedIdentity))
_PENDING_FIELDS = tuple(f.name for f in dataclasses.fields(PendingSignIn))

ALL_PROVIDERS = select(_providers).order_by(_providers.c.alias)
GET_PROVIDER = select(_providers).where(_providers.c.alias == bindparam("alias"))
INSERT_PROVIDER = insert(_providers).values({c: bindparam(c) for c in (*_COLUMNS, "settings")})
REPLACE_PROVIDER = (
    update(_providers)
    .where(_providers.c.alias == bindparam("alias"))
    .values({c: bindparam(c) for c in (*_COLUMNS[1:], "settings")})
)
DELETE_PROVIDER = delete(_providers).where(_providers.c.alias == bindparam("alias"))
DELETE_PROVIDER_LINKS = delete(_links).where(_links.c.alias == bindparam("alias"))
GET_LINK = select(_links).where(
    _links.c.alias == bindparam("alias"), _links.c.subject == bindparam("subject")
)
INSERT_LINK = insert(_links).values(
    {
        "alias": bindparam("alias"),
        "subject": bindparam("subject"),
        "user_id": bindparam("user_id"),
        "email": bindparam("email"),
        "linked_at": bindparam("linked_at"),
        "last_used_at": bindparam("last_used_at"),
    }
)
DELETE_LINK = delete(_links).where(
    _links.c.alias == bindparam("alias"), _links.c.subject == bindparam("subject")
)
DELETE_USER_LINK = DELETE_LINK.where(_links.c.user_id == bindparam("user_id"))
TOUCH_LINK = (
    update(_links)
    .where(_links.c.alias == bindparam("alias"), _links.c.subject == bindparam("subject"))
    .values(last_used_at=bindparam("now"))
)
_ORDER = (_links.c.linked_at.desc(), _links.c.alias, _links.c.subject)
LINKS = select(_links).order_by(*_ORDER).limit(bindparam("limit")).offset(bindparam("offset"))
LINKS_OF_USER = LINKS.where(_links.c.user_id == bindparam("user_id"))
LINKS_OF_ALIAS = LINKS.where(_links.c.alias == bindparam("alias"))
LINKS_OF_BOTH = LINKS_OF_USER.where(_links.c.alias == bindparam("alias"))
USERS_BY_EMAIL = select(_users).where(func.lower(_users.c.email) == bindparam("email")).limit(2)
INSERT_PENDING = insert(_pending).values({c: bindparam(c) for c in _PENDING_FIELDS})
GET_PENDING = select(_pending).where(_pending.c.key == bindparam("key"))
TAKE_PENDING = delete(_pending).where(_pending.c.key == bindparam("key"))
PURGE_PENDING = delete(_pending).where(_pending.c.expires_at <= bindparam("now"))


def provider_params(provider: Provider) -> dict[str, Any]:
    values = dataclasses.asdict(provider)
    values["scopes"] = list(provider.scopes)
    values["domains"] = list(provider.domains)
    values["mapping"] = dict(provider.mapping)
    params = {c: values.pop(c) for c in _COLUMNS}
    params["settings"] = orjson.dumps(values).decode()
    return params


def _provider(row: Row) -> Provider:
    raw = row["settings"]
    settings = dict(orjson.loads(raw) if isinstance(raw, str | bytes) else raw)
    known = {f.name for f in dataclasses.fields(Provider)}
    values = {k: v for k, v in settings.items() if k in known}
    values["scopes"] = tuple(values.get("scopes", ()))
    values["domains"] = tuple(values.get("domains", ()))
    values["mapping"] = dict(values.get("mapping", {}))
    for column in _COLUMNS:
        values[column] = row[column]
    values["enabled"] = bool(values["enabled"])
    values["created_at"] = float(values["created_at"])
    values["updated_at"] = float(values["updated_at"])
    return Provider(**values)


def _link(row: Row) -> FederatedIdentity:
    used = row["last_used_at"]
    return FederatedIdentity(
        alias=row["alias"],
        subject=row["subject"],
        user_id=row["user_id"],
        linked_at=float(row["linked_at"]),
        last_used_at=None if used is None else float(used),
        email=row["email"],
    )


def _link_params(identity: FederatedIdentity) -> dict[str, Any]:
    return {name: getattr(identity, name) for name in _LINK_FIELDS}


class SqlFederationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- core.ports.FederationStore ----------------------------------------------------------

    async def providers(self) -> list[Provider]:
        return [_provider(row) for row in await self._db.fetch_all(ALL_PROVIDERS, {})]

    async def provider(self, alias: str) -> Provider | None:
        row = await self._db.fetch_one(GET_PROVIDER, {"alias": alias})
        return None if row is None else _provider(row)

    async def identity(self, alias: str, subject: str) -> FederatedIdentity | None:
        row = await self._db.fetch_one(GET_LINK, {"alias": alias, "subject": subject})
        return None if row is None else _link(row)

    async def identities(
        self,
        *,
        user_id: str | None = None,
        alias: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FederatedIdentity]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if user_id is not None and alias is not None:
            statement = LINKS_OF_BOTH
        elif user_id is not None:
            statement = LINKS_OF_USER
        elif alias is not None:
            statement = LINKS_OF_ALIAS
        else:
            statement = LINKS
        if user_id is not None:
            params["user_id"] = user_id
        if alias is not None:
            params["alias"] = alias
        return [_link(row) for row in await self._db.fetch_all(statement, params)]

    async def link(self, identity: FederatedIdentity) -> bool:
        try:
            await self._db.transact([Step(INSERT_LINK, _link_params(identity))])
        except IntegrityViolation:
            return False
        return True

    async def unlink(self, alias: str, subject: str, user_id: str | None = None) -> bool:
        params = {"alias": alias, "subject": subject}
        if user_id is None:
            step = Step(DELETE_LINK, params, expect=1)
        else:
            step = Step(DELETE_USER_LINK, {**params, "user_id": user_id}, expect=1)
        return (await self._db.transact([step])).applied

    async def touch(self, alias: str, subject: str, now: float) -> None:
        await self._db.transact(
            [Step(TOUCH_LINK, {"alias": alias, "subject": subject, "now": now})]
        )

    async def user_by_email(self, email: str) -> User | None:
        rows = await self._db.fetch_all(USERS_BY_EMAIL, {"email": email.lower()})
        return _user(rows[0]) if len(rows) == 1 else None

    async def provision(self, user: User, identity: FederatedIdentity) -> bool:
        steps = [
            Step(INSERT_USER, dataclasses.asdict(user)),
            Step(INSERT_LINK, _link_params(identity)),
        ]
        try:
            await self._db.transact(steps)
        except IntegrityViolation:
            return False
        return True

    async def add_pending(self, pending: PendingSignIn) -> None:
        params = {name: getattr(pending, name) for name in _PENDING_FIELDS}
        await self._db.transact([Step(INSERT_PENDING, params)])

    async def peek_pending(self, key: str, now: float) -> PendingSignIn | None:
        row = await self._db.fetch_one(GET_PENDING, {"key": key})
        if row is None:
            return None
        pending = PendingSignIn(**{name: row[name] for name in _PENDING_FIELDS})
        return pending if pending.expires_at > now else None

    async def take_pending(self, key: str, now: float) -> PendingSignIn | None:
        row = await self._db.fetch_one(GET_PENDING, {"key": key})
        if row is None:
            return None
        if not (await self._db.transact([Step(TAKE_PENDING, {"key": key}, expect=1)])).applied:
            return None  # another request took it first
        pending = PendingSignIn(**{name: row[name] for name in _PENDING_FIELDS})
        return pending if pending.expires_at > now else None

    async def purge_pending(self, now: float) -> int:
        outcome = await self._db.transact([Step(PURGE_PENDING, {"now": now})])
        return outcome.rowcounts[0] if outcome.rowcounts else 0

    # --- admin.ports.AdminFederation: writes with their audit entry -------------------------

    async def add_provider(self, provider: Provider, audit: AuditEntry) -> None:
        """Raises AlreadyExists when the alias is taken (nothing written)."""
        try:
            await self._db.transact(
                [Step(INSERT_PROVIDER, provider_params(provider)), record_step(audit)]
            )
        except IntegrityViolation as exc:
            raise AlreadyExists(f"A provider {provider.alias!r} exists already") from exc

    async def replace_provider(self, provider: Provider, audit: AuditEntry) -> bool:
        steps = [Step(REPLACE_PROVIDER, provider_params(provider), expect=1), record_step(audit)]
        return (await self._db.transact(steps)).applied

    async def delete_provider(self, alias: str, audit: AuditEntry) -> bool:
        steps = [
            Step(DELETE_PROVIDER_LINKS, {"alias": alias}),
            Step(DELETE_PROVIDER, {"alias": alias}, expect=1),
            record_step(audit),
        ]
        return (await self._db.transact(steps)).applied

    async def remove_link(self, alias: str, subject: str, audit: AuditEntry) -> bool:
        steps = [Step(DELETE_LINK, {"alias": alias, "subject": subject}, expect=1)]
        return (await self._db.transact([*steps, record_step(audit)])).applied
