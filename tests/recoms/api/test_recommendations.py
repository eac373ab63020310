"""GET /api/v2/contacts/recoms/{dataSourceId}: each list over a shop whose answers are known."""

from __future__ import annotations

import pytest

from recoms.api.schemas import ProductOut
from recoms.presenters import API_FIELDS
from tests.recoms.api.conftest import CATALOGUE, Client, feed_xml, ids
from tests.recoms.api.test_feed import imported

RECOMS = "/api/v2/contacts/recoms"
VISITOR = {"webId": "visitor-1"}


async def test_bestsellers_rank_by_orders_and_leave_out_what_cannot_be_bought(
    client: Client,
) -> None:
    got = await ids(await client.get(f"{RECOMS}/2", params=VISITOR))
    assert got[:3] == ["o-pen", "k-mug", "o-notebook"]
    # k-pan is the most ordered product of all, but out of stock.
    assert "k-pan" not in got


async def test_bestsellers_of_a_category(client: Client) -> None:
    got = await ids(await client.get(f"{RECOMS}/2", params={**VISITOR, "category": "Kitchen"}))
    assert got[0] == "k-mug"
    assert all(product.startswith("k-") for product in got)


async def test_category_path_given_as_the_array_a_product_carries(client: Client) -> None:
    as_path = await ids(
        await client.get(f"{RECOMS}/2", params={**VISITOR, "category": "Home > Kitchen"})
    )
    repeated = await ids(
        await client.get(
            f"{RECOMS}/2", params=[("webId", "v"), ("category", "Home"), ("category", "Kitchen")]
        )
    )
    comma = await ids(await client.get(f"{RECOMS}/2?webId=v&category=Home,Kitchen"))
    assert as_path == repeated == comma
    assert as_path[0] == "k-mug"


@pytest.mark.parametrize(
    "identifier",
    [
        {"externalCustomerId": "alice-1"},
        {"email": "alice@example.com"},
        {"phone": "+380501110001"},
        {"phone": "0501110001"},  # national form, the server's default region (UA)
    ],
)
async def test_personal_puts_what_the_contact_buys_again_first(
    client: Client, identifier: dict[str, str]
) -> None:
    got = await ids(await client.get(f"{RECOMS}/1", params=identifier))
    assert got[0] == "k-kettle"


async def test_personal_by_contact_id(client: Client) -> None:
    profile = await client.get(
        "/api/v1/contacts/profile", params={"externalCustomerId": "alice-1"}
    )
    contact_id = (await profile.json())["contact"]["contactId"]
    got = await ids(await client.get(f"{RECOMS}/1", params={"contactId": str(contact_id)}))
    assert got[0] == "k-kettle"


async def test_unknown_contact_gets_bestsellers(client: Client) -> None:
    bestsellers = await ids(await client.get(f"{RECOMS}/2", params=VISITOR))
    for unknown in ({"email": "nobody@example.com"}, {"contactId": "987654321"}, VISITOR):
        assert await ids(await client.get(f"{RECOMS}/1", params=unknown)) == bestsellers


async def test_also_bought_returns_what_was_bought_with_the_products(client: Client) -> None:
    assert (await ids(await client.get(f"{RECOMS}/3?webId=v&products=k-mug")))[0] == "k-teapot"
    got = await ids(await client.get(f"{RECOMS}/3?webId=v&products=o-pen"))
    assert got[0] == "o-notebook"
    assert "o-pen" not in got


async def test_you_may_also_like_offers_a_pricier_item_of_the_same_kind(client: Client) -> None:
    got = await ids(await client.get(f"{RECOMS}/4?webId=v&products=k-teapot"))
    assert got[0] == "k-kettle"
    assert "k-teapot" not in got


async def test_alternatives_are_in_stock_substitutes_at_a_similar_price(client: Client) -> None:
    got = await ids(await client.get(f"{RECOMS}/5?webId=v&products=k-mug"))
    assert got[0] == "k-cup"
    assert "k-pan" not in got  # same kind and price, but out of stock
    assert "k-mug" not in got


async def test_other_returns_the_curated_list_in_stock(client: Client) -> None:
    response = await client.patch(
        "/api/v1/datasources/6", json={"params": {"productIds": ["o-chair", "k-pan", "o-lamp"]}}
    )
    assert response.status == 200, await response.text()
    assert await ids(await client.get(f"{RECOMS}/6", params=VISITOR)) == ["o-chair", "o-lamp"]


@pytest.mark.parametrize(
    "query",
    [
        "products=k-mug,o-pen",
        "products=k-mug&products=o-pen",
        "products[]=k-mug&products[]=o-pen",
        "products=k-mug,&products[]=o-pen&products=",
        "products=%20k-mug%20,%20o-pen",
    ],
)
async def test_products_as_repeated_or_comma_separated_parameters(
    client: Client, query: str
) -> None:
    got = await ids(await client.get(f"{RECOMS}/3?webId=v&{query}"))
    assert {"k-teapot", "o-notebook"} <= set(got)
    assert not {"k-mug", "o-pen"} & set(got)


def test_the_documented_fields_are_yespo_s_and_the_rest_are_tags() -> None:
    assert tuple(ProductOut.model_fields) == API_FIELDS


async def test_each_product_carries_the_yespo_fields(client: Client) -> None:
    response = await client.get(f"{RECOMS}/1", params={"externalCustomerId": "alice-1"})
    kettle = (await response.json())[0]
    ProductOut.model_validate(kettle)
    assert kettle == {
        "id": "k-kettle",
        "name": "Kettle",
        "url": "https://shop.example/p/k-kettle",
        "price": 40.0,
        "descr": "A kettle & more.",
        "brand": "Acme",
        "category": ["Home", "Kitchen"],
        "isInStock": 1,
        "tags_old_price": "45.00",
        "tags_currency": "EUR",
        "tags_image_link": "https://shop.example/img/k-kettle.jpg",
        "tags_availability": "limited availability",
        "tags_custom_label_0": "label-k-kettle",
    }
    assert response.content_type == "application/json"


async def test_a_product_changed_by_a_feed_shows_its_new_fields_in_the_next_list(
    client: Client,
) -> None:
    # The list is answered before and after, so what the first answer rendered is not reused.
    before = await (await client.get(f"{RECOMS}/2", params=VISITOR)).json()
    assert next(p for p in before if p["id"] == "o-pen")["name"] == "Pen"
    pen = next(row for row in CATALOGUE if row[0] == "o-pen")
    changed = feed_xml([("o-pen", "Fountain pen", "3.00", "2.50", *pen[4:])])
    await imported(
        client, params={"full": "false"}, data=changed, headers={"Content-Type": "text/xml"}
    )
    after = await (await client.get(f"{RECOMS}/2", params=VISITOR)).json()
    new_pen = next(p for p in after if p["id"] == "o-pen")
    assert (new_pen["name"], new_pen["price"], new_pen["tags_old_price"]) == (
        "Fountain pen",
        2.5,
        "3.00",
    )
    assert [p for p in after if p["id"] != "o-pen"] == [p for p in before if p["id"] != "o-pen"]


async def test_a_product_not_on_sale_has_no_old_price(client: Client) -> None:
    products = await (await client.get(f"{RECOMS}/2", params=VISITOR)).json()
    pen = next(product for product in products if product["id"] == "o-pen")
    assert pen["price"] == 2.0
    assert "tags_old_price" not in pen


async def test_limit_of_the_data_source_bounds_the_list(client: Client) -> None:
    response = await client.patch("/api/v1/datasources/2", json={"params": {"limit": 2}})
    assert response.status == 200
    assert await ids(await client.get(f"{RECOMS}/2", params=VISITOR)) == ["o-pen", "k-mug"]


async def test_an_empty_shop_answers_an_empty_list(empty_client: Client) -> None:
    assert await ids(await empty_client.get(f"{RECOMS}/2", params=VISITOR)) == []
    assert await ids(await empty_client.get(f"{RECOMS}/1", params={"email": "a@b.c"})) == []
