"""What a rebuild's tuning chose for its model, and the holdout scores behind the choice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("model_snapshots", sa.Column("tuning", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("model_snapshots", "tuning")
