"""Clients, their custom attributes and the index of their web origins (implements
``core.ports.ClientStore``).

Decoded clients are cached for ``ttl`` seconds: every token request needs its client, and
clients change rarely. A change made through this store (an RFC 7592 update or delete)
applies at once on this instance and, through ``changes`` (:mod:`authgate.changes`), within
milliseconds on the others; ``ttl`` bounds how long a lost notice can leave a stale copy.
A read that was under way while the cache was dropped does not put its possibly older row
back into the cache.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Select, and_, bindparam, delete, insert, select, update

from authgate.changes import ChangePublisher, NoChangePublisher, client_topic
from authgate.core.origins import listed_origins
from authgate.core.types import Client, ClientMetadata
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.models import CLIENT_ATTRIBUTES, CLIENT_ORIGINS, CLIENTS

_clients = CLIENTS
_attrs = CLIENT_ATTRIBUTES
_origins = CLIENT_ORIGINS
_COLUMNS = [c.name for c in _clients.columns]

GET = select(_clients).where(_clients.c.client_id == bindparam("client_id"))
INSERT = insert(_clients).values({c: bindparam(c) for c in _COLUMNS})
UPDATE = (
    update(_clients)
    .where(_clients.c.client_id == bindparam("key"))
    .values({c: bindparam(c) for c in _COLUMNS if c != "client_id"})
)
UPDATE_IF_TOKEN = UPDATE.where(
    _clients.c.registration_token_hash == bindparam("expected_token_hash")
)
DELETE = delete(_clients).where(_clients.c.client_id == bindparam("client_id"))
DELETE_ATTRS = delete(_attrs).where(_attrs.c.client_id == bindparam("client_id"))
INSERT_ATTR = insert(_attrs).values(
    client_id=bindparam("client_id"), name=bindparam("name"), value=bindparam("value")
)
DELETE_ORIGINS = delete(_origins).where(_origins.c.client_id == bindparam("client_id"))
INSERT_ORIGIN = insert(_origins).values(
    client_id=bindparam("client_id"), origin=bindparam("origin")
)
ORIGIN_REGISTERED = (
    select(_origins.c.client_id).where(_origins.c.origin == bindparam("origin")).limit(1)
)
LIST = (
    select(_clients)
    .order_by(_clients.c.client_name, _clients.c.client_id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


@functools.cache
def _by_attributes(count: int) -> Select[Any]:
    """Clients having ``count`` given attribute name/value pairs (one statement per count)."""
    query = select(_clients)
    for i in range(count):
        alias = _attrs.alias(f"a{i}")
        query = query.join(
            alias,
            and_(
                alias.c.client_id == _clients.c.client_id,
                alias.c.name == bindparam(f"n{i}"),
                alias.c.value == bindparam(f"v{i}"),
            ),
        )
    return query.limit(2)


def _row(client: Client) -> dict[str, Any]:
    m = client.metadata
    return {
        "client_id": client.client_id,
        "client_name": m.client_name,
        "token_endpoint_auth_method": m.token_endpoint_auth_method,
        "metadata": orjson.dumps(m.to_json()).decode(),
        "client_id_issued_at": client.client_id_issued_at,
        "secret_hash": client.secret_hash,
        "client_secret_expires_at": client.client_secret_expires_at,
        "registration_token_hash": client.registration_token_hash,
        "expires_at": client.expires_at,
        "disabled": client.disabled,
    }


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _client(row: Row) -> Client:
    return Client(
        client_id=row["client_id"],
        metadata=ClientMetadata.from_json(_json(row["metadata"])),
        client_id_issued_at=row["client_id_issued_at"],
        secret_hash=row["secret_hash"],
        client_secret_expires_at=row["client_secret_expires_at"],
        registration_token_hash=row["registration_token_hash"],
        expires_at=row["expires_at"],
        disabled=bool(row["disabled"]),
    )


def _attribute_steps(client: Client) -> list[Step]:
    steps = [Step(DELETE_ATTRS, {"client_id": client.client_id})]
    rows = [
        {"client_id": client.client_id, "name": k, "value": v}
        for k, v in client.metadata.custom_attributes.items()
    ]
    if rows:
        steps.append(Step(INSERT_ATTR, rows))
    steps.append(Step(DELETE_ORIGINS, {"client_id": client.client_id}))
    origins = [
        {"client_id": client.client_id, "origin": origin}
        for origin in listed_origins(client.metadata.origins)
    ]
    if origins:
        steps.append(Step(INSERT_ORIGIN, origins))
    return steps


class SqlClientStore:
    def __init__(
        self, db: Database, ttl: float = 2.0, *, changes: ChangePublisher | None = None
    ) -> None:
        self._db = db
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Client | None]] = {}
        self._changes = changes or NoChangePublisher()
        #: Bumped by every ``forget``: a read that started before it caches nothing.
        self._generation = 0

    def forget(self, client_id: str | None = None) -> None:
        self._generation += 1
        if client_id is None:
            self._cache.clear()
        else:
            self._cache.pop(client_id, None)

    async def add(self, client: Client) -> None:
        await self._db.transact([Step(INSERT, _row(client)), *_attribute_steps(client)])
        self.forget(client.client_id)

    async def get(self, client_id: str, *, fresh: bool = False) -> Client | None:
        now = time.monotonic()
        hit = self._cache.get(client_id)
        if hit is not None and hit[0] > now and not fresh:
            return hit[1]
        generation = self._generation
        row = await self._db.fetch_one(GET, {"client_id": client_id})
        client = _client(row) if row else None
        if generation != self._generation:  # dropped meanwhile: the row may predate that
            return client
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[client_id] = (now + self._ttl, client)
        return client

    async def replace(self, client: Client, *, expected_token_hash: str | None = None) -> bool:
        values = _row(client) | {"key": client.client_id}
        statement = UPDATE
        if expected_token_hash is not None:
            statement = UPDATE_IF_TOKEN
            values["expected_token_hash"] = expected_token_hash
        outcome = await self._db.transact(
            [Step(statement, values, expect=1), *_attribute_steps(client)]
        )
        self.forget(client.client_id)
        if outcome.applied:
            await self._changes.publish(client_topic(client.client_id))
        return outcome.applied

    async def delete(self, client_id: str) -> bool:
        outcome = await self._db.transact(
            [
                Step(DELETE_ATTRS, {"client_id": client_id}),
                Step(DELETE_ORIGINS, {"client_id": client_id}),
                Step(DELETE, {"client_id": client_id}, expect=1),
            ]
        )
        self.forget(client_id)
        if outcome.applied:
            await self._changes.publish(client_topic(client_id))
        return outcome.applied

    async def find_by_attributes(self, attributes: Mapping[str, str]) -> list[Client]:
        if not attributes or len(attributes) > 8:
            return []
        params: dict[str, str] = {}
        for i, (name, value) in enumerate(attributes.items()):
            params[f"n{i}"], params[f"v{i}"] = name, value
        rows = await self._db.fetch_all(_by_attributes(len(attributes)), params)
        return [_client(r) for r in rows]

    async def origin_registered(self, origin: str) -> bool:
        return await self._db.fetch_one(ORIGIN_REGISTERED, {"origin": origin}) is not None

    async def list(self, limit: int = 100, offset: int = 0) -> list[Client]:
        rows = await self._db.fetch_all(LIST, {"limit": limit, "offset": offset})
        return [_client(r) for r in rows]


__all__ = ["IntegrityViolation", "SqlClientStore"]
