"""Writes the demo store's generated, deterministic order history (run as a module).

The orders are invented: about 60 customers and 400 orders over the 180 days up to
:data:`END`, over the 42 products of ``demo_store_feed.xml``. Customers keep to one or two
product types, a few products are bestsellers (the feed's ``popularity_NN`` labels weigh
them), some customers buy their favourite again, and about one order in ten is anonymous.
The demo people of the project are in it: Olena (external id ``olena-001``, phone
``+380501110001``) with several orders. Taras (``+380501110002``) is deliberately absent.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from recoms.demo import END, FEED, ORDERS
from recoms.domain import Product
from recoms.importing.feed import open_feed, parse_feed
from recoms.importing.orders import ORDER_FIELDS

DAYS = 180
SEED = 20250630
CUSTOMERS = 60
ORDER_COUNT = 400


@dataclass(frozen=True)
class Customer:
    external_id: str
    email: str
    phone: str
    favourites: tuple[str, ...]
    loyal_to: str | None = None


OLENA = Customer(
    external_id="olena-001",
    email="olena@example.com",
    phone="+380501110001",
    favourites=("Sleep & Recovery", "Existential Wellness"),
    loyal_to="quietly-spiraling-tea",
)


def load_products(feed: Path = FEED) -> list[Product]:
    with open_feed(feed) as stream:
        return [item for item in parse_feed(stream) if isinstance(item, Product)]


def _popularity(product: Product) -> float:
    label = next((v for v in product.tags.values() if v.startswith("popularity_")), "")
    return float(label.removeprefix("popularity_") or 50)


def generate(products: Sequence[Product], *, seed: int = SEED) -> list[dict[str, str]]:
    """The generated order lines, oldest order first."""
    rng = random.Random(seed)
    by_type: dict[str, list[Product]] = {}
    for product in products:
        by_type.setdefault(product.category[0] if product.category else "", []).append(product)
    types = sorted(by_type)
    # Bestseller weight grows steeply with the feed's popularity label.
    weight = {product.id: (_popularity(product) / 50) ** 4 for product in products}

    customers = [OLENA]
    for n in range(2, CUSTOMERS + 1):
        favourites = tuple(rng.sample(types, k=rng.choice((1, 1, 2))))
        loyal = rng.choice(by_type[favourites[0]]).id if rng.random() < 0.3 else None
        customers.append(
            Customer(
                external_id=f"demo-{n:03d}",
                email=f"customer{n:03d}@example.com",
                # +38050222xxxx: clear of the demo people's +38050111xxxx numbers.
                phone=f"+38050222{n:04d}",
                favourites=favourites,
                loyal_to=loyal,
            )
        )
    # Olena orders often; the others by a long tail.
    activity = [3.0] + [rng.paretovariate(1.5) for _ in customers[1:]]

    start = datetime.combine(END - timedelta(days=DAYS - 1), time(8), tzinfo=UTC)
    moments = sorted(
        start + timedelta(minutes=rng.randrange(DAYS * 24 * 60 - 14 * 60))
        for _ in range(ORDER_COUNT)
    )
    lines: list[dict[str, str]] = []
    for number, moment in enumerate(moments, start=1):
        customer = None if rng.random() < 0.1 else rng.choices(customers, weights=activity)[0]
        favourites = customer.favourites if customer else (rng.choice(types),)
        basket: list[Product] = []
        size = rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]
        for _ in range(size):
            kind = rng.choice(favourites) if rng.random() < 0.85 else rng.choice(types)
            pool = by_type[kind]
            basket.append(rng.choices(pool, weights=[weight[p.id] for p in pool])[0])
        if customer and customer.loyal_to and rng.random() < 0.6:
            basket.append(next(p for p in products if p.id == customer.loyal_to))
        unique = {product.id: product for product in basket}
        for product in unique.values():
            price = product.effective_price or Decimal(0)
            lines.append(
                {
                    "order_id": f"DEMO-{number:04d}",
                    "product_id": product.id,
                    "quantity": str(rng.choices((1, 2, 3), weights=(80, 15, 5))[0]),
                    "price": f"{price:.2f}",
                    "ordered_at": moment.strftime("%Y-%m-%d %H:%M:%S"),
                    "external_customer_id": customer.external_id if customer else "",
                    "email": customer.email if customer else "",
                    "phone": customer.phone if customer else "",
                    "product_name": product.title,
                    "currency": product.currency or "EUR",
                }
            )
    return lines


def write(lines: Sequence[dict[str, str]], path: Path = ORDERS) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=ORDER_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(lines)


def main() -> None:
    lines = generate(load_products())
    write(lines)
    orders = len({line["order_id"] for line in lines})
    print(f"wrote {len(lines)} generated order lines ({orders} orders) to {ORDERS}")


if __name__ == "__main__":
    main()
