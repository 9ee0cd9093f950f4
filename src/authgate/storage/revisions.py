"""The schema revisions of this version of authgate, known without loading Alembic.

Alembic reads every migration script to learn them, which costs a start of ``authgate
serve`` and of every admin command more than a third of a second of CPU on a database that
is already at its revision. The list is kept here instead, in the order the migrations
apply; tests/storage/test_revisions.py fails when it differs from the scripts in
``migrations/versions``.
"""

from __future__ import annotations

#: Every revision, oldest first (no migration has the numbers 0007 and 0019).
REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
    "0015",
    "0016",
    "0017",
    "0018",
    "0020",
    "0021",
    "0022",
)

#: The revision this version of authgate needs: the newest migration.
HEAD = REVISIONS[-1]
