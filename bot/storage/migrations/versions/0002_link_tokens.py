"""Single-use deep-link tokens; the Telegram name of a linked user; audit entries by target.

Revision ID: bot0002
Revises: bot0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bot0002"
down_revision: str | None = "bot0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bot_link_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("minted_by", sa.BigInteger(), nullable=True),
        sa.Column("redeemed_at", Time, nullable=True),
        sa.Column("redeemed_by", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_bot_link_tokens_expires_at", "bot_link_tokens", ["expires_at"])
    with op.batch_alter_table("bot_users") as users:
        users.add_column(sa.Column("first_name", sa.String(128), nullable=True))
        users.add_column(sa.Column("username", sa.String(64), nullable=True))
    op.create_index("ix_bot_audit_target", "bot_audit", ["target"])


def downgrade() -> None:
    op.drop_index("ix_bot_audit_target", table_name="bot_audit")
    with op.batch_alter_table("bot_users") as users:
        users.drop_column("username")
        users.drop_column("first_name")
    op.drop_index("ix_bot_link_tokens_expires_at", table_name="bot_link_tokens")
    op.drop_table("bot_link_tokens")
