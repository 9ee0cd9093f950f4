"""Clients and their custom attributes (implements ``core.ports.ClientStore``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authgate.core.types import Client, ClientMetadata
from authgate.storage.models import ClientAttributeRow, ClientRow, table_of

_clients = table_of(ClientRow)
_attrs = table_of(ClientAttributeRow)


def client_row(client: Client) -> dict[str, Any]:
    m = client.metadata
    return {
        "client_id": client.client_id,
        "client_name": m.client_name,
        "token_endpoint_auth_method": m.token_endpoint_auth_method,
        "metadata": m.to_json(),
        "client_id_issued_at": client.client_id_issued_at,
        "secret_hash": client.secret_hash,
        "client_secret_expires_at": client.client_secret_expires_at,
        "registration_token_hash": client.registration_token_hash,
        "expires_at": client.expires_at,
        "disabled": client.disabled,
    }


def client_from_row(row: Any) -> Client:
    return Client(
        client_id=row.client_id,
        metadata=ClientMetadata.from_json(row.metadata),
        client_id_issued_at=row.client_id_issued_at,
        secret_hash=row.secret_hash,
        client_secret_expires_at=row.client_secret_expires_at,
        registration_token_hash=row.registration_token_hash,
        expires_at=row.expires_at,
        disabled=row.disabled,
    )


async def write_attributes(conn: AsyncConnection, client: Client) -> None:
    """Replace the client's rows in ``client_attributes`` (inside the caller's transaction)."""
    await conn.execute(delete(_attrs).where(_attrs.c.client_id == client.client_id))
    rows = [
        {"client_id": client.client_id, "name": k, "value": v}
        for k, v in client.metadata.custom_attributes.items()
    ]
    if rows:
        await conn.execute(insert(_attrs), rows)


class SqlClientStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, client: Client) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(_clients).values(**client_row(client)))
            await write_attributes(conn, client)

    async def get(self, client_id: str) -> Client | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(_clients).where(_clients.c.client_id == client_id))
            ).first()
        return client_from_row(row) if row else None

    async def replace(self, client: Client) -> bool:
        values = client_row(client)
        del values["client_id"]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_clients).where(_clients.c.client_id == client.client_id).values(**values)
            )
            if result.rowcount != 1:
                return False
            await write_attributes(conn, client)
        return True

    async def delete(self, client_id: str) -> bool:
        async with self._engine.begin() as conn:
            await conn.execute(delete(_attrs).where(_attrs.c.client_id == client_id))
            result = await conn.execute(delete(_clients).where(_clients.c.client_id == client_id))
        return result.rowcount == 1

    async def find_by_attributes(self, attributes: Mapping[str, str]) -> list[Client]:
        if not attributes:
            return []
        query = select(_clients)
        for i, (name, value) in enumerate(attributes.items()):
            alias = _attrs.alias(f"a{i}")
            query = query.join(
                alias,
                and_(
                    alias.c.client_id == _clients.c.client_id,
                    alias.c.name == name,
                    alias.c.value == value,
                ),
            )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.limit(2))).all()
        return [client_from_row(r) for r in rows]

    async def list(self, limit: int = 100, offset: int = 0) -> list[Client]:
        query = select(_clients).order_by(_clients.c.client_name, _clients.c.client_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [client_from_row(r) for r in rows]
