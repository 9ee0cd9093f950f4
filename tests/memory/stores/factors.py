"""Second factors and recovery codes (``core.ports.FactorStore``), as
:mod:`authgate.storage.factors` keeps them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from authgate.core.types import SecondFactor
from authgate.storage.engine import IntegrityViolation
from tests.memory.stores.tables import RecoveryCode, Tables, require_new


class MemoryFactorStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _require_user(self, user_id: str) -> None:
        if user_id not in self._t.users:
            raise IntegrityViolation("foreign key: no such user")

    async def list(self, user_id: str) -> list[SecondFactor]:
        found = [f for f in self._t.factors.values() if f.user_id == user_id]
        return sorted(found, key=lambda f: (f.created_at, f.factor_id))

    async def start(self, factor: SecondFactor) -> None:
        """Raises IntegrityViolation for an unknown user or a factor_id taken."""
        self._require_user(factor.user_id)
        pending = [
            f.factor_id
            for f in self._t.factors.values()
            if f.user_id == factor.user_id and f.kind == factor.kind and f.confirmed_at is None
        ]
        taken = set(self._t.factors) - set(pending)
        require_new(taken, [factor.factor_id], "second_factors")
        for factor_id in pending:
            del self._t.factors[factor_id]
        self._t.factors[factor.factor_id] = dataclasses.replace(
            factor, confirmed_at=None, last_step=None, last_used_at=None
        )

    async def confirm(self, factor_id: str, step: int, now: float) -> bool:
        factor = self._t.factors.get(factor_id)
        if factor is None or factor.confirmed_at is not None:
            return False
        self._t.factors[factor_id] = dataclasses.replace(
            factor, confirmed_at=now, last_step=step, last_used_at=now
        )
        return True

    async def accept_step(self, factor_id: str, step: int, now: float) -> bool:
        factor = self._t.factors.get(factor_id)
        if factor is None or factor.confirmed_at is None:
            return False
        if factor.last_step is not None and factor.last_step >= step:
            return False
        self._t.factors[factor_id] = dataclasses.replace(factor, last_step=step, last_used_at=now)
        return True

    async def remove(self, user_id: str, kind: str | None = None) -> int:
        gone = [
            f.factor_id
            for f in self._t.factors.values()
            if f.user_id == user_id and (kind is None or f.kind == kind)
        ]
        for factor_id in gone:
            del self._t.factors[factor_id]
        return len(gone)

    async def remove_one(self, user_id: str, factor_id: str) -> bool:
        factor = self._t.factors.get(factor_id)
        if factor is None or factor.user_id != user_id:
            return False
        del self._t.factors[factor_id]
        return True

    async def rename(self, user_id: str, factor_id: str, label: str) -> bool:
        factor = self._t.factors.get(factor_id)
        if factor is None or factor.user_id != user_id or factor.confirmed_at is None:
            return False
        self._t.factors[factor_id] = dataclasses.replace(factor, label=label)
        return True

    async def replace_recovery_codes(self, user_id: str, hashes: Sequence[str], now: float) -> None:
        """Raises IntegrityViolation for an unknown user or a repeated hash (nothing written)."""
        if hashes:
            self._require_user(user_id)
        require_new(set(), [(user_id, h) for h in hashes], "recovery_codes")
        await self.clear_recovery_codes(user_id)
        for code_hash in hashes:
            self._t.recovery_codes[(user_id, code_hash)] = RecoveryCode(created_at=now)

    async def use_recovery_code(self, user_id: str, code_hash: str, now: float) -> bool:
        code = self._t.recovery_codes.get((user_id, code_hash))
        if code is None or code.used_at is not None:
            return False
        code.used_at = now
        return True

    async def recovery_codes_left(self, user_id: str) -> int:
        return sum(
            1
            for (owner, _), code in self._t.recovery_codes.items()
            if owner == user_id and code.used_at is None
        )

    async def clear_recovery_codes(self, user_id: str) -> int:
        gone = [key for key in self._t.recovery_codes if key[0] == user_id]
        for key in gone:
            del self._t.recovery_codes[key]
        return len(gone)
