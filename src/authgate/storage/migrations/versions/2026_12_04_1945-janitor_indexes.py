"""janitor indexes: tokens by purge time and rotated tokens; no unused per-flow indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:45:00

The janitor's token purge (``coalesce(grant_expires_at, expires_at) < ?``) and the wipe of
sealed successors (``successor IS NOT NULL AND used_at < ?``) scanned the whole tokens table:
with 1,000,000 tokens, about half a second during which the writer waits. An expression
index and a partial index answer them. ``ix_tokens_expires_at`` served no query (the purge
compares the coalesced time) and ``ix_authorization_codes_grant_id`` none either; each was
one more B-tree page written per flow.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROTATED = sa.text("successor IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_tokens_expires_at", table_name="tokens")
    op.drop_index("ix_authorization_codes_grant_id", table_name="authorization_codes")
    op.create_index(
        "ix_tokens_purge_after", "tokens", [sa.text("coalesce(grant_expires_at, expires_at)")]
    )
    op.create_index(
        "ix_tokens_rotated",
        "tokens",
        ["used_at"],
        sqlite_where=ROTATED,
        postgresql_where=ROTATED,
    )


def downgrade() -> None:
    op.drop_index("ix_tokens_rotated", table_name="tokens")
    op.drop_index("ix_tokens_purge_after", table_name="tokens")
    op.create_index(
        "ix_authorization_codes_grant_id", "authorization_codes", ["grant_id"], unique=False
    )
    op.create_index("ix_tokens_expires_at", "tokens", ["expires_at"], unique=False)
