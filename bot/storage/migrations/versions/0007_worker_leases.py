"""A lease per job that one process at a time runs (the alert worker).

Revision ID: bot0007
Revises: bot0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bot0007"
down_revision: str | None = "bot0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_worker_leases",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(36), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bot_worker_leases")
