"""initial access tokens for dynamic client registration (RFC 7591 §3)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 15:20:00

Tokens are kept as the hash of their value; ``uses`` is counted with a guarded update, so a
token with one use left registers one client however many instances race for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "initial_access_tokens",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_initial_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_initial_access_tokens_token_hash")),
    )
    with op.batch_alter_table("initial_access_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_initial_access_tokens_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("initial_access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initial_access_tokens_expires_at"))
    op.drop_table("initial_access_tokens")
