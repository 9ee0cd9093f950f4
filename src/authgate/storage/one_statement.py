"""Write units of the authorization code flow as one PostgreSQL statement each.

On PostgreSQL every statement is a round trip to the server, and a unit of several steps
costs two more for its ``BEGIN`` and ``COMMIT``. The two units of every flow (issuing a
code, redeeming it) and the refresh token's rotation are written here as one statement each,
with data-modifying ``WITH`` queries: PostgreSQL runs a single statement atomically, all of
it or none, so a unit alone needs one round trip instead of four. SQLite, in the process,
keeps the plain steps (it has no ``WITH ... INSERT`` and no round trips to save).

A guarded unit (:func:`guarded_inserts`) keeps the ``expect`` guard of its steps: the rows
are selected from the guard's ``RETURNING``, so when the guard matches no row nothing is
written, and the statement's row count (its last insert's, 1 or 0) says so.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, Table, Update, bindparam, insert, select


def suffixed(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The parameters of ``rows`` as one mapping: column ``c`` of row ``i`` is ``c_i``."""
    return {f"{name}_{i}": value for i, row in enumerate(rows) for name, value in row.items()}


@functools.cache
def guarded_inserts(guard: Update, table: Table, count: int) -> Insert:
    """``guard`` (an update of at most one row), then ``count`` rows into ``table`` that are
    written only if the guard updated its row; parameters as :func:`suffixed` names them.

    The statement's row count is its last insert's: 1 when the unit applied, 0 when the
    guard matched nothing (and nothing was written).
    """
    matched = guard.returning(*guard.table.primary_key.columns).cte("guard")  # type: ignore[attr-defined]
    inserts = [
        insert(table).from_select(
            [c.name for c in table.columns],
            select(*[bindparam(f"{c.name}_{i}", type_=c.type) for c in table.columns]).select_from(
                matched
            ),
        )
        for i in range(count)
    ]
    statement = inserts[-1].add_cte(matched)
    for i, earlier in enumerate(inserts[:-1]):
        statement = statement.add_cte(earlier.cte(f"row{i}"))
    return statement


@functools.cache
def after_insert(first: Insert, then: Insert) -> Insert:
    """``first``, then ``then``, as one statement (``then`` does not read ``first``'s rows)."""
    return then.add_cte(first.cte("first"))
