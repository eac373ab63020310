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


async def test_search_ranks_text_matches_forgiving_typos(client: Client) -> None:
    search = "/api/v1/products/search"
    assert (await ids(await client.get(search, params={"q": "tepot"})))[:1] == ["k-teapot"]
    assert (await ids(await client.get(search, params={"q": "KETTLE"})))[:1] == ["k-kettle"]
    kitchen = await ids(await client.get(search, params={"q": "kitchen"}))
    assert set(kitchen) == {"k-mug", "k-cup", "k-pan", "k-teapot", "k-kettle"}
    # Out of stock is found, and says so.
    response = await client.get(search, params={"q": "pan"})
    assert response.status == 200
    pan = (await response.json())[0]
    assert (pan["id"], pan["isInStock"], pan["tags_availability"]) == ("k-pan", 0, "out of stock")
    assert await ids(await client.get(search, params={"q": "bicycle"})) == []


async def test_search_pages_and_a_customer_s_own_picks_rise(client: Client) -> None:
    search = "/api/v1/products/search"
    first = await ids(await client.get(search, params={"q": "kitchen", "limit": "2"}))
    rest = await ids(await client.get(search, params={"q": "kitchen", "offset": "2"}))
    assert len(first) == 2
    assert set(first) | set(rest) == {"k-mug", "k-cup", "k-pan", "k-teapot", "k-kettle"}
    assert not set(first) & set(rest)
    anyone = await ids(await client.get(search, params={"q": "kitchen"}))
    alice = await ids(
        await client.get(search, params={"q": "kitchen", "externalCustomerId": "alice-1"})
    )
    assert anyone[0] != "k-kettle"
    assert alice[0] == "k-kettle", "Alice rebuys her kettle: it rises in her search"
    stranger = {"q": "kitchen", "externalCustomerId": "nobody-known"}
    assert await ids(await client.get(search, params=stranger)) == anyone


async def test_bad_searches_are_refused_with_a_reason(client: Client) -> None:
    for query, expected in (
        ("", "q:"),
        ("?q=", "q:"),
        ("?q=%20%20", "q:"),
        ("?q=" + "m" * 300, "q:"),
        ("?q=mug&limit=0", "limit:"),
        ("?q=mug&limit=51", "limit:"),
        ("?q=mug&limit=x", "limit:"),
        ("?q=mug&offset=-1", "offset:"),
        ("?q=mug&offset=100000", "offset:"),
        ("?q=mug&contactId=abc", "contactId:"),
        ("?q=m%00g", "q:"),
    ):
        response = await client.get("/api/v1/products/search" + query)
        assert response.status == 400, query
        assert expected in (await response.json())["message"], query
