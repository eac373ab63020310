"""A small synthetic grocery whose right answers are known, for the algorithm tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from recoms.algorithms import (
    CatalogView,
    ContactHistory,
    Model,
    OrderHistory,
    build_model,
    recommend,
)
from recoms.domain import (
    Algorithm,
    Availability,
    ContactId,
    DataSource,
    DataSourceId,
    DataSourceParams,
    Product,
    ProductId,
)

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def product(
    pid: str,
    title: str,
    price: str | None,
    category: tuple[str, ...],
    *,
    availability: Availability = Availability.IN_STOCK,
    active: bool = True,
    description: str = "",
) -> Product:
    return Product(
        id=ProductId(pid),
        title=title,
        price=Decimal(price) if price is not None else None,
        category=category,
        availability=availability,
        active=active,
        description=description,
    )


BAKERY = ("Food", "Bakery")
DAIRY = ("Food", "Dairy")
DRINKS = ("Drinks",)

PRODUCTS = (
    product("bread", "White bread loaf", "2.00", BAKERY),
    product("rye", "Rye bread loaf", "2.60", BAKERY),
    product("baguette", "French bread baguette", "2.20", BAKERY),
    product("brioche", "Brioche bread loaf", "2.90", BAKERY),
    product("cake", "Chocolate cake", "9.00", BAKERY),
    product(
        "sourdough", "Sourdough bread loaf", "2.40", BAKERY, availability=Availability.OUT_OF_STOCK
    ),
    product("butter", "Salted butter", "3.00", DAIRY),
    product("cheese", "Cheddar cheese", "5.00", DAIRY),
    product("milk", "Whole milk", "1.20", DAIRY, availability=Availability.OUT_OF_STOCK),
    product("water", "Still water", "0.80", DRINKS),
    product("juice", "Orange juice", "2.50", DRINKS),
    product("retired", "Discontinued bread loaf", "2.10", BAKERY, active=False),
)


def catalog(products: Sequence[Product] = PRODUCTS) -> CatalogView:
    return CatalogView.from_products(products)


# (customer or None for a guest, days before NOW, products). Water is in most baskets (the
# bestseller); bread goes with butter; cheese with baguette; sourdough (now out of stock)
# and the retired loaf were bought with butter too.
ORDERS: tuple[tuple[int | None, int, tuple[str, ...]], ...] = (
    (1, 60, ("bread", "butter")),
    (1, 40, ("bread", "butter", "water")),
    (1, 20, ("bread", "butter")),
    (1, 5, ("bread", "water")),
    (2, 50, ("water",)),
    (2, 30, ("water", "juice")),
    (2, 10, ("water", "juice")),
    (3, 45, ("baguette", "cheese", "water")),
    (3, 15, ("baguette", "cheese")),
    (4, 25, ("bread", "butter", "water")),
    (4, 12, ("sourdough", "butter", "water")),
    (5, 8, ("milk", "water")),
    (5, 3, ("retired", "butter", "water")),
    (6, 35, ("bread", "butter", "cheese")),
    (6, 2, ("rye", "water")),
    (None, 6, ("water",)),
    (None, 4, ("water", "juice")),
    (None, 1, ("water", "bread", "butter")),
    (None, 200, ("cake", "cake")),
)


def history(orders: Sequence[tuple[int | None, int, Sequence[str]]] = ORDERS) -> OrderHistory:
    """The orders as the storage hands them over: column arrays, ids indexed."""
    products: dict[str, int] = {}
    contacts: dict[int, int] = {}
    columns: dict[str, list[int]] = {"order": [], "product": [], "contact": [], "ts": []}
    for number, (customer, days_ago, items) in enumerate(orders):
        for pid in items:
            columns["order"].append(number)
            columns["product"].append(products.setdefault(pid, len(products)))
            columns["contact"].append(
                -1 if customer is None else contacts.setdefault(customer, len(contacts))
            )
            columns["ts"].append(int((NOW - days_ago * DAY).timestamp()))
    return OrderHistory(
        product_ids=[ProductId(pid) for pid in products],
        contact_ids=[ContactId(c) for c in contacts],
        order_index=np.asarray(columns["order"], dtype=np.int64),
        product_index=np.asarray(columns["product"], dtype=np.int32),
        contact_index=np.asarray(columns["contact"], dtype=np.int32),
        timestamp=np.asarray(columns["ts"], dtype=np.int64),
        quantity=np.ones(len(columns["order"]), dtype=np.float32),
    )


def model(
    orders: Sequence[tuple[int | None, int, Sequence[str]]] = ORDERS,
    view: CatalogView | None = None,
) -> Model:
    return build_model(history(orders), view if view is not None else catalog(), now=NOW)


def bought(*items: tuple[str, int]) -> ContactHistory:
    """A contact's history from ``(product, days ago)`` purchases."""
    from recoms.algorithms import Purchase

    return ContactHistory(
        purchases=[Purchase(ProductId(pid), NOW - days * DAY) for pid, days in items]
    )


def ids(*names: str) -> list[ProductId]:
    return [ProductId(name) for name in names]


def ask(
    model: Model,
    catalog: CatalogView,
    algorithm: Algorithm,
    *,
    history: ContactHistory | None = None,
    products: tuple[str, ...] = (),
    category: str | None = None,
    **params: object,
) -> list[ProductId]:
    """The list ``algorithm`` with ``params`` gives for this request, at ``NOW``."""
    return recommend(
        model,
        catalog,
        DataSource(DataSourceId(1), str(algorithm), algorithm, DataSourceParams(**params)),  # type: ignore[arg-type]
        history=history,
        products=ids(*products),
        category=category,
        now=NOW,
    )
