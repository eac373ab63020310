"""Tracker events of every type, in the REST tracker and eS.js shapes, and malformed ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from recoms.domain import CartLine, OrderLine, ProductId
from recoms.errors import InvalidRequest
from recoms.importing.events import (
    CartStatus,
    CategoryView,
    CustomerData,
    ProductView,
    Purchase,
    SearchRequest,
    TrackerEvent,
    WishlistAdd,
    WishlistRemove,
    parse_event,
    read_events,
)
from recoms.service import Rejected
from tests.recoms.yespo_examples import PRODUCT_PAGE

RECEIVED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

GENERAL = {
    "siteId": "site-7",
    "datetime": 1579622183208,
    "externalCustomerId": "olena-001",
    "user_email": "olena@example.com",
    "user_phone": "+380501110001",
    "cookies": {"sc": "web-123"},
}


def rest(name: str, body: Any) -> dict[str, Any]:
    return {"GeneralInfo": {"eventName": name, **GENERAL}, name: body}


def parse(payload: Any) -> TrackerEvent:
    return parse_event(payload, received_at=RECEIVED)


def test_rest_product_page_carries_who_and_when() -> None:
    event = parse(
        rest("ProductPage", {"Product": {"productKey": "24-MB02", "price": "153", "isInStock": 1}})
    )
    assert event == TrackerEvent(
        name="ProductPage",
        occurred_at=datetime(2020, 1, 21, 15, 56, 23, 208000, tzinfo=UTC),
        site_id="site-7",
        external_id="olena-001",
        email="olena@example.com",
        phone="+380501110001",
        web_id="web-123",
        payload=ProductView(ProductId("24-MB02"), Decimal(153), True),
    )


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        (
            "ProductPage",
            {"Product": {"productKey": 42, "price": 9.5, "isInStock": "0"}},
            ProductView(ProductId("42"), Decimal("9.5"), False),
        ),
        (
            "CategoryPage",
            {"Category": {"categoryKey": "Kitchen"}},
            CategoryView("Kitchen"),
        ),
        (
            "StatusCart",
            {
                "Products": [
                    {"productKey": "A", "price": "10.50", "quantity": "2"},
                    {"productKey": "B", "price": 3, "quantity": 1},
                ],
                "GUID": "cart-guid",
            },
            CartStatus(
                (
                    CartLine(ProductId("A"), Decimal(2), Decimal("10.50")),
                    CartLine(ProductId("B"), Decimal(1), Decimal(3)),
                ),
                "cart-guid",
            ),
        ),
        ("StatusCart", {"Products": [], "GUID": "g"}, CartStatus((), "g")),
        (
            "PurchasedItems",
            {
                "OrderNumber": "100017",
                "Products": [{"productKey": "A", "price": "10.50", "quantity": 2}],
                "GUID": "g",
            },
            Purchase("100017", (OrderLine(ProductId("A"), Decimal(2), Decimal("10.50")),), "g"),
        ),
        (
            "CustomerData",
            {"externalCustomerId": "taras-2", "user_phone": "050 111 0002", "user_name": "Taras"},
            CustomerData("taras-2", None, "050 111 0002", "Taras"),
        ),
        ("AddToWishlist", {"Product": {"productKey": "W-1"}}, WishlistAdd(ProductId("W-1"))),
        (
            "RemoveFromWishlist",
            {"Product": {"productKey": "W-1"}},
            WishlistRemove(ProductId("W-1")),
        ),
        ("SearchRequest", {"SearchQuery": " kettle "}, SearchRequest("kettle")),
    ],
)
def test_every_event_in_the_rest_shape(name: str, body: Any, expected: object) -> None:
    event = parse(rest(name, body))
    assert event.name == name
    assert event.payload == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"ProductPage": {"ProductKey": "24-MB02", "Price": "153", "IsInStock": 1}},
            ProductView(ProductId("24-MB02"), Decimal(153), True),
        ),
        ({"CategoryPage": {"CategoryKey": "Bags"}}, CategoryView("Bags")),
        (
            {"StatusCart": [{"productKey": "A", "price": "1", "quantity": "3"}]},
            CartStatus((CartLine(ProductId("A"), Decimal(3), Decimal(1)),)),
        ),
        (
            {
                "StatusCart": {
                    "StatusCart": [{"productKey": "A", "quantity": 1}],
                    "GUID": "es-guid",
                }
            },
            CartStatus((CartLine(ProductId("A"), Decimal(1)),), "es-guid"),
        ),
        (
            {
                "PurchasedItems": {
                    "OrderNumber": 5001,
                    "PurchasedItems": [{"productKey": "A", "price": 2, "quantity": 1}],
                }
            },
            Purchase("5001", (OrderLine(ProductId("A"), Decimal(1), Decimal(2)),)),
        ),
        (
            # No order number: the tracker's GUID stands in.
            {"PurchasedItems": [{"productKey": "A"}], "GUID": "guid-9"},
            Purchase("guid-9", (OrderLine(ProductId("A"), Decimal(1)),), "guid-9"),
        ),
        (
            {"CustomerData": {"user_email": "Olena@Example.com"}},
            CustomerData(None, "Olena@Example.com", None, None),
        ),
        ({"AddToWishlist": {"productKey": "W-2"}}, WishlistAdd(ProductId("W-2"))),
        ({"SearchRequest": "mug"}, SearchRequest("mug")),
    ],
)
def test_every_event_in_the_flat_es_js_shape(payload: dict[str, Any], expected: object) -> None:
    event = parse(payload)
    assert event.payload == expected
    assert event.occurred_at == RECEIVED


def test_customer_data_names_the_visitor() -> None:
    event = parse(
        {
            "GeneralInfo": {"eventName": "CustomerData", "cookies": {"sc": "web-9"}},
            "CustomerData": {"externalCustomerId": "olena-001", "user_name": "Olena"},
        }
    )
    assert (event.web_id, event.external_id) == ("web-9", "olena-001")
    # The REST tracker may send the identifiers in GeneralInfo alone.
    event = parse({"GeneralInfo": {"eventName": "CustomerData", "user_phone": "+380501110002"}})
    assert event.payload == CustomerData(None, None, "+380501110002", None)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (1579622183208, datetime(2020, 1, 21, 15, 56, 23, 208000, tzinfo=UTC)),
        ("1579622183208", datetime(2020, 1, 21, 15, 56, 23, 208000, tzinfo=UTC)),
        (1579622183, datetime(2020, 1, 21, 15, 56, 23, tzinfo=UTC)),
        ("2020-01-21T17:56:23+02:00", datetime(2020, 1, 21, 15, 56, 23, tzinfo=UTC)),
        ("2020-01-21 15:56:23", datetime(2020, 1, 21, 15, 56, 23, tzinfo=UTC)),
        (None, RECEIVED),
        ("", RECEIVED),
    ],
)
def test_event_times(when: object, expected: datetime) -> None:
    event = parse(
        {"GeneralInfo": {"eventName": "SearchRequest", "datetime": when}, "SearchRequest": "x"}
    )
    assert event.occurred_at == expected


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            rest(
                "StatusCart",
                {"Products": [{"productKey": "A"}, {"productKey": "B"}, {"price": "5"}]},
            ),
            "StatusCart.Products[2].productKey is missing",
        ),
        (
            rest("StatusCart", {"Products": [{"productKey": "A", "quantity": "two"}]}),
            "StatusCart.Products[0].quantity: Input should be a valid decimal (got 'two')",
        ),
        (
            rest("StatusCart", {"GUID": "g"}),
            "StatusCart.Products is missing",
        ),
        (
            rest("StatusCart", {"Products": {"productKey": "A"}}),
            "StatusCart.Products should be a list, not an object",
        ),
        (
            rest("ProductPage", {"Product": {"productKey": "A", "price": "-1"}}),
            "ProductPage.Product.price: Input should be greater than or equal to 0 (got '-1')",
        ),
        (
            rest("ProductPage", {"Product": {"productKey": "  "}}),
            "ProductPage.Product.productKey is empty",
        ),
        (rest("ProductPage", ["A"]), "ProductPage should be an object, not a list"),
        (
            rest("PurchasedItems", {"Products": [{"productKey": "A"}]}),
            "PurchasedItems.OrderNumber is missing, and there is no GUID",
        ),
        (
            rest("PurchasedItems", {"OrderNumber": "1", "Products": []}),
            "PurchasedItems.Products is empty: a purchase needs at least one product",
        ),
        (
            rest("CustomerData", {"user_name": "Nobody"})
            | {"GeneralInfo": {"eventName": "CustomerData"}},
            "CustomerData needs an externalCustomerId, user_email, user_phone or "
            "user_es_contact_id",
        ),
        (rest("SearchRequest", {}), "SearchRequest.SearchQuery is missing"),
        (
            {"GeneralInfo": {"eventName": "PageView"}, "PageView": {}},
            "unknown event 'PageView'; supported: ProductPage, CategoryPage, StatusCart, "
            "PurchasedItems, CustomerData, AddToWishlist, RemoveFromWishlist, SearchRequest, "
            "MainPage, StatusCartPage, NotFound",
        ),
        (
            {"GeneralInfo": {"eventName": "ProductPage"}},
            "ProductPage is missing: the event's data goes under its name",
        ),
        ({"GeneralInfo": {"siteId": "s"}}, "GeneralInfo.eventName is missing"),
        ({"GeneralInfo": "ProductPage"}, "GeneralInfo should be an object"),
        (
            {
                "GeneralInfo": {"eventName": "SearchRequest", "datetime": "soon"},
                "SearchRequest": "x",
            },
            "GeneralInfo.datetime: is not epoch milliseconds or an ISO 8601 time (got 'soon')",
        ),
        ([1, 2], "an event is a JSON object, not a list"),
    ],
)
def test_malformed_events_say_what_is_wrong(payload: Any, message: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        parse(payload)
    assert error.value.message == message


def test_read_events_reports_bad_lines_by_number() -> None:
    good = json.dumps(rest("ProductPage", {"Product": {"productKey": "A"}}))
    lines = [
        good + "\n",
        "\n",
        '{"GeneralInfo": {"eventName": "ProductPage"},\n',
        json.dumps(rest("StatusCart", {"Products": [{"price": 1}]})),
        "   ",
        json.dumps({"SearchRequest": "mug"}),
    ]
    items = list(read_events(lines, received_at=RECEIVED))
    assert [type(item) for item in items] == [TrackerEvent, Rejected, Rejected, TrackerEvent]
    assert items[1] == Rejected(
        3, "bad JSON: Expecting property name enclosed in double quotes at column 47"
    )
    assert items[2] == Rejected(4, "StatusCart.Products[0].productKey is missing")
    assert isinstance(items[3], TrackerEvent)
    assert items[3].payload == SearchRequest("mug")


def test_yespo_documented_product_page_example() -> None:
    event = parse(PRODUCT_PAGE)
    assert event.contact_id == 255830499
    assert event.external_id == "1234509876"
    assert event.web_id == "CDA68358-94FB-4D83-9655-3FEB3C4114A3"
    assert event.payload == ProductView(ProductId("72354"), Decimal(754), True, "USD")


@pytest.mark.parametrize(
    ("price", "amount", "currency"),
    [
        ("754 USD", Decimal(754), "USD"),
        ("USD 754", Decimal(754), "USD"),
        ("67.00 eur", Decimal("67.00"), "EUR"),
        ("754,50 UAH", Decimal("754.50"), "UAH"),
        ("12.5", Decimal("12.5"), None),
        (12.5, Decimal("12.5"), None),
    ],
)
def test_prices_with_and_without_their_currency(
    price: object, amount: Decimal, currency: str | None
) -> None:
    event = parse(rest("ProductPage", {"Product": {"productKey": "A", "price": price}}))
    assert event.payload == ProductView(ProductId("A"), amount, None, currency)


@pytest.mark.parametrize("price", ["cheap", "1 000 USD", "USD 5 EUR", "5 EU"])
def test_text_that_is_no_price_is_refused(price: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        parse(rest("ProductPage", {"Product": {"productKey": "A", "price": price}}))
    assert error.value.message == (
        "ProductPage.Product.price: is not a price: a number, optionally with its currency "
        f"(754 USD) (got {price!r})"
    )


def test_customer_data_may_name_the_contact_by_its_id() -> None:
    event = parse(rest("CustomerData", {"user_es_contact_id": 42, "user_name": "Olena"}))
    assert event.contact_id == 42
    assert event.payload == CustomerData(name="Olena", contact_id=42)
