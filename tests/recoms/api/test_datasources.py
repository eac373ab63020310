"""Data sources over HTTP: list, read, create, replace and change."""

from __future__ import annotations

from typing import Any

import pytest

from tests.recoms.api.conftest import Client, ids

SOURCES = "/api/v1/datasources"


async def test_a_fresh_shop_has_one_data_source_per_algorithm(client: Client) -> None:
    """And two more personal ones: Buy again (7) and New for you (8)."""
    response = await client.get(SOURCES)
    assert response.status == 200
    sources = await response.json()
    assert [(source["id"], source["algorithm"]) for source in sources] == [
        (1, "personal"),
        (2, "bestsellers"),
        (3, "also_bought"),
        (4, "you_may_also_like"),
        (5, "alternatives"),
        (6, "other"),
        (7, "personal"),
        (8, "personal"),
    ]
    assert [source["needsProducts"] for source in sources] == [
        False,
        False,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert sources[6]["params"]["purchasedOnly"] is True
    assert sources[7]["params"]["excludePurchased"] is True
    assert sources[1]["params"]["limit"] == 10
    one = await (await client.get(f"{SOURCES}/2")).json()
    assert one == sources[1]


async def test_unknown_data_source(client: Client) -> None:
    response = await client.get(f"{SOURCES}/77")
    assert response.status == 404
    response = await client.patch(f"{SOURCES}/77", json={"name": "x"})
    assert response.status == 404


async def test_a_created_data_source_serves_recommendations(client: Client) -> None:
    body = {"name": "Top 3", "algorithm": "bestsellers", "params": {"limit": 3}}
    response = await client.post(SOURCES, json=body)
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["id"] > 6
    assert response.headers["Location"] == f"{SOURCES}/{created['id']}"
    assert (created["name"], created["params"]["limit"]) == ("Top 3", 3)
    got = await ids(await client.get(f"/api/v2/contacts/recoms/{created['id']}?webId=v"))
    assert got == ["o-pen", "k-mug", "o-notebook"]


async def test_patch_changes_only_what_is_given(client: Client) -> None:
    response = await client.patch(f"{SOURCES}/2", json={"params": {"inStockOnly": False}})
    assert response.status == 200, await response.text()
    changed = await response.json()
    assert changed["params"]["inStockOnly"] is False
    assert changed["params"]["limit"] == 10
    # The out-of-stock bestseller now shows.
    got = await ids(await client.get("/api/v2/contacts/recoms/2?webId=v"))
    assert got[0] == "k-pan"

    response = await client.patch(f"{SOURCES}/2", json={"name": "Popular now"})
    renamed = await response.json()
    assert renamed["name"] == "Popular now"
    assert renamed["params"]["inStockOnly"] is False


async def test_put_replaces_name_and_params(client: Client) -> None:
    current = await (await client.get(f"{SOURCES}/4")).json()
    current["name"] = "Upsell"
    current["params"] = {"priceRatioMax": 3}
    response = await client.put(f"{SOURCES}/4", json=current)
    assert response.status == 200, await response.text()
    replaced = await response.json()
    assert replaced["name"] == "Upsell"
    assert replaced["params"]["priceRatioMax"] == 3
    assert replaced["params"]["limit"] == 10


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("post", SOURCES, {"name": "x", "algorithm": "magic"}, "algorithm:"),
        ("post", SOURCES, {"algorithm": "bestsellers"}, "name: Field required"),
        ("post", SOURCES, {"name": " ", "algorithm": "bestsellers"}, "name:"),
        (
            "post",
            SOURCES,
            {"name": "x", "algorithm": "other", "params": {"limit": 0}},
            "params.limit:",
        ),
        ("post", SOURCES, [1, 2], "the request body must be a JSON object"),
        ("patch", f"{SOURCES}/2", {"params": {"limit": 51}}, "limit:"),
        ("patch", f"{SOURCES}/2", {"params": {"windowDays": "soon"}}, "windowDays:"),
        (
            "patch",
            f"{SOURCES}/5",
            {"params": {"priceRatioMin": 2, "priceRatioMax": 1}},
            "priceRatioMin",
        ),
        ("patch", f"{SOURCES}/2", {"algorithm": "personal"}, "algorithm:"),
        ("patch", f"{SOURCES}/2", {"params": {"limit": "10"}}, "limit:"),
        ("patch", f"{SOURCES}/2", {"params": {"inStockOnly": 0}}, "inStockOnly:"),
        ("post", SOURCES, {"name": "   ", "algorithm": "other"}, "name: must not be blank"),
        ("patch", f"{SOURCES}/abc", {"name": "x"}, "dataSourceId: must be an integer"),
    ],
)
async def test_bad_changes_are_refused_and_change_nothing(
    client: Client, method: str, path: str, body: Any, expected: str
) -> None:
    await refused(client, method, path, body, 400, expected)


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("put", f"{SOURCES}/2", {"name": "x", "algorithm": "personal"}, "the algorithm"),
        ("put", f"{SOURCES}/2", {"id": 3, "name": "x"}, "id in the body"),
        # Valid on its own, but above the stored priceRatioMax (1.5).
        ("patch", f"{SOURCES}/5", {"params": {"priceRatioMin": 2}}, "priceRatioMin"),
    ],
)
async def test_changes_that_clash_with_the_stored_record_are_a_409(
    client: Client, method: str, path: str, body: Any, expected: str
) -> None:
    await refused(client, method, path, body, 409, expected)


async def refused(
    client: Client, method: str, path: str, body: Any, status: int, expected: str
) -> None:
    before = await (await client.get(SOURCES)).json()
    response = await client.request(method.upper(), path, json=body)
    assert response.status == status, await response.text()
    assert expected in (await response.json())["message"]
    assert await (await client.get(SOURCES)).json() == before
