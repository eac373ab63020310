"""An API over a real service on each test database, seeded with a small known shop."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web_runner import BaseRunner

from recoms.api import create_app
from recoms.config import RecomsSettings
from recoms.httpserver import ApiRunner
from recoms.service import RecomsService, open_service

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]

API_KEY = "s3cret-key"

# id, title, price, sale price, category (product_type), availability
CATALOGUE = [
    ("k-mug", "Mug", "10.00", None, "Home > Kitchen", "in stock"),
    ("k-cup", "Cup", "11.00", None, "Home > Kitchen", "in stock"),
    ("k-pan", "Pan", "12.00", None, "Home > Kitchen", "out of stock"),
    ("k-teapot", "Teapot", "30.00", None, "Home > Kitchen", "in stock"),
    ("k-kettle", "Kettle", "45.00", "40.00", "Home > Kitchen", "limited availability"),
    ("o-pen", "Pen", "2.00", None, "Office", "in stock"),
    ("o-notebook", "Notebook", "5.00", None, "Office", "in stock"),
    ("o-lamp", "Lamp", "60.00", None, "Office", "in stock"),
    ("o-chair", "Chair", "200.00", None, "Office", "in stock"),
]


def feed_xml(items: list[tuple[str, str, str, str | None, str, str]] = CATALOGUE) -> str:
    entries = []
    for product_id, title, price, sale, category, availability in items:
        sale_line = f"<g:sale_price>{sale} EUR</g:sale_price>" if sale else ""
        entries.append(
            f"""<item>
  <g:id>{product_id}</g:id><g:title>{title}</g:title>
  <g:description>A {title.lower()} &amp; more.</g:description>
  <g:link>https://shop.example/p/{product_id}</g:link>
  <g:image_link>https://shop.example/img/{product_id}.jpg</g:image_link>
  <g:availability>{availability}</g:availability>
  <g:price>{price} EUR</g:price>{sale_line}
  <g:brand>Acme</g:brand><g:product_type>{category.replace(">", "&gt;")}</g:product_type>
  <g:custom_label_0>label-{product_id}</g:custom_label_0>
</item>"""
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>'
        "<title>Test shop</title><link>https://shop.example</link><description>t</description>"
        + "".join(entries)
        + "</channel></rss>"
    )


ALICE = {"external_customer_id": "alice-1", "email": "alice@example.com", "phone": "+380501110001"}
BOB = {"external_customer_id": "bob-1", "email": "bob@example.com", "phone": ""}
ANONYMOUS = {"external_customer_id": "", "email": "", "phone": ""}

# order number -> (days ago, customer, products). Known answers, over a 90-day window:
#   orders per product: o-pen 6, k-mug 5, o-notebook 4, k-teapot 3, k-kettle 3, k-pan 7 (but
#   out of stock); o-pen goes with o-notebook, k-mug with k-teapot; Alice rebuys k-kettle.
ORDERS: dict[str, tuple[int, dict[str, str], tuple[str, ...]]] = {
    "1001": (5, BOB, ("o-pen", "o-notebook")),
    "1002": (6, ANONYMOUS, ("o-pen", "o-notebook")),
    "1003": (7, ANONYMOUS, ("o-pen", "o-notebook")),
    "1004": (8, ANONYMOUS, ("o-pen", "o-notebook")),
    "1005": (9, ANONYMOUS, ("o-pen",)),
    "1006": (10, ANONYMOUS, ("o-pen",)),
    "1007": (11, BOB, ("k-mug", "k-teapot")),
    "1008": (12, ANONYMOUS, ("k-mug", "k-teapot")),
    "1009": (13, ANONYMOUS, ("k-mug", "k-teapot")),
    "1010": (14, ANONYMOUS, ("k-mug",)),
    "1011": (15, ANONYMOUS, ("k-mug",)),
    "1012": (20, ALICE, ("k-kettle",)),
    "1013": (30, ALICE, ("k-kettle",)),
    "1014": (40, ALICE, ("k-kettle",)),
    **{str(1100 + n): (16 + n, ANONYMOUS, ("k-pan",)) for n in range(7)},
}
PRICES = {row[0]: row[3] or row[2] for row in CATALOGUE}


def write_orders(path: Path) -> Path:
    now = datetime.now(UTC).replace(microsecond=0)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "order_id",
                "product_id",
                "quantity",
                "price",
                "ordered_at",
                "external_customer_id",
                "email",
                "phone",
                "currency",
            ]
        )
        for number, (days_ago, customer, products) in ORDERS.items():
            ordered_at = (now - timedelta(days=days_ago)).isoformat()
            for product in products:
                writer.writerow(
                    [
                        number,
                        product,
                        1,
                        PRICES[product],
                        ordered_at,
                        customer["external_customer_id"],
                        customer["email"],
                        customer["phone"],
                        "EUR",
                    ]
                )
    return path


@pytest.fixture
async def bare_service(database_url: str) -> AsyncIterator[RecomsService]:
    """A service on an empty catalogue."""
    service = await open_service(settings(database_url))
    try:
        yield service
    finally:
        await service.close()


@pytest.fixture
async def service(bare_service: RecomsService, tmp_path: Path) -> RecomsService:
    """The service over the known shop above, rebuilt."""
    feed = tmp_path / "feed.xml"
    feed.write_text(feed_xml(), encoding="utf-8")
    report = await bare_service.import_feed(feed)
    assert not report.rejected, report.rejected
    report = await bare_service.import_orders(write_orders(tmp_path / "orders.csv"))
    assert not report.rejected, report.rejected
    await bare_service.rebuild()
    return bare_service


def settings(database_url: str = "sqlite+aiosqlite://", **values: Any) -> RecomsSettings:
    # Explicit values win over the environment, so a developer's RECOMS_API_KEY stays out.
    return RecomsSettings(_env_file=None, database_url=database_url, **{"api_key": None, **values})


class ApiTestServer(TestServer):
    """A test server on the runner ``recoms serve`` and ``recoms-bot run`` use."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return ApiRunner(self.app, **kwargs)


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Builds test clients over the API for a service; closes them at the end."""
    clients: list[Client] = []

    async def make(service: RecomsService, **options: Any) -> Client:
        app_options = {k: options.pop(k) for k in list(options) if k == "max_feed_bytes"}
        app = create_app(service, settings(**options), **app_options)
        client: Client = TestClient(ApiTestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(service: RecomsService, make_client: MakeClient) -> Client:
    """The API over the known shop, without an API key."""
    return await make_client(service)


@pytest.fixture
async def empty_client(bare_service: RecomsService, make_client: MakeClient) -> Client:
    """The API over an empty shop (no products, orders or contacts)."""
    return await make_client(bare_service)


async def ids(response: Any) -> list[str]:
    """The product ids of a 200 recommendation response, in order."""
    assert response.status == 200, await response.text()
    return [product["id"] for product in await response.json()]
