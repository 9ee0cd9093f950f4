"""instances: the change log shared by the workers of one SQLite file, and back-channel
logout deliveries kept until they are delivered or given up

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_log")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_log_at"), ["at"], unique=False)
    op.create_table(
        "logout_deliveries",
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("logout_token", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_logout_deliveries")),
    )
    with op.batch_alter_table("logout_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_logout_deliveries_due_at"), ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("logout_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logout_deliveries_due_at"))
    op.drop_table("logout_deliveries")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_log_at"))
    op.drop_table("change_log")
