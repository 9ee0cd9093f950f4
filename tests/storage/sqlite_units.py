"""The one-row write the SQLite database tests commit: a DPoP proof id (no foreign keys)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import bindparam, insert

from authgate.storage.engine import Step
from authgate.storage.models import DPOP_JTIS

JTIS = DPOP_JTIS
INSERT = insert(JTIS).values(jti_hash=bindparam("h"), expires_at=bindparam("e"))


def unit(name: str) -> list[Step]:
    """A transaction of one step: insert the row ``name``."""
    return [Step(INSERT, {"h": name, "e": 1.0})]


def rows_seen_by_another_connection(path: str) -> set[str]:
    """The rows ``unit`` wrote, as a new connection to the file reads them."""
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT jti_hash FROM dpop_jtis")}
    finally:
        con.close()
