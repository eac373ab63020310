"""Synthetic shops whose structure is known, to check that tuning finds it.

Regimes real shops differ in: a grocery, where most purchases are a few hundred
bestsellers, customers restock their own staples every week and what they try next is what
sells now (a few products are in season, their sales rising towards the end); and a gift
wholesaler, with a long catalogue of themed collections, orders a month apart that take
several products of one of the customer's themes, and almost no product bought twice. And
a fashion shop where new products come out every day and sell for a few weeks: what sells
next is what sold lately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from recoms.algorithms import OrderHistory
from recoms.domain import ContactId, ProductId

_DAY = 86_400
START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Grocery:
    """``bestsellers`` of ``products`` take ``head_share`` of the extra items (Zipf-ranked);
    each customer has ``staples`` of them, each restocked with ``restock`` chance per weekly
    order, plus ``extras`` items drawn by today's popularity, where ``seasonal`` bestsellers
    gain ``season_boost`` times their weight over the last ``season_days``."""

    customers: int = 250
    products: int = 1000
    bestsellers: int = 200
    days: int = 120
    staples: int = 6
    restock: float = 0.7
    extras: int = 3
    head_share: float = 0.9
    seasonal: int = 30
    season_days: int = 45
    season_boost: float = 12.0


@dataclass(frozen=True)
class GiftWholesaler:
    """``products`` in ``themes`` collections; each customer orders from ``customer_themes``
    of them about every ``order_gap_days``, ``basket`` products of one theme a time, bought
    before only with ``repeat`` chance."""

    customers: int = 500
    products: int = 2000
    themes: int = 50
    days: int = 365
    customer_themes: int = 3
    order_gap_days: float = 45.0
    basket: int = 6
    repeat: float = 0.01


def grocery(shape: Grocery = Grocery(), *, seed: int = 0) -> OrderHistory:
    """Orders of a grocery shaped by ``shape`` from ``START`` on; the same seed, the same
    orders."""
    random = np.random.default_rng(seed)
    head = shape.bestsellers
    rank_weight = 1.0 / np.arange(1, head + 1)
    seasonal = random.choice(head, size=shape.seasonal, replace=False)
    in_season = rank_weight.copy()
    in_season[seasonal] *= shape.season_boost
    cumulative = {False: np.cumsum(_share(rank_weight)), True: np.cumsum(_share(in_season))}
    orders = _Orders()
    for customer in range(shape.customers):
        staples = random.choice(head, size=shape.staples, replace=False, p=_share(rank_weight))
        day = float(random.uniform(0, 7))
        while day < shape.days:
            basket = set(staples[random.random(shape.staples) < shape.restock].tolist())
            weight = cumulative[day >= shape.days - shape.season_days]
            for _ in range(shape.extras):
                if random.random() < shape.head_share:
                    basket.add(min(int(np.searchsorted(weight, random.random())), head - 1))
                else:
                    basket.add(int(random.integers(head, shape.products)))
            orders.add(customer, day, basket)
            day += float(random.normal(7.0, 1.0))
    return orders.history("g")


def gift_wholesaler(shape: GiftWholesaler = GiftWholesaler(), *, seed: int = 0) -> OrderHistory:
    """Orders of a gift wholesaler shaped by ``shape`` from ``START`` on; the same seed, the
    same orders."""
    random = np.random.default_rng(seed)
    size = shape.products // shape.themes
    orders = _Orders()
    for customer in range(shape.customers):
        themes = random.choice(shape.themes, size=shape.customer_themes, replace=False)
        bought: set[int] = set()
        day = float(random.exponential(shape.order_gap_days))
        while day < shape.days:
            theme = int(random.choice(themes))
            members = np.arange(theme * size, (theme + 1) * size)
            # Within a theme some products sell better than others, the same for everyone.
            weight = 1.0 / (1.0 + (members % size))
            fresh = np.array([m not in bought or random.random() < shape.repeat for m in members])
            if fresh.sum() >= shape.basket:
                chosen = random.choice(
                    members[fresh], size=shape.basket, replace=False, p=_share(weight[fresh])
                )
                basket = set(chosen.tolist())
                bought |= basket
                orders.add(customer, day, basket)
            day += float(random.exponential(shape.order_gap_days))
    return orders.history("w")


@dataclass(frozen=True)
class Trending:
    """A fashion shop: ``launches`` new products a day, each selling ``0.5 ** (age /
    half_life_days)`` of its launch-day rate (times a Zipf-ranked appeal), so that what sells
    now is what came out lately; each customer orders ``basket`` products about every
    ``order_gap_days``."""

    customers: int = 300
    days: int = 120
    launches: int = 10
    half_life_days: float = 7.0
    order_gap_days: float = 10.0
    basket: int = 4


def trending(shape: Trending = Trending(), *, seed: int = 0) -> OrderHistory:
    """Orders of a fashion shop shaped by ``shape`` from ``START`` on; the same seed, the
    same orders."""
    random = np.random.default_rng(seed)
    n = shape.days * shape.launches
    launched = np.repeat(np.arange(shape.days), shape.launches).astype(np.float64)
    appeal = 1.0 / random.permutation(np.arange(1, n + 1)) ** 0.5
    orders = _Orders()
    for customer in range(shape.customers):
        day = float(random.uniform(0, shape.order_gap_days))
        while day < shape.days:
            out = launched <= day
            weight = np.where(out, appeal * 0.5 ** ((day - launched) / shape.half_life_days), 0)
            chosen = random.choice(n, size=shape.basket, replace=False, p=_share(weight))
            orders.add(customer, day, set(chosen.tolist()))
            day += float(random.exponential(shape.order_gap_days))
    return orders.history("t")


def _share(weight: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(weight / weight.sum(), dtype=np.float64)


class _Orders:
    """Order lines gathered column-wise, then handed over as the storage hands them."""

    def __init__(self) -> None:
        self.order: list[int] = []
        self.product: list[int] = []
        self.contact: list[int] = []
        self.timestamp: list[int] = []
        self._count = 0

    def add(self, customer: int, day: float, products: set[int]) -> None:
        moment = int(START.timestamp() + day * _DAY)
        for product in sorted(products):
            self.order.append(self._count)
            self.product.append(product)
            self.contact.append(customer)
            self.timestamp.append(moment)
        self._count += 1

    def history(self, prefix: str) -> OrderHistory:
        used, product_index = np.unique(np.asarray(self.product), return_inverse=True)
        customers, contact_index = np.unique(np.asarray(self.contact), return_inverse=True)
        return OrderHistory(
            product_ids=[ProductId(f"{prefix}{p:05d}") for p in used.tolist()],
            contact_ids=[ContactId(int(c) + 1) for c in customers.tolist()],
            order_index=np.asarray(self.order, dtype=np.int64),
            product_index=product_index.astype(np.int32),
            contact_index=contact_index.astype(np.int32),
            timestamp=np.asarray(self.timestamp, dtype=np.int64),
            quantity=np.ones(len(self.order), dtype=np.float32),
        )


def until(history: OrderHistory, moment: datetime) -> OrderHistory:
    """The lines of ``history`` before ``moment`` (ids kept whole)."""
    keep = history.timestamp < int(moment.timestamp())
    return OrderHistory(
        product_ids=history.product_ids,
        contact_ids=history.contact_ids,
        order_index=history.order_index[keep],
        product_index=history.product_index[keep],
        contact_index=history.contact_index[keep],
        timestamp=history.timestamp[keep],
        quantity=history.quantity[keep],
    )
