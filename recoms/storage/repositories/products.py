"""Products of the catalogue: read, upserted from feeds, deactivated, searched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import Availability, Product, ProductId
from recoms.storage.models import ProductRow
from recoms.storage.repositories.common import PRODUCTS, chunked, escape_like

PRODUCT_COLUMNS = tuple(ProductRow.__table__.columns)


def product_from_row(row: ProductRow | Row[Any]) -> Product:
    """A product of its ORM row or of a Core row of every column (``PRODUCT_COLUMNS``)."""
    return Product(
        id=ProductId(row.id),
        title=row.title,
        price=row.price,
        currency=row.currency,
        sale_price=row.sale_price,
        availability=_availability(row.availability),
        description=row.description,
        link=row.link,
        image_link=row.image_link,
        brand=row.brand,
        category=tuple(row.category or ()),
        item_group_id=row.item_group_id,
        tags={str(key): str(value) for key, value in (row.tags or {}).items()},
        active=row.active,
        feed_position=row.feed_position,
    )


def _availability(value: str) -> Availability:
    try:
        return Availability(value)
    except ValueError:
        return Availability.OUT_OF_STOCK


def product_values(product: Product, now: datetime) -> dict[str, Any]:
    """The column values of a product, as Core inserts and updates take them."""
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "link": product.link,
        "image_link": product.image_link,
        "availability": str(product.availability),
        "price": product.price,
        "sale_price": product.sale_price,
        "currency": product.currency,
        "brand": product.brand,
        "category": list(product.category),
        "item_group_id": product.item_group_id,
        "tags": dict(product.tags),
        "active": product.active,
        "feed_position": product.feed_position,
        "updated_at": now,
    }


class ProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_many(self, product_ids: Sequence[ProductId]) -> dict[ProductId, Product]:
        found: dict[ProductId, Product] = {}
        unique = list(dict.fromkeys(product_ids))
        for chunk in chunked(unique):
            rows = await self.session.scalars(select(ProductRow).where(ProductRow.id.in_(chunk)))
            for row in rows:
                found[ProductId(row.id)] = product_from_row(row)
        return found

    async def existing_ids(self, product_ids: Sequence[ProductId]) -> set[ProductId]:
        found: set[ProductId] = set()
        unique = list(dict.fromkeys(product_ids))
        for chunk in chunked(unique):
            ids = await self.session.scalars(select(ProductRow.id).where(ProductRow.id.in_(chunk)))
            found.update(ProductId(product_id) for product_id in ids)
        return found

    async def all(self, *, active_only: bool = False) -> list[Product]:
        """Every product (the active ones), by id: Core rows a partition at a time."""
        query = select(*PRODUCT_COLUMNS).order_by(ProductRow.id)
        if active_only:
            query = query.where(ProductRow.active.is_(True))
        result = await self.session.stream(query.execution_options(yield_per=5000))
        # By partition: a row at a time would switch greenlets once per row.
        return [product_from_row(row) async for rows in result.partitions() for row in rows]

    async def upsert(self, products: Sequence[Product], now: datetime) -> tuple[int, int]:
        """Insert new products and rewrite changed ones; returns (created, updated)."""
        existing = await self.get_many([product.id for product in products])
        new: dict[ProductId, dict[str, Any]] = {}
        changed: dict[ProductId, dict[str, Any]] = {}
        for product in products:
            before = existing.get(product.id)
            if before is None:
                new[product.id] = product_values(product, now)
            elif before != product:
                # Decimal equality ignores scale: a feed's "67.00" does not rewrite a stored 67.
                changed[product.id] = product_values(product, now)
        if new:
            await self.session.execute(insert(PRODUCTS), list(new.values()))
        if changed:
            # ORM bulk UPDATE by primary key: one executemany.
            await self.session.execute(update(ProductRow), list(changed.values()))
        return len(new), len(changed)

    async def insert_new(self, products: Sequence[Product], now: datetime) -> None:
        """Insert products known not to exist yet."""
        if products:
            await self.session.execute(
                insert(PRODUCTS), [product_values(product, now) for product in products]
            )

    async def update_prices(
        self, prices: Mapping[ProductId, tuple[str, Decimal | None, str | None]], now: datetime
    ) -> None:
        """Set title, price and currency of products created from orders, by id."""
        if prices:
            await self.session.execute(
                update(ProductRow),
                [
                    {"id": pid, "title": title, "price": price, "currency": currency}
                    | {"updated_at": now}
                    for pid, (title, price, currency) in prices.items()
                ],
            )

    async def deactivate_except(self, keep: set[ProductId], now: datetime) -> int:
        """Deactivate every active product whose id is not in ``keep``; returns how many."""
        active = await self.session.scalars(
            select(ProductRow.id).where(ProductRow.active.is_(True))
        )
        gone = [product_id for product_id in active if product_id not in keep]
        for chunk in chunked(gone):
            await self.session.execute(
                update(ProductRow)
                .where(ProductRow.id.in_(chunk))
                .values(active=False, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        return len(gone)

    async def search(self, query: str, limit: int, offset: int = 0) -> list[Product]:
        """Active products whose id, title or brand holds ``query`` literally (any case), by
        title then id."""
        pattern = f"%{escape_like(query.lower())}%"
        rows = await self.session.scalars(
            select(ProductRow)
            .where(
                ProductRow.active.is_(True),
                or_(
                    func.lower(ProductRow.id).like(pattern, escape="\\"),
                    func.lower(ProductRow.title).like(pattern, escape="\\"),
                    func.lower(ProductRow.brand).like(pattern, escape="\\"),
                ),
            )
            .order_by(ProductRow.title, ProductRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [product_from_row(row) for row in rows]

    async def counts(self) -> tuple[int, int]:
        """(active products, active products a customer can buy now)."""
        in_stock = [str(value) for value in Availability if value.in_stock]
        total = await self.session.scalar(
            select(func.count()).select_from(ProductRow).where(ProductRow.active.is_(True))
        )
        buyable = await self.session.scalar(
            select(func.count())
            .select_from(ProductRow)
            .where(ProductRow.active.is_(True), ProductRow.availability.in_(in_stock))
        )
        return int(total or 0), int(buyable or 0)
