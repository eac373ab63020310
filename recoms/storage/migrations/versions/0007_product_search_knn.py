"""PostgreSQL's product search index as GiST: it hands out the products nearest to a word
first (``ORDER BY word <<-> document LIMIT n``), so a word thousands of products share costs a
few milliseconds, where the GIN index of 0005 found them all and had each one's similarity
computed. SQLite's FTS5 table stays as it is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_DOCUMENT = (
    "lower(products.id || ' ' || products.title || ' ' || products.brand || ' ' "
    "|| products.category::text)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE INDEX ix_products_search_knn ON products USING gist (({PG_DOCUMENT}) "
        "gist_trgm_ops)"
    )
    op.execute("DROP INDEX IF EXISTS ix_products_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE INDEX ix_products_search ON products USING gin (({PG_DOCUMENT}) gin_trgm_ops)"
    )
    op.execute("DROP INDEX IF EXISTS ix_products_search_knn")
