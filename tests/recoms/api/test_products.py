"""Product lookup and search, as the bot's product card and search use them."""

from __future__ import annotations

from tests.recoms.api.conftest import Client, ids


async def test_one_product_in_or_out_of_stock(client: Client) -> None:
    response = await client.get("/api/v1/products/k-pan")
    assert response.status == 200
    pan = await response.json()
    assert (pan["id"], pan["name"], pan["isInStock"], pan["price"]) == ("k-pan", "Pan", 0, 12.0)
    response = await client.get("/api/v1/products/nothing-here")
    assert response.status == 404
    assert "nothing-here" in (await response.json())["message"]


async def test_search_by_title_case_insensitive(client: Client) -> None:
    assert await ids(await client.get("/api/v1/products", params={"search": "MUG"})) == ["k-mug"]
    got = await ids(await client.get("/api/v1/products", params={"search": "o-", "limit": "2"}))
    assert len(got) == 2
    assert await ids(await client.get("/api/v1/products", params={"search": "zzz"})) == []


async def test_lookup_of_several_ids_in_the_order_asked(client: Client) -> None:
    got = await ids(await client.get("/api/v1/products?ids=o-lamp,nope,k-mug"))
    assert got == ["o-lamp", "k-mug"]


async def test_bad_product_queries(client: Client) -> None:
    for query, expected in (
        ("", "either search or ids is required"),
        ("?search=a&ids=b", "give either search or ids, not both"),
        ("?search=mug&limit=0", "limit:"),
        ("?search=mug&limit=x", "limit:"),
        ("?search=" + "m" * 300, "search:"),
    ):
        response = await client.get("/api/v1/products" + query)
        assert response.status == 400, query
        assert expected in (await response.json())["message"]
    response = await client.get("/api/v1/products/" + "p" * 300)
    assert response.status == 400
