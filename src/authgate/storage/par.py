"""Pushed authorization requests (implements ``core.ports.ParStore``, RFC 9126)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import bindparam, insert, select, update

from authgate.core.types import PushedRequest
from authgate.storage.engine import Database, Step
from authgate.storage.models import PAR_REQUESTS

_par = PAR_REQUESTS

INSERT = insert(_par).values({c.name: bindparam(c.name) for c in _par.columns})
CONSUME = (
    update(_par)
    .where(
        _par.c.request_hash == bindparam("request_hash"),
        _par.c.client_id == bindparam("client_id"),
        _par.c.used_at.is_(None),
        _par.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
)
GET = select(_par.c.params, _par.c.expires_at).where(
    _par.c.request_hash == bindparam("request_hash")
)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class SqlParStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, request: PushedRequest) -> None:
        params = {
            "request_hash": request.request_hash,
            "client_id": request.client_id,
            "params": orjson.dumps(dict(request.params)).decode(),
            "expires_at": request.expires_at,
            "used_at": None,
        }
        await self._db.transact([Step(INSERT, params)])

    async def consume(self, request_hash: str, client_id: str, now: float) -> PushedRequest | None:
        guard = {"request_hash": request_hash, "client_id": client_id, "now": now}
        if not (await self._db.transact([Step(CONSUME, guard, expect=1)])).applied:
            return None
        row = await self._db.fetch_one(GET, {"request_hash": request_hash})
        if row is None:  # purged in between: treat as expired
            return None
        return PushedRequest(request_hash, client_id, _json(row["params"]), row["expires_at"])
