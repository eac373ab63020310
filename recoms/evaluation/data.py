"""Order lines read from an export, split at a date into what the engine learns from and what
the customers bought next."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recoms.algorithms import CatalogView, ContactHistory, OrderHistory, Purchase
from recoms.domain import ContactId, Product, ProductId
from recoms.importing.orders import OrderRow, Skipped, read_orders


@dataclass(frozen=True, eq=False)
class OrderLog:
    """Clean order lines, column-wise. ``order``, ``product`` and ``customer`` index
    ``order_ids``, ``product_ids`` and ``customer_ids`` (``customer`` -1: anonymous);
    ``timestamp`` is Unix seconds; ``price`` is the line's unit price (nan: none); ``name``
    indexes ``names``, the distinct product names (-1: none)."""

    order_ids: Sequence[str]
    product_ids: Sequence[ProductId]
    customer_ids: Sequence[str]
    order: npt.NDArray[np.int64]
    product: npt.NDArray[np.int64]
    customer: npt.NDArray[np.int64]
    timestamp: npt.NDArray[np.int64]
    quantity: npt.NDArray[np.float32]
    price: npt.NDArray[np.float64]
    name: npt.NDArray[np.int32]
    names: Sequence[str]
    skipped: Mapping[str, int] = field(default_factory=dict)
    rejected: int = 0

    @property
    def n_lines(self) -> int:
        return int(self.order.size)

    def select(self, mask: npt.NDArray[np.bool_]) -> OrderLog:
        """The lines where ``mask`` is true (the id lists stay whole)."""
        return OrderLog(
            order_ids=self.order_ids,
            product_ids=self.product_ids,
            customer_ids=self.customer_ids,
            order=self.order[mask],
            product=self.product[mask],
            customer=self.customer[mask],
            timestamp=self.timestamp[mask],
            quantity=self.quantity[mask],
            price=self.price[mask],
            name=self.name[mask],
            names=self.names,
            skipped=self.skipped,
            rejected=self.rejected,
        )


def load_orders(path: Path, columns: Mapping[str, str] | None = None) -> OrderLog:
    """Read an order export the way ``recoms import-orders`` does: cancellations, returns,
    non-product lines and bad lines are left out (and counted)."""
    orders: dict[str, int] = {}
    products: dict[ProductId, int] = {}
    customers: dict[str, int] = {}
    order: list[int] = []
    product: list[int] = []
    customer: list[int] = []
    timestamp: list[int] = []
    quantity: list[float] = []
    price: list[float] = []
    name: list[int] = []
    names: dict[str, int] = {}
    skipped: Counter[str] = Counter()
    rejected = 0
    for row in read_orders(path, columns):
        if isinstance(row, OrderRow):
            order.append(orders.setdefault(row.order_id, len(orders)))
            product.append(products.setdefault(row.product_id, len(products)))
            who = row.external_customer_id
            customer.append(-1 if who is None else customers.setdefault(who, len(customers)))
            timestamp.append(int(row.ordered_at.timestamp()))
            quantity.append(float(row.quantity))
            price.append(math.nan if row.price is None else float(row.price))
            name.append(names.setdefault(row.product_name, len(names)) if row.product_name else -1)
        elif isinstance(row, Skipped):
            skipped[row.reason] += 1
        else:
            rejected += 1
    return OrderLog(
        order_ids=list(orders),
        product_ids=list(products),
        customer_ids=list(customers),
        order=np.asarray(order, dtype=np.int64),
        product=np.asarray(product, dtype=np.int64),
        customer=np.asarray(customer, dtype=np.int64),
        timestamp=np.asarray(timestamp, dtype=np.int64),
        quantity=np.asarray(quantity, dtype=np.float32),
        price=np.asarray(price, dtype=np.float64),
        name=np.asarray(name, dtype=np.int32),
        names=list(names),
        skipped=dict(skipped),
        rejected=rejected,
    )


@dataclass(frozen=True, eq=False)
class TrainingSet:
    """What the engine would hold at the split: its order history and catalogue (every product
    ordered before the split, in stock), and the ``log`` index of each history product."""

    history: OrderHistory
    catalog: CatalogView
    log_product: npt.NDArray[np.int64]


def training_set(train: OrderLog) -> TrainingSet:
    """Order history and catalogue from the training lines; customers become contacts
    numbered as in the log (contact id = log customer index)."""
    used = np.unique(train.product)
    position = np.full(len(train.product_ids), -1, dtype=np.int64)
    position[used] = np.arange(used.size)
    _, order_index = np.unique(train.order, return_inverse=True)
    product_ids = [train.product_ids[i] for i in used.tolist()]
    history = OrderHistory(
        product_ids=product_ids,
        contact_ids=[ContactId(i) for i in range(len(train.customer_ids))],
        order_index=order_index.astype(np.int64),
        product_index=position[train.product].astype(np.int32),
        contact_index=train.customer.astype(np.int32),
        timestamp=train.timestamp,
        quantity=train.quantity,
    )
    # Each product as its latest line before the split describes it, as an import would.
    latest = np.lexsort((train.timestamp, train.product))
    last = latest[np.r_[train.product[latest][1:] != train.product[latest][:-1], True]]
    described = dict(zip(train.product[last].tolist(), last.tolist(), strict=True))
    products = []
    for index, product_id in zip(used.tolist(), product_ids, strict=True):
        line = described[index]
        name, price = int(train.name[line]), float(train.price[line])
        products.append(
            Product(
                id=product_id,
                title=train.names[name] if name >= 0 else product_id,
                price=None if math.isnan(price) else Decimal(str(price)),
            )
        )
    catalog = CatalogView.from_products(products)
    return TrainingSet(history=history, catalog=catalog, log_product=used)


def contact_histories(train: OrderLog, customers: npt.NDArray[np.int64]) -> list[ContactHistory]:
    """Each customer's training purchases, oldest first, as the service would read them."""
    named = train.select(np.isin(train.customer, customers))
    order = np.lexsort((named.timestamp, named.customer))
    customer = named.customer[order]
    starts = np.searchsorted(customer, customers, side="left")
    stops = np.searchsorted(customer, customers, side="right")
    product = named.product[order].tolist()
    moment = named.timestamp[order].tolist()
    quantity = named.quantity[order].tolist()
    histories = []
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        histories.append(
            ContactHistory(
                purchases=[
                    Purchase(
                        train.product_ids[product[i]],
                        datetime.fromtimestamp(moment[i], UTC),
                        quantity[i],
                    )
                    for i in range(start, stop)
                ]
            )
        )
    return histories


def order_log(history: OrderHistory) -> OrderLog:
    """The engine's order history as an export's log (no prices or names: a catalogue made
    from it by ``training_set`` names products by id), so that a rebuild scores lists on its
    own orders exactly as an export is scored. Customers keep the history's contact
    indices."""
    n_orders = int(history.order_index.max()) + 1 if history.n_lines else 0
    return OrderLog(
        order_ids=[str(i) for i in range(n_orders)],
        product_ids=list(history.product_ids),
        customer_ids=[str(contact) for contact in history.contact_ids],
        order=history.order_index.astype(np.int64),
        product=history.product_index.astype(np.int64),
        customer=history.contact_index.astype(np.int64),
        timestamp=history.timestamp.astype(np.int64),
        quantity=history.quantity,
        price=np.full(history.n_lines, math.nan),
        name=np.full(history.n_lines, -1, dtype=np.int32),
        names=[],
    )
