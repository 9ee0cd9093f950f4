"""device_authorizations: device authorization requests (RFC 8628)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 16:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_authorizations",
        sa.Column("device_code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("poll_interval", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_polled_at", sa.Float(), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("auth_time", sa.BigInteger(), nullable=True),
        sa.Column("acr", sa.String(length=255), nullable=True),
        sa.Column("amr", sa.String(length=255), nullable=False),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("device_code_hash", name=op.f("pk_device_authorizations")),
        sa.UniqueConstraint("user_code_hash", name=op.f("uq_device_authorizations_user_code_hash")),
    )
    with op.batch_alter_table("device_authorizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_authorizations_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("device_authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_authorizations_expires_at"))
    op.drop_table("device_authorizations")
