"""Click-through per list: cards shown in the chat and shop links followed; and the keys the
engine makes for itself (the click-signing key).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "list_events",
        sa.Column("id", Id64, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("list_name", sa.String(40), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column(
            "contact_id", Id64, sa.ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("product_id", sa.String(200), nullable=False),
    )
    op.create_index("ix_list_events_time", "list_events", ["occurred_at", "list_name", "action"])
    op.create_table(
        "engine_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("engine_secrets")
    op.drop_index("ix_list_events_time", table_name="list_events")
    op.drop_table("list_events")
