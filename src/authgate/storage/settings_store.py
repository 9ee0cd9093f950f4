"""The configuration document and signing keys: shared by every instance through the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.crypto.keys import StoredKey
from authgate.storage.models import ConfigurationRow, SigningKeyRow, table_of

_config = table_of(ConfigurationRow)
_keys = table_of(SigningKeyRow)
CONFIG_ID = "jans-auth"


class SqlConfigurationStore:
    """One JSON document with a revision number that increases on every change."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(self) -> tuple[int, dict[str, Any]] | None:
        query = select(_config.c.revision, _config.c.document).where(
            _config.c.config_id == CONFIG_ID
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (row.revision, row.document) if row else None

    async def revision(self) -> int | None:
        query = select(_config.c.revision).where(_config.c.config_id == CONFIG_ID)
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def create(self, document: dict[str, Any], now: float) -> bool:
        """Store the first document; False if another instance did it first."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(_config).values(
                        config_id=CONFIG_ID, revision=1, document=document, updated_at=now
                    )
                )
        except IntegrityError:
            return False
        return True

    async def save(self, document: dict[str, Any], expected_revision: int, now: float) -> bool:
        """Compare-and-set: store only if nobody changed it since ``expected_revision``."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_config)
                .where(_config.c.config_id == CONFIG_ID, _config.c.revision == expected_revision)
                .values(document=document, revision=expected_revision + 1, updated_at=now)
            )
        return result.rowcount == 1


class SqlKeyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> list[StoredKey]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(_keys).order_by(_keys.c.created_at))).all()
        return [StoredKey(r.kid, r.alg, r.private_pem, r.created_at, r.expires_at) for r in rows]

    async def add(self, key: StoredKey) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(_keys).values(
                    kid=key.kid,
                    alg=key.alg,
                    private_pem=key.private_pem,
                    created_at=key.created_at,
                    expires_at=key.expires_at,
                )
            )
