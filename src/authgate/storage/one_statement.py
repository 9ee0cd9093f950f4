"""Write units of the authorization code flow as one PostgreSQL statement each.

On PostgreSQL every statement is a round trip to the server, and a unit of several steps
costs two more for its ``BEGIN`` and ``COMMIT``. The two units of every flow (issuing a
code, redeeming it) and the refresh token's rotation are written here as one statement each,
with data-modifying ``WITH`` queries: PostgreSQL runs a single statement atomically, all of
it or none, so a unit alone needs one round trip instead of four. SQLite, in the process,
keeps the plain steps (it has no ``WITH ... INSERT`` and no round trips to save).

Each statement is a ``SELECT`` of one row holding its row count (a :attr:`Step.counted`
step), so that several units of the same statement can be sent together as one pipelined
``fetchmany`` and still each learn what it did (storage/postgres.py).

A guarded unit (:func:`guarded_inserts`) keeps the ``expect`` guard of its steps: the rows
are selected from the guard's ``RETURNING``, so when the guard matches no row nothing is
written, and the count (1 or 0) says so.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)


def suffixed(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The parameters of ``rows`` as one mapping: column ``c`` of row ``i`` is ``c_i``."""
    return {f"{name}_{i}": value for i, row in enumerate(rows) for name, value in row.items()}


@functools.cache
def guarded_inserts(guard: Update, table: Table, count: int) -> Select[Any]:
    """``guard`` (an update of at most one row), then ``count`` rows into ``table`` that are
    written only if the guard updated its row; parameters as :func:`suffixed` names them.

    The statement answers one row: the number of rows the guard updated, 1 when the unit
    applied and 0 when it matched nothing (and nothing was written).
    """
    matched = guard.returning(*guard.table.primary_key.columns).cte("guard")  # type: ignore[attr-defined]
    inserts = [
        insert(table)
        .from_select(
            [c.name for c in table.columns],
            select(*[bindparam(f"{c.name}_{i}", type_=c.type) for c in table.columns]).select_from(
                matched
            ),
        )
        .cte(f"row{i}")
        for i in range(count)
    ]
    # PostgreSQL runs every data-modifying WITH query to completion, read or not.
    return select(func.count()).select_from(matched).add_cte(*inserts)


@functools.cache
def after_insert(first: Insert, then: Insert) -> Select[Any]:
    """``first``, then ``then`` (which does not read ``first``'s rows), as one statement
    answering one row: the number of rows ``then`` inserted."""
    written = then.returning(literal_column("1")).cte("joined")
    return select(func.count()).select_from(written).add_cte(first.cte("first"))
