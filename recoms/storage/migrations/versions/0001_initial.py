"""Initial schema and the six default data sources.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types, so later model changes never rewrite history.
Id64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(precision=14, scale=2)
Quantity = sa.Numeric(precision=14, scale=3)
Time = sa.DateTime(timezone=True)

DEFAULT_PARAMS = {
    "limit": 10,
    "in_stock_only": True,
    "exclude_purchased": False,
    "window_days": 90,
    "price_ratio_min": 0.7,
    "price_ratio_max": 1.5,
    "product_ids": [],
}
DEFAULT_DATA_SOURCES = [
    (1, "For you", "personal"),
    (2, "Bestsellers", "bestsellers"),
    (3, "Also bought", "also_bought"),
    (4, "You may also like", "you_may_also_like"),
    (5, "Alternatives", "alternatives"),
    (6, "Our picks", "other"),
]


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("external_id"),
        sa.UniqueConstraint("phone"),
        sa.UniqueConstraint("telegram_user_id"),
    )
    data_sources = op.create_table(
        "data_sources",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("algorithm", sa.String(40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "engine_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "model_snapshots",
        sa.Column("version", Id64, autoincrement=True, nullable=False),
        sa.Column("built_at", Time, nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("image_link", sa.Text(), nullable=False),
        sa.Column("availability", sa.String(32), nullable=False),
        sa.Column("price", Money, nullable=True),
        sa.Column("sale_price", Money, nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("category", sa.JSON(), nullable=False),
        sa.Column("item_group_id", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_products_active", "products", ["active"])
    op.create_table(
        "cart_lines",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("contact_id", Id64, nullable=True),
        sa.Column("web_id", sa.String(200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(200), nullable=False),
        sa.Column("quantity", Quantity, nullable=False),
        sa.Column("price", Money, nullable=True),
        sa.Column("updated_at", Time, nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cart_lines_contact", "cart_lines", ["contact_id"])
    op.create_index("ix_cart_lines_web_id", "cart_lines", ["web_id"])
    op.create_table(
        "events",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("contact_id", Id64, nullable=True),
        sa.Column("web_id", sa.String(200), nullable=True),
        sa.Column("occurred_at", Time, nullable=False),
        sa.Column("product_id", sa.String(200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_events_contact_name_time", "events", ["contact_id", "name", "occurred_at"]
    )
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"])
    op.create_index("ix_events_web_id", "events", ["web_id"])
    op.create_table(
        "orders",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(200), nullable=False),
        sa.Column("contact_id", Id64, nullable=True),
        sa.Column("ordered_at", Time, nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_orders_contact_id", "orders", ["contact_id"])
    op.create_index("ix_orders_ordered_at", "orders", ["ordered_at"])
    op.create_table(
        "web_ids",
        sa.Column("web_id", sa.String(200), nullable=False),
        sa.Column("contact_id", Id64, nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("web_id"),
    )
    op.create_index("ix_web_ids_contact_id", "web_ids", ["contact_id"])
    op.create_table(
        "order_lines",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("order_id", Id64, nullable=False),
        sa.Column("product_id", sa.String(200), nullable=False),
        sa.Column("quantity", Quantity, nullable=False),
        sa.Column("price", Money, nullable=True),
        # No foreign keys: see OrderLineRow (PostgreSQL checks them row by row).
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])
    op.create_index("ix_order_lines_product_id", "order_lines", ["product_id"])

    op.bulk_insert(
        data_sources,
        [
            {"id": id_, "name": name, "algorithm": algorithm, "params": DEFAULT_PARAMS}
            for id_, name, algorithm in DEFAULT_DATA_SOURCES
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        # Rows inserted with explicit ids leave the id sequence behind; move it past them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('data_sources', 'id'), "
            "(SELECT MAX(id) FROM data_sources))"
        )


def downgrade() -> None:
    for table in (
        "order_lines",
        "web_ids",
        "orders",
        "events",
        "cart_lines",
        "products",
        "model_snapshots",
        "engine_state",
        "data_sources",
        "contacts",
    ):
        op.drop_table(table)
