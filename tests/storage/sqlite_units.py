"""The one-row write the SQLite database tests commit: a DPoP proof id (no foreign keys)."""

from __future__ import annotations

from sqlalchemy import bindparam, insert

from authgate.storage.engine import Step
from authgate.storage.models import DPoPJtiRow, table_of

JTIS = table_of(DPoPJtiRow)
INSERT = insert(JTIS).values(jti_hash=bindparam("h"), expires_at=bindparam("e"))


def unit(name: str) -> list[Step]:
    """A transaction of one step: insert the row ``name``."""
    return [Step(INSERT, {"h": name, "e": 1.0})]
