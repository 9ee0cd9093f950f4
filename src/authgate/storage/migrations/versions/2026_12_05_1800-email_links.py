"""email_links: mailed self-service links; users looked up by address, self_registered

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_links",
        sa.Column("link_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("link_hash", name=op.f("pk_email_links")),
    )
    with op.batch_alter_table("email_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_links_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_links_expires_at"), ["expires_at"], unique=False)
    op.create_index(
        "ix_email_links_email_lower",
        "email_links",
        [sa.text("lower(email)"), "created_at"],
        unique=False,
    )
    op.create_index("ix_users_email_lower", "users", [sa.text("lower(email)")], unique=False)
    # Plain ALTER TABLE (a new nullable column) on both databases: no batch rebuild of users.
    op.add_column("users", sa.Column("self_registered", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_users_email_lower", table_name="users")  # before the batch rebuild
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("self_registered")
    op.drop_index("ix_email_links_email_lower", table_name="email_links")
    with op.batch_alter_table("email_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_links_expires_at"))
        batch_op.drop_index(batch_op.f("ix_email_links_user_id"))
    op.drop_table("email_links")
