"""POST /api/v1/events: tracker events change what the contact sees next."""

from __future__ import annotations

import io
import time
from typing import Any

from tests.recoms.api.conftest import Client, ids

EVENTS = "/api/v1/events"
ALICE = {"externalCustomerId": "alice-1"}


def event(name: str, body: Any, **general: Any) -> dict[str, Any]:
    return {
        "GeneralInfo": {
            "eventName": name,
            "siteId": "shop",
            "datetime": int(time.time() * 1000),
            **general,
        },
        name: body,
    }


async def profile(client: Client, **identity: str) -> dict[str, Any]:
    response = await client.get("/api/v1/contacts/profile", params=identity)
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def test_a_cart_update_feeds_also_bought(client: Client) -> None:
    cart = event(
        "StatusCart",
        {"Products": [{"productKey": "k-mug", "price": "10", "quantity": 2}], "GUID": "g-1"},
        externalCustomerId="alice-1",
    )
    response = await client.post(EVENTS, json=cart)
    assert response.status == 202, await response.text()
    assert await response.json() == {"accepted": 1, "rejected": []}

    seen = await profile(client, **ALICE)
    assert [line["productId"] for line in seen["cart"]] == ["k-mug"]
    assert seen["cart"][0]["quantity"] == 2
    in_cart = ",".join(line["productId"] for line in seen["cart"])
    got = await ids(
        await client.get(
            f"/api/v2/contacts/recoms/3?externalCustomerId=alice-1&products={in_cart}"
        )
    )
    assert got[0] == "k-teapot"

    empty = event("StatusCart", {"Products": [], "GUID": "g-1"}, externalCustomerId="alice-1")
    assert (await client.post(EVENTS, json=empty)).status == 202
    assert (await profile(client, **ALICE))["cart"] == []


async def test_a_purchase_counts_at_once_in_the_personal_list(client: Client) -> None:
    before = await ids(await client.get("/api/v2/contacts/recoms/1", params=ALICE))
    assert "o-chair" not in before[:2]
    for number in ("w-1", "w-2"):
        purchase = event(
            "PurchasedItems",
            {
                "OrderNumber": number,
                "Products": [{"productKey": "o-chair", "price": "200", "quantity": 1}],
                "GUID": number,
            },
            externalCustomerId="alice-1",
        )
        response = await client.post(EVENTS, json=purchase)
        assert response.status == 202, await response.text()
    after = await ids(await client.get("/api/v2/contacts/recoms/1", params=ALICE))
    assert "o-chair" in after[:2]
    orders = (await profile(client, **ALICE))["lastOrders"]
    assert {"w-1", "w-2"} <= {order["number"] for order in orders}


async def test_product_views_show_in_the_profile(client: Client) -> None:
    views = [
        event("ProductPage", {"Product": {"productKey": key}}, externalCustomerId="alice-1")
        for key in ("o-lamp", "k-cup")
    ]
    response = await client.post(EVENTS, json=views)
    assert response.status == 202, await response.text()
    assert await response.json() == {"accepted": 2, "rejected": []}
    assert (await profile(client, **ALICE))["recentlyViewed"][:2] == ["k-cup", "o-lamp"]


async def test_a_bad_event_in_a_batch_is_reported_and_the_rest_recorded(client: Client) -> None:
    good = event("ProductPage", {"Product": {"productKey": "o-lamp"}}, externalCustomerId="bob-1")
    response = await client.post(EVENTS, json=[{"nothing": 1}, good, "text"])
    assert response.status == 202, await response.text()
    report = await response.json()
    assert report["accepted"] == 1
    assert [item["index"] for item in report["rejected"]] == [0, 2]
    assert all(item["reason"] for item in report["rejected"])
    assert (await profile(client, externalCustomerId="bob-1"))["recentlyViewed"] == ["o-lamp"]


async def test_a_bad_event_is_refused_with_the_reason(client: Client) -> None:
    for body in ({"nothing": 1}, {"GeneralInfo": {"eventName": "ProductPage"}}):
        response = await client.post(EVENTS, json=body)
        assert response.status == 400
        assert (await response.json())["message"]


async def test_bodies_that_are_not_events(client: Client) -> None:
    cases = {
        b"": "empty",
        b"{not json": "not valid JSON",
        b"42": "tracker event",
        b"[]": "tracker event",
        b"[" * 100_000: "",
        b"\xff\xfe": "",
    }
    for body, expected in cases.items():
        response = await client.post(EVENTS, data=body)
        assert response.status == 400, body[:20]
        assert expected in (await response.json())["message"]


async def test_too_many_events_in_one_request(client: Client) -> None:
    view = event("ProductPage", {"Product": {"productKey": "o-lamp"}}, webId="v")
    response = await client.post(EVENTS, json=[view] * 1001)
    assert response.status == 400
    assert "at most 1000" in (await response.json())["message"]


async def test_an_oversized_body_is_refused(client: Client) -> None:
    response = await client.post(EVENTS, data=io.BytesIO(b" " * (5 * 1024 * 1024)))
    assert response.status == 413
    assert (await response.json())["error"] == "too_large"


async def test_values_storage_cannot_hold_are_refused_naming_the_field(client: Client) -> None:
    long_id = "x" * 201
    cases = {
        "productKey": event("ProductPage", {"Product": {"productKey": long_id}}, **ALICE),
        "cookies": event(
            "ProductPage", {"Product": {"productKey": "o-pen"}}, cookies={"sc": long_id}
        ),
        "externalCustomerId": event("CustomerData", {"externalCustomerId": long_id}),
        "OrderNumber": event(
            "PurchasedItems",
            {"OrderNumber": long_id, "Products": [{"productKey": "o-pen"}]},
            **ALICE,
        ),
        "price": event(
            "StatusCart", {"Products": [{"productKey": "o-pen", "price": "1e20"}]}, **ALICE
        ),
        "quantity": event(
            "StatusCart", {"Products": [{"productKey": "o-pen", "quantity": "1e30"}]}, **ALICE
        ),
        "productKey ": event("ProductPage", {"Product": {"productKey": "o\u0000pen"}}, **ALICE),
    }
    for field, body in cases.items():
        response = await client.post(EVENTS, json=body)
        assert response.status == 400, (field, await response.text())
        assert field.strip() in (await response.json())["message"]
