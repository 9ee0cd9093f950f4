"""claims parameter: the request's claims (OIDC Core §5.5) kept with codes and tokens

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: a batch (copy-and-move) rebuild of ``tokens`` on
    # SQLite would have to reflect its expression index, which SQLAlchemy cannot.
    op.add_column("authorization_codes", sa.Column("claims", sa.Text(), nullable=True))
    op.add_column("tokens", sa.Column("claims", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN: PostgreSQL, and SQLite since 3.35
    op.execute("ALTER TABLE tokens DROP COLUMN claims")
    op.execute("ALTER TABLE authorization_codes DROP COLUMN claims")
