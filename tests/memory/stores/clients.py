"""Clients (``core.ports.ClientStore``), as :mod:`authgate.storage.clients` keeps them.

No cache: the SQL store's short cache only delays changes made by *other* instances, and a
memory store has none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import orjson

from authgate.core.origins import listed_origins
from authgate.core.types import Client, ClientMetadata
from tests.memory.stores.tables import Tables, require_new

#: The SQL store answers attribute searches of at most this many pairs, and at most
#: ``_FOUND_LIMIT`` clients (enough for the caller to tell "one" from "several").
_MAX_ATTRIBUTES = 8
_FOUND_LIMIT = 2


def _stored(client: Client) -> tuple[Client, bytes]:
    return client, orjson.dumps(client.metadata.to_json())


def _loaded(row: tuple[Client, bytes]) -> Client:
    client, metadata = row
    return dataclasses.replace(client, metadata=ClientMetadata.from_json(orjson.loads(metadata)))


class MemoryClientStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, client: Client) -> None:
        """Raises IntegrityViolation for a client_id already taken."""
        require_new(self._t.clients, [client.client_id], "clients")
        self._t.clients[client.client_id] = _stored(client)

    async def get(self, client_id: str, *, fresh: bool = False) -> Client | None:
        """``fresh`` changes nothing here: there is no cached copy to skip."""
        row = self._t.clients.get(client_id)
        return None if row is None else _loaded(row)

    def forget(self, client_id: str | None = None) -> None:
        """Nothing to drop: every read goes to the one table, so no copy can be stale."""

    async def replace(self, client: Client, *, expected_token_hash: str | None = None) -> bool:
        """False (nothing changed) for an unknown client, or when ``expected_token_hash`` is
        given and the stored registration access token is no longer that one."""
        row = self._t.clients.get(client.client_id)
        if row is None:
            return False
        if (
            expected_token_hash is not None
            and _loaded(row).registration_token_hash != expected_token_hash
        ):
            return False
        self._t.clients[client.client_id] = _stored(client)
        return True

    async def delete(self, client_id: str) -> bool:
        """Removes the client with its consents (the foreign key cascades)."""
        if self._t.clients.pop(client_id, None) is None:
            return False
        for key in [k for k in self._t.consents if k[1] == client_id]:
            del self._t.consents[key]
        return True

    async def find_by_attributes(self, attributes: Mapping[str, str]) -> list[Client]:
        if not attributes or len(attributes) > _MAX_ATTRIBUTES:
            return []
        wanted = dict(attributes).items()
        found = []
        for row in self._t.clients.values():
            client = _loaded(row)
            if wanted <= client.metadata.custom_attributes.items():
                found.append(client)
                if len(found) == _FOUND_LIMIT:
                    break
        return found

    async def origin_registered(self, origin: str) -> bool:
        """Over every stored client, as the SQL store's indexed ``client_origins`` table."""
        return any(
            origin in listed_origins(_loaded(row).metadata.origins)
            for row in self._t.clients.values()
        )

    async def list(self, limit: int = 100, offset: int = 0) -> list[Client]:
        """By client_name then client_id, like ``SqlClientStore.list``."""
        clients = sorted(
            (_loaded(r) for r in self._t.clients.values()),
            key=lambda c: (c.metadata.client_name, c.client_id),
        )
        return clients[offset : offset + limit]
