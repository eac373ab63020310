"""Yespo's own tracker payloads, verbatim from its documentation, at its path POST /api/v2."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aiohttp import encode_basic_auth

from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, Client, MakeClient
from tests.recoms.yespo_examples import PRODUCT_PAGE

TRACKER = "/api/v2"
PUBLIC_KEY = "page-key"
PUBLIC = {"Authorization": encode_basic_auth("", PUBLIC_KEY)}
ADMIN = {"Authorization": encode_basic_auth("", API_KEY)}
SHOP = "https://shop.example"


async def profile(client: Client, **identity: str) -> dict[str, Any]:
    response = await client.get("/api/v1/contacts/profile", params=identity, headers=ADMIN)
    assert response.status == 200, await response.text()
    found: dict[str, Any] = await response.json()
    return found


@pytest.mark.parametrize(("path", "status"), [(TRACKER, 200), ("/api/v1/events", 202)])
async def test_the_documented_product_page_example_is_recorded(
    client: Client, path: str, status: int
) -> None:
    response = await client.post(path, json=PRODUCT_PAGE)
    assert response.status == status, await response.text()
    assert await response.json() == {"accepted": 1, "rejected": []}
    seen = await profile(client, externalCustomerId="1234509876")
    assert seen["recentlyViewed"] == ["72354"]
    assert seen["contact"]["email"] == "user@mail.com"
    assert seen["contact"]["webIds"] == ["CDA68358-94FB-4D83-9655-3FEB3C4114A3"]


async def test_the_tracker_path_takes_a_batch_as_the_events_route_does(client: Client) -> None:
    bad = {"GeneralInfo": {"eventName": "ProductPage"}, "ProductPage": {"Product": {}}}
    response = await client.post(TRACKER, json=[PRODUCT_PAGE, bad])
    assert response.status == 200
    assert await response.json() == {
        "accepted": 1,
        "rejected": [{"index": 1, "reason": "ProductPage.Product.productKey is missing"}],
    }
    refused = await client.post(TRACKER, json=bad)
    assert refused.status == 400
    assert "productKey is missing" in (await refused.json())["message"]


async def test_a_price_that_is_no_price_is_refused_naming_the_field(client: Client) -> None:
    event = copy.deepcopy(PRODUCT_PAGE)
    event["ProductPage"]["Product"]["price"] = "cheap"
    response = await client.post(TRACKER, json=event)
    assert response.status == 400
    message = (await response.json())["message"]
    assert message.startswith("ProductPage.Product.price: is not a price")


async def test_user_es_contact_id_names_the_contact(
    service: RecomsService, client: Client
) -> None:
    contact = await service.upsert_contact(external_id="olena-7")
    event = copy.deepcopy(PRODUCT_PAGE)
    general = event["GeneralInfo"]
    for field in ("externalCustomerId", "user_phone", "user_email", "user_name"):
        del general[field]
    general["user_es_contact_id"] = str(contact.id)
    general["cookies"] = {"sc": "olena-browser"}
    assert (await client.post(TRACKER, json=event)).status == 200
    seen = await profile(client, contactId=str(contact.id))
    assert seen["recentlyViewed"] == ["72354"]
    assert seen["contact"]["webIds"] == ["olena-browser"]


async def test_a_contact_id_no_contact_has_leaves_the_visitor_anonymous(
    client: Client,
) -> None:
    event = copy.deepcopy(PRODUCT_PAGE)
    general = event["GeneralInfo"]
    for field in ("externalCustomerId", "user_phone", "user_email", "user_name"):
        del general[field]
    assert (await client.post(TRACKER, json=event)).status == 200
    nobody = await client.get(
        "/api/v1/contacts/profile", params={"contactId": "255830499"}, headers=ADMIN
    )
    assert nobody.status == 404


async def test_a_purchase_priced_with_its_currency_is_stored_in_it(client: Client) -> None:
    purchase = {
        "GeneralInfo": {"eventName": "PurchasedItems", "externalCustomerId": "buyer-1"},
        "PurchasedItems": {
            "OrderNumber": "web-77",
            "Products": [{"productKey": "k-mug", "price": "10.50 UAH", "quantity": 2}],
        },
    }
    assert (await client.post(TRACKER, json=purchase)).status == 200
    (order,) = (await profile(client, externalCustomerId="buyer-1"))["lastOrders"]
    assert order["currency"] == "UAH"
    assert order["lines"] == [{"productId": "k-mug", "quantity": 2.0, "price": 10.5}]


@pytest.mark.parametrize("name", ["MainPage", "StatusCartPage", "NotFound"])
async def test_page_events_without_data_are_accepted(client: Client, name: str) -> None:
    event = {"GeneralInfo": {"eventName": name, "siteId": "8A412DC", "cookies": {"sc": "v-1"}}}
    assert (await client.post(TRACKER, json=event)).status == 200


async def test_the_tracker_path_takes_the_public_key_and_a_shop_page(
    service: RecomsService, make_client: MakeClient
) -> None:
    keys = await make_client(service, api_key=API_KEY, public_key=PUBLIC_KEY, cors_origins=SHOP)
    anonymous = copy.deepcopy(PRODUCT_PAGE)
    anonymous["GeneralInfo"] = {"eventName": "ProductPage", "cookies": {"sc": "visitor-5"}}
    assert (await keys.post(TRACKER, json=anonymous)).status == 401
    response = await keys.post(TRACKER, json=anonymous, headers={**PUBLIC, "Origin": SHOP})
    assert response.status == 200, await response.text()
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    preflight = await keys.options(
        TRACKER, headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST"


async def test_with_the_public_key_the_documented_example_needs_the_admin_key(
    service: RecomsService, make_client: MakeClient
) -> None:
    # The example names the visitor by email, phone, external id and contact id: with the key
    # every page shows, that would let anyone tie their cookie to that customer.
    keys = await make_client(service, api_key=API_KEY, public_key=PUBLIC_KEY)
    contact = await service.upsert_contact(external_id="olena-7")
    by_contact_id = copy.deepcopy(PRODUCT_PAGE)
    by_contact_id["GeneralInfo"] = {
        "eventName": "ProductPage",
        "user_es_contact_id": str(contact.id),
        "cookies": {"sc": "attacker-cookie"},
    }
    for event in (PRODUCT_PAGE, by_contact_id):
        refused = await keys.post(TRACKER, json=event, headers=PUBLIC)
        assert refused.status == 403
        assert "admin key" in (await refused.json())["message"]
    seen = await profile(keys, contactId=str(contact.id))
    assert seen["contact"]["webIds"] == []
    assert (await keys.post(TRACKER, json=by_contact_id, headers=ADMIN)).status == 200
    assert (await profile(keys, contactId=str(contact.id)))["contact"]["webIds"] == [
        "attacker-cookie"
    ]
