"""The bot's tables: users, staff, audit log, product refs.

Revision ID: bot0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bot0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bot_users",
        sa.Column("telegram_user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("linked_at", Time, nullable=True),
        sa.Column("blocked_at", Time, nullable=True),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "bot_staff",
        sa.Column("telegram_user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", Time, nullable=False),
    )
    op.create_table(
        "bot_audit",
        sa.Column("id", Serial, primary_key=True, autoincrement=True),
        sa.Column("at", Time, nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_bot_audit_at", "bot_audit", ["at"])
    op.create_table(
        "bot_product_refs",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("product_id", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bot_product_refs")
    op.drop_index("ix_bot_audit_at", table_name="bot_audit")
    op.drop_table("bot_audit")
    op.drop_table("bot_staff")
    op.drop_table("bot_users")
