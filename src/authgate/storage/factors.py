"""Users' second factors and recovery codes (implements ``core.ports.FactorStore``).

Single use is enforced by guarded updates, as for authorization codes
(docs/architecture.md §5.2): a TOTP step is accepted only if it is later than the factor's
``last_step``, a pending factor is confirmed only while ``confirmed_at`` is NULL, and a
recovery code is used only while ``used_at`` is NULL; of concurrent writers exactly one
touches the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update

from authgate.core.types import SecondFactor
from authgate.storage.engine import Database, Row, Step
from authgate.storage.models import RECOVERY_CODES, SECOND_FACTORS

_factors = SECOND_FACTORS
_codes = RECOVERY_CODES
_f = _factors.c
_r = _codes.c

LIST_FACTORS = (
    select(_factors).where(_f.user_id == bindparam("user_id")).order_by(_f.created_at, _f.factor_id)
)
INSERT_FACTOR = insert(_factors).values({c.name: bindparam(c.name) for c in _factors.columns})
DELETE_PENDING = delete(_factors).where(
    _f.user_id == bindparam("user_id"), _f.kind == bindparam("kind"), _f.confirmed_at.is_(None)
)
CONFIRM_FACTOR = (
    update(_factors)
    .where(_f.factor_id == bindparam("factor_id"), _f.confirmed_at.is_(None))
    .values(
        confirmed_at=bindparam("now"), last_step=bindparam("step"), last_used_at=bindparam("now")
    )
)
ACCEPT_STEP = (
    update(_factors)
    .where(
        _f.factor_id == bindparam("factor_id"),
        _f.confirmed_at.is_not(None),
        or_(_f.last_step.is_(None), _f.last_step < bindparam("step")),
    )
    .values(last_step=bindparam("step"), last_used_at=bindparam("now"))
)
DELETE_FACTORS = delete(_factors).where(_f.user_id == bindparam("user_id"))
DELETE_FACTORS_OF_KIND = delete(_factors).where(
    _f.user_id == bindparam("user_id"), _f.kind == bindparam("kind")
)
DELETE_ONE_FACTOR = delete(_factors).where(
    _f.user_id == bindparam("user_id"), _f.factor_id == bindparam("factor_id")
)
RENAME_FACTOR = (
    update(_factors)
    .where(
        _f.user_id == bindparam("user_id"),
        _f.factor_id == bindparam("factor_id"),
        _f.confirmed_at.is_not(None),
    )
    .values(label=bindparam("label"))
)

DELETE_CODES = delete(_codes).where(_r.user_id == bindparam("user_id"))
INSERT_CODE = insert(_codes).values(
    user_id=bindparam("user_id"),
    code_hash=bindparam("code_hash"),
    created_at=bindparam("created_at"),
    used_at=None,
)
USE_CODE = (
    update(_codes)
    .where(
        _r.user_id == bindparam("user_id"),
        _r.code_hash == bindparam("code_hash"),
        _r.used_at.is_(None),
    )
    .values(used_at=bindparam("now"))
)
CODES_LEFT = select(func.count().label("left")).where(
    _r.user_id == bindparam("user_id"), _r.used_at.is_(None)
)


def _factor(row: Row) -> SecondFactor:
    return SecondFactor(
        factor_id=row["factor_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        secret=row["secret"],
        created_at=row["created_at"],
        confirmed_at=row["confirmed_at"],
        last_step=row["last_step"],
        last_used_at=row["last_used_at"],
        label=row["label"],
    )


class SqlFactorStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self, user_id: str) -> list[SecondFactor]:
        return [_factor(r) for r in await self._db.fetch_all(LIST_FACTORS, {"user_id": user_id})]

    async def start(self, factor: SecondFactor) -> None:
        params: dict[str, Any] = {
            "factor_id": factor.factor_id,
            "user_id": factor.user_id,
            "kind": factor.kind,
            "secret": factor.secret,
            "label": factor.label,
            "created_at": factor.created_at,
            "confirmed_at": None,
            "last_step": None,
            "last_used_at": None,
        }
        await self._db.transact(
            [
                Step(DELETE_PENDING, {"user_id": factor.user_id, "kind": factor.kind}),
                Step(INSERT_FACTOR, params),
            ]
        )

    async def confirm(self, factor_id: str, step: int, now: float) -> bool:
        params = {"factor_id": factor_id, "step": step, "now": now}
        return (await self._db.transact([Step(CONFIRM_FACTOR, params, expect=1)])).applied

    async def accept_step(self, factor_id: str, step: int, now: float) -> bool:
        params = {"factor_id": factor_id, "step": step, "now": now}
        return (await self._db.transact([Step(ACCEPT_STEP, params, expect=1)])).applied

    async def remove(self, user_id: str, kind: str | None = None) -> int:
        if kind is None:
            step = Step(DELETE_FACTORS, {"user_id": user_id})
        else:
            step = Step(DELETE_FACTORS_OF_KIND, {"user_id": user_id, "kind": kind})
        return (await self._db.transact([step])).rowcounts[0]

    async def remove_one(self, user_id: str, factor_id: str) -> bool:
        params = {"user_id": user_id, "factor_id": factor_id}
        return (await self._db.transact([Step(DELETE_ONE_FACTOR, params, expect=1)])).applied

    async def rename(self, user_id: str, factor_id: str, label: str) -> bool:
        params = {"user_id": user_id, "factor_id": factor_id, "label": label}
        return (await self._db.transact([Step(RENAME_FACTOR, params, expect=1)])).applied

    async def replace_recovery_codes(self, user_id: str, hashes: Sequence[str], now: float) -> None:
        steps = [Step(DELETE_CODES, {"user_id": user_id})]
        if hashes:
            rows = [{"user_id": user_id, "code_hash": h, "created_at": now} for h in hashes]
            steps.append(Step(INSERT_CODE, rows))
        await self._db.transact(steps)

    async def use_recovery_code(self, user_id: str, code_hash: str, now: float) -> bool:
        params = {"user_id": user_id, "code_hash": code_hash, "now": now}
        return (await self._db.transact([Step(USE_CODE, params, expect=1)])).applied

    async def recovery_codes_left(self, user_id: str) -> int:
        row = await self._db.fetch_one(CODES_LEFT, {"user_id": user_id})
        return int(row["left"]) if row else 0

    async def clear_recovery_codes(self, user_id: str) -> int:
        outcome = await self._db.transact([Step(DELETE_CODES, {"user_id": user_id})])
        return outcome.rowcounts[0]
