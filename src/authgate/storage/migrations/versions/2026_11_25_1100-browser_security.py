"""browser security: DPoP bindings and jti cache, PAR requests, key activation, leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dpop_jtis",
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("jti_hash", name=op.f("pk_dpop_jtis")),
    )
    with op.batch_alter_table("dpop_jtis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dpop_jtis_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "par_requests",
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("request_hash", name=op.f("pk_par_requests")),
    )
    with op.batch_alter_table("par_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_par_requests_expires_at"), ["expires_at"], unique=False
        )

    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jkt", sa.String(length=64), nullable=True))
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activates_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_column("activates_at")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_column("jkt")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("dpop_jkt")
    with op.batch_alter_table("par_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_par_requests_expires_at"))
    op.drop_table("par_requests")
    op.drop_table("leases")
    with op.batch_alter_table("dpop_jtis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dpop_jtis_expires_at"))
    op.drop_table("dpop_jtis")
