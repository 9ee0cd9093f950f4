"""The database access layer under the stores: the :class:`Database` protocol, write units.

Statements are SQLAlchemy Core, compiled once per dialect (:class:`StatementCache`) and run
straight through the driver (``sqlite3`` or ``asyncpg``). A write is a list of :class:`Step`
run as one unit; a step with ``expect`` guards it: if its row count differs, nothing of the
unit is written and :class:`Outcome` says so (single use of codes and refresh tokens rests on
this). docs/architecture.md §5.1 and §5.2.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class Row(Protocol):
    def __getitem__(self, key: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Compiled:
    """SQL text for one dialect and the order of its named parameters."""

    text: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """Positional arguments; literals written into the statement (``limit(2)``) fill in."""
        if not self.defaults:
            return tuple(params[name] for name in self.names)
        return tuple(params[name] if name in params else self.defaults[name] for name in self.names)


class StatementCache:
    """Compiles each SQLAlchemy statement once for a dialect.

    One per dialect and process (storage/sqlite.py, storage/postgres.py): the stores'
    statements are module constants or come from cached builders, so the cache holds each
    once, and a database opened again in the same process compiles nothing again."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._cache: dict[int, tuple[ClauseElement, Compiled]] = {}

    def get(self, statement: ClauseElement) -> Compiled:
        hit = self._cache.get(id(statement))
        if hit is not None and hit[0] is statement:
            return hit[1]
        compiled = statement.compile(dialect=self._dialect)
        assert isinstance(compiled, SQLCompiler)
        defaults = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        result = Compiled(str(compiled), tuple(compiled.positiontup or ()), defaults)
        self._cache[id(statement)] = (statement, result)
        return result


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a transaction.

    Args:
        statement: A SQLAlchemy Core statement with named ``bindparam`` values.
        params: One parameter mapping, or a sequence of them (executemany).
        expect: If set, the transaction applies only when this step's row count equals it.
        whole: The statement writes nothing unless its row count is ``expect``
            (:mod:`authgate.storage.one_statement`), so a unit of this step alone needs no
            transaction around it. A single step without ``expect`` needs none either.
        counted: The statement answers one row holding its row count, instead of a command
            status (the PostgreSQL forms of :mod:`authgate.storage.one_statement`), so that
            units of the same such statement can be sent together (storage/postgres.py).
    """

    statement: ClauseElement
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] = field(default_factory=dict)
    expect: int | None = None
    whole: bool = False
    counted: bool = False

    @property
    def alone_atomic(self) -> bool:
        """Whether a unit of this step alone is atomic without ``BEGIN`` and ``COMMIT``: one
        statement, and a row count other than ``expect`` means it wrote nothing."""
        return isinstance(self.params, Mapping) and (self.expect is None or self.whole)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a transaction did: ``applied`` is False when a guard failed (nothing written)."""

    applied: bool
    rowcounts: tuple[int, ...] = ()


class Database(Protocol):
    """Direct, precompiled access to SQLite or PostgreSQL."""

    dialect_name: str

    async def fetch_one(
        self, statement: ClauseElement, params: Mapping[str, Any]
    ) -> Row | None: ...

    async def fetch_all(self, statement: ClauseElement, params: Mapping[str, Any]) -> list[Row]: ...

    async def transact(self, steps: Sequence[Step]) -> Outcome:
        """Run the steps atomically.

        Raises:
            IntegrityViolation: a unique or foreign key constraint failed (nothing written).
        """
        ...

    async def close(self) -> None: ...


class IntegrityViolation(Exception):
    """A constraint failed; the driver's own exception is mapped to this one."""


#: A waiting caller of ``transact`` and what its unit came to.
Settlement = tuple[asyncio.Future[Outcome], Outcome | BaseException]


def settle(pairs: Iterable[Settlement]) -> None:
    """Hand each waiting caller of a batch its unit's outcome or exception; callers that have
    given up (cancelled) are skipped, their unit's result stands."""
    for future, result in pairs:
        if future.cancelled():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
