"""authorization details: a request's authorization_details (RFC 9396) kept with codes and tokens

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases, as in 0017 (no batch rebuild of ``tokens``).
    op.add_column(
        "authorization_codes", sa.Column("authorization_details", sa.Text(), nullable=True)
    )
    op.add_column("tokens", sa.Column("authorization_details", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE tokens DROP COLUMN authorization_details")
    op.execute("ALTER TABLE authorization_codes DROP COLUMN authorization_details")
