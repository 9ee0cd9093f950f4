"""Device authorization requests (implements ``core.ports.DeviceAuthorizationStore``).

Every change is one guarded statement: ``decide`` touches the row only while it is pending
and unexpired, ``redeem`` only while it is approved (and inserts the tokens in the same
unit), ``poll`` only when the poll keeps to the interval; so each transition happens once,
whichever instance or concurrent request tries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update

from authgate.core.types import DeviceAuthorization, TokenRecord
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.grants import INSERT_TOKEN, _token_params
from authgate.storage.models import DEVICE_AUTHORIZATIONS

_devices = DEVICE_AUTHORIZATIONS
_key = _devices.c.device_code_hash == bindparam("device_code_hash")

INSERT_DEVICE = insert(_devices).values({c.name: bindparam(c.name) for c in _devices.columns})
GET_DEVICE = select(_devices).where(_key)
FIND_DEVICE = select(_devices).where(_devices.c.user_code_hash == bindparam("user_code_hash"))
# A poll that keeps to the interval: records it.
POLL_IN_TIME = (
    update(_devices)
    .where(
        _key,
        or_(
            _devices.c.last_polled_at.is_(None),
            _devices.c.last_polled_at + _devices.c.poll_interval <= bindparam("now"),
        ),
    )
    .values(last_polled_at=bindparam("now"))
)
# A poll that came too soon: records it and lengthens the interval.
POLL_TOO_SOON = (
    update(_devices)
    .where(_key)
    .values(
        last_polled_at=bindparam("now"),
        poll_interval=_devices.c.poll_interval + bindparam("increase"),
    )
)
DECIDE = (
    update(_devices)
    .where(
        _devices.c.user_code_hash == bindparam("user_code_hash"),
        _devices.c.status == "pending",
        _devices.c.expires_at > bindparam("now"),
    )
    .values(
        status=bindparam("status"),
        user_id=bindparam("user_id"),
        auth_time=bindparam("auth_time"),
        acr=bindparam("acr"),
        amr=bindparam("amr"),
        decided_at=bindparam("now"),
    )
)
REDEEM = update(_devices).where(_key, _devices.c.status == "approved").values(status="issued")


def _params(r: DeviceAuthorization) -> dict[str, Any]:
    return {
        "device_code_hash": r.device_code_hash,
        "user_code_hash": r.user_code_hash,
        "client_id": r.client_id,
        "scope": " ".join(r.scope),
        "issued_at": r.issued_at,
        "expires_at": r.expires_at,
        "poll_interval": r.interval,
        "status": r.status,
        "last_polled_at": r.last_polled_at,
        "user_id": r.user_id,
        "auth_time": r.auth_time,
        "acr": r.acr,
        "amr": " ".join(r.amr),
        "decided_at": r.decided_at,
    }


def _device(row: Row) -> DeviceAuthorization:
    return DeviceAuthorization(
        device_code_hash=row["device_code_hash"],
        user_code_hash=row["user_code_hash"],
        client_id=row["client_id"],
        scope=tuple(row["scope"].split()),
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        interval=row["poll_interval"],
        status=row["status"],
        last_polled_at=row["last_polled_at"],
        user_id=row["user_id"],
        auth_time=row["auth_time"],
        acr=row["acr"],
        amr=tuple(row["amr"].split()),
        decided_at=row["decided_at"],
    )


class SqlDeviceAuthorizationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, request: DeviceAuthorization) -> bool:
        try:
            await self._db.transact([Step(INSERT_DEVICE, _params(request))])
        except IntegrityViolation:
            return False
        return True

    async def get(self, device_code_hash: str) -> DeviceAuthorization | None:
        row = await self._db.fetch_one(GET_DEVICE, {"device_code_hash": device_code_hash})
        return _device(row) if row else None

    async def find(self, user_code_hash: str) -> DeviceAuthorization | None:
        row = await self._db.fetch_one(FIND_DEVICE, {"user_code_hash": user_code_hash})
        return _device(row) if row else None

    async def poll(self, device_code_hash: str, now: float, *, increase: int) -> bool:
        key = {"device_code_hash": device_code_hash, "now": now}
        if (await self._db.transact([Step(POLL_IN_TIME, key, expect=1)])).applied:
            return True
        await self._db.transact([Step(POLL_TOO_SOON, key | {"increase": increase})])
        return False

    async def decide(
        self,
        user_code_hash: str,
        now: float,
        *,
        approved: bool,
        user_id: str,
        auth_time: int,
        acr: str,
        amr: Sequence[str],
    ) -> bool:
        params = {
            "user_code_hash": user_code_hash,
            "now": now,
            "status": "approved" if approved else "denied",
            "user_id": user_id,
            "auth_time": auth_time,
            "acr": acr,
            "amr": " ".join(amr),
        }
        return (await self._db.transact([Step(DECIDE, params, expect=1)])).applied

    async def redeem(
        self, device_code_hash: str, now: float, tokens: Sequence[TokenRecord]
    ) -> bool:
        steps = [Step(REDEEM, {"device_code_hash": device_code_hash}, expect=1)]
        if tokens:
            steps.append(Step(INSERT_TOKEN, [_token_params(t) for t in tokens]))
        return (await self._db.transact(steps)).applied
