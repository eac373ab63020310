"""Two more default data sources: Buy again (the contact's repeat purchases only) and New for
you (personal without anything the contact bought).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies, as in 0001: later changes of the defaults never rewrite history.
PARAMS = {
    "limit": 10,
    "in_stock_only": True,
    "exclude_purchased": False,
    "purchased_only": False,
    "window_days": 90,
    "price_ratio_min": 0.7,
    "price_ratio_max": 1.5,
    "product_ids": [],
}
NEW_SOURCES = [
    (7, "Buy again", {**PARAMS, "purchased_only": True}),
    (8, "New for you", {**PARAMS, "exclude_purchased": True}),
]

data_sources = sa.table(
    "data_sources",
    sa.column("id", sa.BigInteger()),
    sa.column("name", sa.String(200)),
    sa.column("algorithm", sa.String(40)),
    sa.column("params", sa.JSON()),
)


def upgrade() -> None:
    # The bot's BOT_LISTS__BUY_AGAIN and BOT_LISTS__NEW_FOR_YOU default to 7 and 8. A shop
    # that made sources of its own under those ids keeps them; its two new ones get the next
    # free ids, and `recoms datasources list` shows which to set.
    bind = op.get_bind()
    taken = set(bind.execute(sa.select(data_sources.c.id)).scalars())
    rows = []
    for wanted, name, params in NEW_SOURCES:
        id_ = wanted
        while id_ in taken:
            id_ = max(taken) + 1
        taken.add(id_)
        rows.append({"id": id_, "name": name, "algorithm": "personal", "params": params})
    op.bulk_insert(data_sources, rows)
    if bind.dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('data_sources', 'id'), "
            "(SELECT MAX(id) FROM data_sources))"
        )


def downgrade() -> None:
    for _, name, _params in NEW_SOURCES:
        op.execute(
            data_sources.delete().where(
                data_sources.c.name == name, data_sources.c.algorithm == "personal"
            )
        )
