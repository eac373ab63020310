"""README's Yespo compatibility table, row by row: each row names a check below, and a row
without a check (or a check without a row) fails, so the table and the engine cannot drift."""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import encode_basic_auth

from recoms.presenters import API_FIELDS
from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, Client, MakeClient, ids
from tests.recoms.yespo_examples import PRODUCT_PAGE

README = Path(__file__).resolve().parents[3] / "README.md"
SECTION = "### Yespo compatibility"
RECOMS = "/api/v2/contacts/recoms"
TRACKER = "/api/v2"
ADMIN = {"Authorization": encode_basic_auth("", API_KEY)}


def table_rows() -> list[str]:
    """The first cell of each row of README's compatibility table, as written there."""
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README has no {SECTION!r} section"
    rows: list[str] = []
    for line in text.split(SECTION, 1)[1].splitlines()[1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|") or re.fullmatch(r"[|\s:-]+", line):
            continue
        rows.append(line.split("|")[1].strip())
    header, *body = rows
    assert header == "parameter", rows
    return body


class Shop:
    """What a check reaches: the API over the known shop, its service and a client maker."""

    def __init__(self, client: Client, service: RecomsService, make_client: MakeClient) -> None:
        self.client, self.service, self.make_client = client, service, make_client

    async def profile(self, **identity: str) -> dict[str, Any]:
        response = await self.client.get("/api/v1/contacts/profile", params=identity)
        assert response.status == 200, await response.text()
        found: dict[str, Any] = await response.json()
        return found

    async def track(self, event: object, status: int = 200) -> dict[str, Any]:
        response = await self.client.post(TRACKER, json=event)
        assert response.status == status, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


Check = Callable[[Shop], Awaitable[None]]
CHECKS: dict[str, Check] = {}


def row(name: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        CHECKS[name] = check
        return check

    return register


def visitor_event(name: str, body: object, **general: object) -> dict[str, Any]:
    return {"GeneralInfo": {"eventName": name, "cookies": {"sc": "v-1"}, **general}, name: body}


@row("`POST /api/v2`")
async def tracker_path(shop: Shop) -> None:
    assert await shop.track(PRODUCT_PAGE) == {"accepted": 1, "rejected": []}
    response = await shop.client.post("/api/v1/events", json=PRODUCT_PAGE)
    assert response.status == 202


@row("`GeneralInfo.eventName`")
async def event_names(shop: Shop) -> None:
    product = {"Product": {"productKey": "k-mug"}}
    events = [
        visitor_event("ProductPage", product),
        visitor_event("CategoryPage", {"Category": {"categoryKey": "Kitchen"}}),
        visitor_event("StatusCart", {"Products": [{"productKey": "k-mug"}], "GUID": "g"}),
        visitor_event(
            "PurchasedItems", {"OrderNumber": "w-1", "Products": [{"productKey": "k-mug"}]}
        ),
        visitor_event("CustomerData", {"externalCustomerId": "c-1"}),
        visitor_event("AddToWishlist", product),
        visitor_event("SearchRequest", {"SearchQuery": "mug"}),
        *(
            {"GeneralInfo": {"eventName": name}}
            for name in ("MainPage", "StatusCartPage", "NotFound")
        ),
    ]
    assert await shop.track(events) == {"accepted": len(events), "rejected": []}
    unknown = await shop.track({"GeneralInfo": {"eventName": "Teleport"}}, status=400)
    assert unknown["message"].startswith("unknown event 'Teleport'")


@row("`Product.price`")
async def price_with_currency(shop: Shop) -> None:
    await shop.track(PRODUCT_PAGE)
    purchase = visitor_event(
        "PurchasedItems",
        {"OrderNumber": "w-2", "Products": [{"productKey": "k-mug", "price": "754 USD"}]},
        externalCustomerId="buyer-2",
    )
    await shop.track(purchase)
    (order,) = (await shop.profile(externalCustomerId="buyer-2"))["lastOrders"]
    assert (order["currency"], order["lines"][0]["price"]) == ("USD", 754.0)


@row("`Product.isInStock`")
async def in_stock_flag(shop: Shop) -> None:
    for flag in ("1", 1, "0", 0):
        event = visitor_event(
            "ProductPage", {"Product": {"productKey": "k-mug", "isInStock": flag}}
        )
        await shop.track(event)
    event = visitor_event("ProductPage", {"Product": {"productKey": "k-mug", "isInStock": "?"}})
    assert "isInStock" in (await shop.track(event, status=400))["message"]


@row("`user_es_contact_id`")
async def contact_id(shop: Shop) -> None:
    contact = await shop.service.upsert_contact(external_id="es-7")
    await shop.track(
        visitor_event(
            "ProductPage", {"Product": {"productKey": "k-cup"}}, user_es_contact_id=str(contact.id)
        )
    )
    seen = await shop.profile(contactId=str(contact.id))
    assert seen["recentlyViewed"] == ["k-cup"]
    assert seen["contact"]["webIds"] == ["v-1"]


@row("`externalCustomerId`, `user_email`, `user_phone`")
async def who_the_visitor_is(shop: Shop) -> None:
    await shop.track(PRODUCT_PAGE)
    seen = await shop.profile(email="user@mail.com")
    assert seen["contact"]["externalCustomerId"] == "1234509876"
    data = visitor_event(
        "CustomerData", {"user_email": "new@example.com", "user_phone": "+380501119999"}
    )
    data["GeneralInfo"]["cookies"] = {"sc": "v-9"}
    await shop.track(data)
    assert (await shop.profile(webId="v-9"))["contact"]["phone"] == "+380501119999"


@row("`cookies.sc`")
async def cookie(shop: Shop) -> None:
    await shop.track(visitor_event("StatusCart", {"Products": [{"productKey": "k-mug"}]}))
    products = await ids(
        await shop.client.get(f"{RECOMS}/3", params={"webId": "v-1", "products": "k-mug"})
    )
    assert "k-teapot" in products


@row("`datetime`")
async def times(shop: Shop) -> None:
    for number, when in enumerate((1579622183208, 1579622183, "2020-01-21T15:56:23Z")):
        purchase = visitor_event(
            "PurchasedItems",
            {"OrderNumber": f"t-{number}", "Products": [{"productKey": "k-cup"}]},
            externalCustomerId=f"timed-{number}",
            datetime=when,
        )
        await shop.track(purchase)
        (order,) = (await shop.profile(externalCustomerId=f"timed-{number}"))["lastOrders"]
        assert order["orderedAt"].startswith("2020-01-21T15:56:23"), order


@row("`Tags`, `tag_*`")
async def tags(shop: Shop) -> None:
    event = copy.deepcopy(PRODUCT_PAGE)
    event["ProductPage"]["Product"]["productKey"] = "k-mug"
    assert (await shop.track(event))["accepted"] == 1
    mug = await (await shop.client.get("/api/v1/products/k-mug")).json()
    assert not [name for name in mug if "some" in name]


@row("`GET /api/v2/contacts/recoms/{dataSourceId}`")
async def list_path(shop: Shop) -> None:
    assert await ids(await shop.client.get(f"{RECOMS}/2", params={"webId": "v"}))


@row("`contactId`, `email`, `phone`, `externalCustomerId`, `webId`")
async def identifiers(shop: Shop) -> None:
    alice = (await shop.profile(externalCustomerId="alice-1"))["contact"]
    for name, value in (
        ("contactId", str(alice["contactId"])),
        ("email", "alice@example.com"),
        ("phone", "+380501110001"),
        ("externalCustomerId", "alice-1"),
    ):
        assert await ids(await shop.client.get(f"{RECOMS}/1", params={name: value})), name
    personal = await ids(
        await shop.client.get(f"{RECOMS}/1", params={"externalCustomerId": "alice-1"})
    )
    assert personal[0] == "k-kettle"
    stranger = await ids(await shop.client.get(f"{RECOMS}/1", params={"webId": "nobody"}))
    assert stranger == await ids(await shop.client.get(f"{RECOMS}/2", params={"webId": "v"}))
    assert (await shop.client.get(f"{RECOMS}/1")).status == 400


@row("`products`")
async def products(shop: Shop) -> None:
    for query in ({"products": "k-mug,o-pen"}, [("products", "k-mug"), ("products", "o-pen")]):
        got = await ids(await shop.client.get(f"{RECOMS}/3?webId=v", params=query))
        assert "k-teapot" in got
    assert (await shop.client.get(f"{RECOMS}/3", params={"webId": "v"})).status == 400


@row("`category`")
async def category(shop: Shop) -> None:
    async def listed(source: int, query: str) -> list[str]:
        return await ids(await shop.client.get(f"{RECOMS}/{source}?webId=v&{query}"))

    assert await listed(2, "category=Office") == ["o-pen", "o-notebook"]
    assert set(await listed(2, "category=Office&category=Kitchen")) >= {"o-pen", "k-mug"}
    assert await listed(5, "products=k-mug&category=Office,Kitchen") == ["k-cup"]
    assert await listed(5, "products=k-mug&category=Office") == []
    assert "o-pen" not in await listed(4, "products=k-mug&category=Kitchen")
    for source in (2, 4, 5):
        assert await listed(source, "products=k-mug&category=Garden") == []


@row("response fields")
async def response_fields(shop: Shop) -> None:
    response = await shop.client.get(f"{RECOMS}/1", params={"externalCustomerId": "alice-1"})
    kettle, *_ = await response.json()
    plain = [name for name in kettle if not name.startswith("tags_")]
    assert tuple(plain) == API_FIELDS
    assert (kettle["tags_old_price"], kettle["tags_currency"]) == ("45.00", "EUR")


@row("authentication")
async def authentication(shop: Shop) -> None:
    keyed = await shop.make_client(shop.service, api_key=API_KEY)
    assert (await keyed.get(f"{RECOMS}/2", params={"webId": "v"})).status == 401
    assert (await keyed.get(f"{RECOMS}/2", params={"webId": "v"}, headers=ADMIN)).status == 200


def test_every_row_has_a_check_and_every_check_a_row() -> None:
    rows = table_rows()
    assert len(rows) == len(set(rows)), "a row is written twice"
    assert sorted(set(rows) - set(CHECKS)) == [], "rows of README's table without a check here"
    assert sorted(set(CHECKS) - set(rows)) == [], "checks of rows README's table lacks"


@pytest.mark.parametrize("name", table_rows())
async def test_row(
    name: str, client: Client, service: RecomsService, make_client: MakeClient
) -> None:
    await CHECKS[name](Shop(client, service, make_client))
