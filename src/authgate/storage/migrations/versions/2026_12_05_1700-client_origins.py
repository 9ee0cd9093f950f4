"""client_origins: the web origins each client registered, indexed for CORS on error answers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from authgate.core.origins import client_origins, listed_origins

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _origins(metadata: Any) -> list[str]:
    data = json.loads(metadata) if isinstance(metadata, str | bytes) else metadata
    if not isinstance(data, dict):
        return []
    uris = [u for u in data.get("redirect_uris") or [] if isinstance(u, str)]
    authorized = [o for o in data.get("authorized_origins") or [] if isinstance(o, str)]
    return listed_origins(client_origins(uris, authorized))


def upgrade() -> None:
    table = op.create_table(
        "client_origins",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_client_origins_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "origin", name=op.f("pk_client_origins")),
    )
    with op.batch_alter_table("client_origins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_origins_origin"), ["origin"], unique=False)
    clients = sa.table("clients", sa.column("client_id", sa.String), sa.column("metadata", sa.JSON))
    rows = [
        {"client_id": client_id, "origin": origin}
        for client_id, metadata in op.get_bind().execute(
            sa.select(clients.c.client_id, clients.c.metadata)
        )
        for origin in _origins(metadata)
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table("client_origins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_origins_origin"))
    op.drop_table("client_origins")
