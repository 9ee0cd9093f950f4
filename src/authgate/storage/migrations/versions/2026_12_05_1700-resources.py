"""resources: RFC 8707 resource indicators on codes and tokens, RFC 8693 actor chains

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode: SQLite (3.35+) adds and drops these unindexed columns in
# place, and a batch rebuild of ``tokens`` would lose its expression index
# (``ix_tokens_purge_after``), which SQLAlchemy cannot reflect.


def upgrade() -> None:
    op.add_column("authorization_codes", sa.Column("resource", sa.Text(), nullable=True))
    op.add_column("tokens", sa.Column("audience", sa.Text(), nullable=True))
    op.add_column("tokens", sa.Column("act", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("tokens", "act")
    op.drop_column("tokens", "audience")
    op.drop_column("authorization_codes", "resource")
