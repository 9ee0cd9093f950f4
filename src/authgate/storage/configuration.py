"""The configuration document and signing keys: shared by every instance through the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, insert, select, update

from authgate.crypto.keys import StoredKey
from authgate.storage.engine import Database, IntegrityViolation, Step
from authgate.storage.models import CONFIGURATION, SIGNING_KEYS

_config = CONFIGURATION
_keys = SIGNING_KEYS
CONFIG_ID = "jans-auth"

LOAD = select(_config.c.revision, _config.c.document).where(
    _config.c.config_id == bindparam("config_id")
)
REVISION = select(_config.c.revision).where(_config.c.config_id == bindparam("config_id"))
CREATE = insert(_config).values({c.name: bindparam(c.name) for c in _config.columns})
SAVE = (
    update(_config)
    .where(
        _config.c.config_id == bindparam("config_id"), _config.c.revision == bindparam("expected")
    )
    .values(
        document=bindparam("document"), revision=bindparam("revision"), updated_at=bindparam("now")
    )
)
ALL_KEYS = select(_keys).order_by(_keys.c.created_at)
INSERT_KEY = insert(_keys).values({c.name: bindparam(c.name) for c in _keys.columns})
SUPERSEDE_KEY = (
    update(_keys)
    .where(_keys.c.kid == bindparam("kid"), _keys.c.expires_at.is_(None))
    .values(expires_at=bindparam("expires_at"))
)
DELETE_EXPIRED_KEYS = delete(_keys).where(_keys.c.expires_at <= bindparam("now"))


class SqlConfigurationStore:
    """One JSON document with a revision number that increases on every change."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self) -> tuple[int, dict[str, Any]] | None:
        row = await self._db.fetch_one(LOAD, {"config_id": CONFIG_ID})
        if row is None:
            return None
        document = row["document"]
        return int(row["revision"]), orjson.loads(document) if isinstance(
            document, str
        ) else document

    async def revision(self) -> int | None:
        row = await self._db.fetch_one(REVISION, {"config_id": CONFIG_ID})
        return int(row["revision"]) if row else None

    async def create(self, document: dict[str, Any], now: float) -> bool:
        """Store the first document; False if another instance did it first."""
        params = {
            "config_id": CONFIG_ID,
            "revision": 1,
            "document": orjson.dumps(document).decode(),
            "updated_at": now,
        }
        try:
            await self._db.transact([Step(CREATE, params)])
        except IntegrityViolation:
            return False
        return True

    async def save(self, document: dict[str, Any], expected_revision: int, now: float) -> bool:
        """Compare-and-set: store only if nobody changed it since ``expected_revision``."""
        params = {
            "config_id": CONFIG_ID,
            "expected": expected_revision,
            "revision": expected_revision + 1,
            "document": orjson.dumps(document).decode(),
            "now": now,
        }
        return (await self._db.transact([Step(SAVE, params, expect=1)])).applied


def _key_params(key: StoredKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg,
        "private_pem": key.private_pem,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "activates_at": key.activates_at,
    }


class SqlKeyStore:
    """Signing keys with their schedule (see :mod:`authgate.crypto.rotation`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[StoredKey]:
        rows = await self._db.fetch_all(ALL_KEYS, {})
        return [
            StoredKey(
                r["kid"],
                r["alg"],
                r["private_pem"],
                r["created_at"],
                r["expires_at"],
                r["activates_at"],
            )
            for r in rows
        ]

    async def add(self, key: StoredKey) -> None:
        await self._db.transact([Step(INSERT_KEY, _key_params(key))])

    async def rotate(self, key: StoredKey, supersedes: Sequence[str], retire_at: int) -> bool:
        """Add ``key`` and give each superseded key its expiry, atomically; False (nothing
        written) when another instance superseded one of them first (compare-and-set)."""
        steps = [
            Step(SUPERSEDE_KEY, {"kid": kid, "expires_at": retire_at}, expect=1)
            for kid in supersedes
        ]
        steps.append(Step(INSERT_KEY, _key_params(key)))
        return (await self._db.transact(steps)).applied

    async def delete_expired(self, now: float) -> int:
        """Delete keys whose expiry has passed (they are no longer in the JWKS)."""
        outcome = await self._db.transact([Step(DELETE_EXPIRED_KEYS, {"now": now})])
        return outcome.rowcounts[0]
