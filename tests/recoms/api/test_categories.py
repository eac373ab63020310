"""`category` on the lists that take it: bestsellers, alternatives and you may also like.
Several categories mean any of them; a category the shop lacks gives an empty list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.recoms.api.conftest import Client

RECOMS = "/api/v2/contacts/recoms"
BESTSELLERS, YOU_MAY_ALSO_LIKE, ALTERNATIVES = 2, 4, 5
KITCHEN, OFFICE = ["Home", "Kitchen"], ["Office"]


async def listed(client: Client, source: int, query: str) -> list[dict[str, Any]]:
    response = await client.get(f"{RECOMS}/{source}?webId=v&{query}")
    assert response.status == 200, await response.text()
    products: list[dict[str, Any]] = await response.json()
    return products


def categories(products: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    return {tuple(product["category"]) for product in products}


@pytest.mark.parametrize("source", [BESTSELLERS, YOU_MAY_ALSO_LIKE, ALTERNATIVES])
async def test_a_category_the_shop_lacks_gives_an_empty_list(client: Client, source: int) -> None:
    assert await listed(client, source, "products=k-mug&category=Garden") == []


async def test_bestsellers_of_one_category_or_of_any_of_several(client: Client) -> None:
    office = await listed(client, BESTSELLERS, "category=Office")
    assert [product["id"] for product in office] == ["o-pen", "o-notebook"]
    both = await listed(client, BESTSELLERS, "category=Office&category=Kitchen")
    assert categories(both) == {tuple(KITCHEN), tuple(OFFICE)}
    assert [product["id"] for product in both] == [
        product["id"] for product in await listed(client, BESTSELLERS, "")
    ]


async def test_you_may_also_like_keeps_to_the_category(client: Client) -> None:
    # Without a category the upsell of a mug fills up with office bestsellers.
    assert categories(await listed(client, YOU_MAY_ALSO_LIKE, "products=k-mug")) == {
        tuple(KITCHEN),
        tuple(OFFICE),
    }
    kitchen = await listed(client, YOU_MAY_ALSO_LIKE, "products=k-mug&category=Kitchen")
    assert kitchen
    assert categories(kitchen) == {tuple(KITCHEN)}
    office = await listed(client, YOU_MAY_ALSO_LIKE, "products=k-mug&category=Office")
    assert [product["id"] for product in office] == ["o-pen", "o-notebook"]


async def test_alternatives_keep_to_the_category(client: Client) -> None:
    assert [p["id"] for p in await listed(client, ALTERNATIVES, "products=k-mug")] == ["k-cup"]
    path = "products=k-mug&category=Home%20%3E%20Kitchen"
    assert [p["id"] for p in await listed(client, ALTERNATIVES, path)] == ["k-cup"]
    assert await listed(client, ALTERNATIVES, "products=k-mug&category=Office") == []
    either = "products=k-mug&category=Office&category=Kitchen"
    assert [p["id"] for p in await listed(client, ALTERNATIVES, either)] == ["k-cup"]
