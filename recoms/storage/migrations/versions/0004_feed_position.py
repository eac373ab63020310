"""Where each product stands in the shop's feed, so a shop without orders yet has bestsellers
in its own feed's order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("products", sa.Column("feed_position", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("products", "feed_position")
