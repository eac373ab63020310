"""Back-in-stock and price-drop alerts, and their deliveries.

Revision ID: bot0006
Revises: bot0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bot0006"
down_revision: str | None = "bot0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bot_alerts",
        sa.Column("id", Serial, primary_key=True, autoincrement=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("price", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(16), nullable=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("telegram_user_id", "product_id", "kind"),
    )
    op.create_index("ix_bot_alerts_product_id", "bot_alerts", ["product_id"])
    op.create_table(
        "bot_alert_deliveries",
        sa.Column("id", Serial, primary_key=True, autoincrement=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("price_then", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(16), nullable=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(36), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_bot_alert_deliveries_telegram_user_id", "bot_alert_deliveries", ["telegram_user_id"]
    )
    op.create_index("ix_bot_alert_deliveries_fired_at", "bot_alert_deliveries", ["fired_at"])
    op.create_index("ix_bot_alert_deliveries_due", "bot_alert_deliveries", ["state", "not_before"])


def downgrade() -> None:
    op.drop_table("bot_alert_deliveries")
    op.drop_table("bot_alerts")
