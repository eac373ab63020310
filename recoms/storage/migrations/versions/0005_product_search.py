"""A text index over the catalogue for product search with typo tolerance: trigrams of each
product's id, title, brand and category.

SQLite: an FTS5 table with the trigram tokenizer, kept in step with ``products`` by triggers.
Its rows are keyed by ``product_search_keys.key`` (an INTEGER PRIMARY KEY, which VACUUM never
renumbers) rather than by the products' own rowid, which VACUUM may renumber in a table keyed
by text. PostgreSQL: pg_trgm (a trusted extension: the database's owner may create it) and a
GIN trigram index over the same document the search reads (``recoms.storage.repositories.
search.PG_DOCUMENT``; the two must stay equal, or the index goes unused).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_DOCUMENT = (
    "lower(products.id || ' ' || products.title || ' ' || products.brand || ' ' "
    "|| products.category::text)"
)

SQLITE_UPGRADE = (
    "CREATE TABLE product_search_keys ("
    " key INTEGER PRIMARY KEY,"
    " product_id VARCHAR(200) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE product_search USING fts5("
    " id, title, brand, category, tokenize = 'trigram')",
    "INSERT INTO product_search_keys (product_id) SELECT id FROM products ORDER BY id",
    "INSERT INTO product_search (rowid, id, title, brand, category)"
    " SELECT k.key, p.id, p.title, p.brand, p.category"
    " FROM products AS p JOIN product_search_keys AS k ON k.product_id = p.id",
    "CREATE TRIGGER product_search_insert AFTER INSERT ON products BEGIN"
    " INSERT INTO product_search_keys (product_id) VALUES (new.id);"
    " INSERT INTO product_search (rowid, id, title, brand, category)"
    " VALUES ((SELECT key FROM product_search_keys WHERE product_id = new.id),"
    " new.id, new.title, new.brand, new.category);"
    " END",
    "CREATE TRIGGER product_search_update AFTER UPDATE OF title, brand, category ON products"
    " BEGIN"
    " UPDATE product_search SET title = new.title, brand = new.brand, category = new.category"
    " WHERE rowid = (SELECT key FROM product_search_keys WHERE product_id = new.id);"
    " END",
    "CREATE TRIGGER product_search_delete AFTER DELETE ON products BEGIN"
    " DELETE FROM product_search"
    " WHERE rowid = (SELECT key FROM product_search_keys WHERE product_id = old.id);"
    " DELETE FROM product_search_keys WHERE product_id = old.id;"
    " END",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS product_search_delete",
    "DROP TRIGGER IF EXISTS product_search_update",
    "DROP TRIGGER IF EXISTS product_search_insert",
    "DROP TABLE IF EXISTS product_search",
    "DROP TABLE IF EXISTS product_search_keys",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        f"CREATE INDEX ix_products_search ON products USING gin (({PG_DOCUMENT}) gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
        return
    op.execute("DROP INDEX IF EXISTS ix_products_search")
