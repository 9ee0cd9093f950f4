"""PostgreSQL access (:class:`PostgresDatabase`) over asyncpg connections
(:class:`~authgate.storage.pg_pool.ConnectionPool`).

Reads take a pooled connection each. Writes are group-committed: the units queued while a batch
runs share the next batch, and if one of them fails each unit runs again alone, so every unit
stays all-or-nothing. At most ``max_batches`` batches run at once (one by default), each on its
own connection. A batch of one unit that is one statement runs without ``BEGIN`` and ``COMMIT``
(:attr:`Step.alone_atomic`): one round trip instead of three. In a larger batch, the units that
are the same one-statement write (:attr:`Step.counted`) are sent together, one round trip per
statement, and a batch of such units only needs no transaction around them.
docs/architecture.md §5.4.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

from authgate import metrics
from authgate.storage.engine import (
    IntegrityViolation,
    Outcome,
    Row,
    StatementCache,
    Step,
    settle,
)
from authgate.storage.pg_pool import ConnectionPool

_Item = tuple[Sequence[Step], asyncio.Future[Outcome]]
#: Batches in flight at once, each on its own connection. One: the units that arrive while a
#: batch runs make the next batch larger, and a larger batch costs no more round trips (one
#: per statement, :meth:`PostgresDatabase._together`). docs/benchmarks.md has the numbers.
MAX_BATCHES = 1
#: The statements compiled for PostgreSQL, shared by every database of the process.
_STATEMENTS = StatementCache(postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]


class _Abort(Exception):
    def __init__(self, counts: tuple[int, ...]) -> None:
        super().__init__(counts)
        self.counts = counts


def _rowcount(status: str) -> int:
    """The row count of an asyncpg command status such as ``UPDATE 1`` or ``INSERT 0 3``."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PostgresDatabase:
    """:class:`authgate.storage.engine.Database` over an asyncpg pool."""

    dialect_name = "postgresql"

    def __init__(self, pool: ConnectionPool, *, max_batches: int = MAX_BATCHES) -> None:
        self._pool = pool
        self._statements = _STATEMENTS
        self.max_batches = max_batches
        self.batches = 0
        self.transactions = 0
        self._pending: list[_Item] = []
        self._running: set[asyncio.Task[None]] = set()

    @classmethod
    async def connect(cls, dsn: str, *, min_size: int = 2, max_size: int = 10) -> PostgresDatabase:
        # Nothing is reset when a connection comes back (asyncpg's pool would send
        # ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``, one more round
        # trip after each read and batch): pooled connections here never take advisory locks,
        # open cursors, listen (the change feed has a connection of its own) or change
        # settings, and one left inside a transaction is discarded (storage/pg_pool.py).
        pool = await ConnectionPool(dsn, min_size=min_size, max_size=max_size).open()
        return cls(pool)

    async def fetch_one(self, statement: ClauseElement, params: Mapping[str, Any]) -> Row | None:
        compiled = self._statements.get(statement)
        async with self._pool.connection() as con:
            row: Row | None = await con.fetchrow(compiled.text, *compiled.args(params))
        return row

    async def fetch_all(self, statement: ClauseElement, params: Mapping[str, Any]) -> list[Row]:
        compiled = self._statements.get(statement)
        async with self._pool.connection() as con:
            return list(await con.fetch(compiled.text, *compiled.args(params)))

    async def transact(self, steps: Sequence[Step]) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((steps, future))
        if len(self._running) < self.max_batches:
            self._start()
        return await future

    async def close(self) -> None:
        while self._running or self._pending:
            if self._pending and len(self._running) < self.max_batches:
                self._start()
            await asyncio.gather(*self._running, return_exceptions=True)
        await self._pool.close()

    # --- batches -----------------------------------------------------------------------------

    def _start(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._pending and len(self._running) < self.max_batches:
            self._start()

    async def _run(self, batch: list[_Item]) -> None:
        results: list[Outcome | BaseException] | None = None
        started = time.perf_counter()
        try:
            async with self._pool.connection() as con:
                if len(batch) > 1:
                    try:
                        results = await self._together(con, [steps for steps, _future in batch])
                    except Exception:  # some unit failed: all rolled back; run each alone
                        results = None
                if results is None:
                    results = [await self._alone(con, steps) for steps, _future in batch]
        except Exception as exc:
            if results is None:  # no connection, or it broke before any unit was settled
                results = [exc for _ in batch]
        metrics.storage_batch(self.dialect_name, len(batch), time.perf_counter() - started)
        self.batches += 1
        self.transactions += len(batch)
        settle(zip((future for _steps, future in batch), results, strict=True))

    async def _together(
        self, con: asyncpg.Connection, units: list[Sequence[Step]]
    ) -> list[Outcome | BaseException]:
        """Every unit of a batch, committed together.

        Units that are one :attr:`~Step.counted` statement alone are grouped by statement,
        and each group is sent as one ``fetchmany``: asyncpg pipelines its executions
        behind one sync message, so the group costs one round trip, and each unit still
        reads its own row count. A ``fetchmany`` is atomic by itself, so a batch of such
        units only needs no ``BEGIN`` and ``COMMIT``: each group commits on its own, and a
        group that fails is run again unit by unit. A batch with other units runs in one
        transaction and raises if any unit fails, having written nothing.
        """
        groups: dict[int, list[int]] = {}
        rest: list[int] = []
        for index, steps in enumerate(units):
            if len(steps) == 1 and steps[0].counted and steps[0].alone_atomic:
                groups.setdefault(id(steps[0].statement), []).append(index)
            else:
                rest.append(index)
        results: list[Outcome | BaseException] = [Outcome(False)] * len(units)
        if not rest:
            # Independent units, each group atomic by itself: no transaction around them.
            for indexes in groups.values():
                if len(indexes) == 1:
                    results[indexes[0]] = await self._alone(con, units[indexes[0]])
                    continue
                try:
                    await self._group(con, units, indexes, results)
                except Exception:  # the group wrote nothing: each of its units alone
                    for index in indexes:
                        results[index] = await self._alone(con, units[index])
            return results
        async with con.transaction():
            for indexes in groups.values():
                await self._group(con, units, indexes, results)
            for index in rest:
                results[index] = await self._unit(con, units[index])
        return results

    async def _group(
        self,
        con: asyncpg.Connection,
        units: list[Sequence[Step]],
        indexes: list[int],
        results: list[Outcome | BaseException],
    ) -> None:
        """Run the units at ``indexes`` (one counted step each, the same statement)."""
        if len(indexes) == 1:
            results[indexes[0]] = await self._unit(con, units[indexes[0]])
            return
        steps = [units[index][0] for index in indexes]
        compiled = self._statements.get(steps[0].statement)
        args = [compiled.args(step.params) for step in steps if isinstance(step.params, Mapping)]
        rows = await con.fetchmany(compiled.text, args)
        for index, step, row in zip(indexes, steps, rows, strict=True):
            count = int(row[0])
            results[index] = Outcome(step.expect is None or count == step.expect, (count,))

    async def _unit(self, con: asyncpg.Connection, steps: Sequence[Step]) -> Outcome:
        counts: list[int] = []
        for step in steps:
            compiled = self._statements.get(step.statement)
            if step.counted and isinstance(step.params, Mapping):
                counts.append(int(await con.fetchval(compiled.text, *compiled.args(step.params))))
            elif isinstance(step.params, Mapping):
                status = await con.execute(compiled.text, *compiled.args(step.params))
                counts.append(_rowcount(status))
            else:
                rows = [compiled.args(p) for p in step.params]
                await con.executemany(compiled.text, rows)
                counts.append(len(rows))
            if step.expect is not None and counts[-1] != step.expect:
                if step.whole and len(steps) == 1:  # it wrote nothing: the batch goes on
                    return Outcome(False, tuple(counts))
                raise _Abort(tuple(counts))
        return Outcome(True, tuple(counts))

    async def _alone(
        self, con: asyncpg.Connection, steps: Sequence[Step]
    ) -> Outcome | BaseException:
        try:
            if len(steps) == 1 and steps[0].alone_atomic:
                # one statement is atomic by itself: one round trip, not BEGIN, it, COMMIT
                return await self._unit(con, steps)
            async with con.transaction():
                return await self._unit(con, steps)
        except _Abort as abort:
            return Outcome(False, abort.counts)
        except asyncpg.IntegrityConstraintViolationError as exc:
            return IntegrityViolation(str(exc))
        except Exception as exc:
            return exc
