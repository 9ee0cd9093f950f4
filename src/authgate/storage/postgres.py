"""PostgreSQL access through an asyncpg pool (prepared statements cached per connection)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

from authgate.storage.database import IntegrityViolation, Outcome, Row, StatementCache, Step


class _Abort(Exception):
    pass


def _rowcount(status: str) -> int:
    """The row count of an asyncpg command status such as ``UPDATE 1`` or ``INSERT 0 3``."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PostgresDatabase:
    """:class:`authgate.storage.database.Database` over an asyncpg pool."""

    dialect_name = "postgresql"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._statements = StatementCache(postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]

    @classmethod
    async def connect(cls, dsn: str, *, min_size: int = 2, max_size: int = 10) -> PostgresDatabase:
        pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
        return cls(pool)

    async def fetch_one(self, statement: ClauseElement, params: Mapping[str, Any]) -> Row | None:
        compiled = self._statements.get(statement)
        row: Row | None = await self._pool.fetchrow(compiled.text, *compiled.args(params))
        return row

    async def fetch_all(self, statement: ClauseElement, params: Mapping[str, Any]) -> list[Row]:
        compiled = self._statements.get(statement)
        return list(await self._pool.fetch(compiled.text, *compiled.args(params)))

    async def transact(self, steps: Sequence[Step]) -> Outcome:
        counts: list[int] = []
        try:
            async with self._pool.acquire() as con, con.transaction():
                for step in steps:
                    compiled = self._statements.get(step.statement)
                    if isinstance(step.params, Mapping):
                        status = await con.execute(compiled.text, *compiled.args(step.params))
                        counts.append(_rowcount(status))
                    else:
                        rows = [compiled.args(p) for p in step.params]
                        await con.executemany(compiled.text, rows)
                        counts.append(len(rows))
                    if step.expect is not None and counts[-1] != step.expect:
                        raise _Abort
        except _Abort:
            return Outcome(False, tuple(counts))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityViolation(str(exc)) from None
        return Outcome(True, tuple(counts))

    async def close(self) -> None:
        await self._pool.close()
