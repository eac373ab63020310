"""Contact profiles and the Telegram link, as staff and the bot's HTTP adapter use them."""

from __future__ import annotations

from typing import Any

from tests.recoms.api.conftest import Client

PROFILE = "/api/v1/contacts/profile"
TELEGRAM = "/api/v1/contacts/telegram"


async def get_profile(client: Client, **identity: str) -> dict[str, Any]:
    response = await client.get(PROFILE, params=identity)
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def test_a_profile_has_identifiers_and_last_orders_newest_first(client: Client) -> None:
    profile = await get_profile(client, email="alice@example.com")
    contact = profile["contact"]
    assert (contact["externalCustomerId"], contact["phone"]) == ("alice-1", "+380501110001")
    assert contact["telegramUserId"] is None
    assert [order["number"] for order in profile["lastOrders"]] == ["1012", "1013", "1014"]
    first = profile["lastOrders"][0]
    assert first["lines"] == [{"productId": "k-kettle", "quantity": 1.0, "price": 40.0}]
    assert first["currency"] == "EUR"
    assert first["orderedAt"].endswith(("Z", "+00:00"))
    assert (profile["cart"], profile["recentlyViewed"]) == ([], [])

    by_id = await get_profile(client, contactId=str(contact["contactId"]))
    assert by_id == profile
    assert await get_profile(client, phone="050 111 00 01") == profile
    assert (
        len((await get_profile(client, email="alice@example.com", orders="1"))["lastOrders"]) == 1
    )


async def test_unknown_contact_and_missing_identifier(client: Client) -> None:
    response = await client.get(PROFILE, params={"email": "nobody@example.com"})
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"
    response = await client.get(PROFILE)
    assert response.status == 400
    assert "telegramUserId" in (await response.json())["message"]
    response = await client.get(PROFILE, params={"email": "a@b.c", "orders": "1000"})
    assert response.status == 400
    assert (await response.json())["message"].startswith("orders:")


async def test_telegram_link_by_phone_then_profile_by_telegram_id(client: Client) -> None:
    response = await client.post(
        TELEGRAM, json={"telegramUserId": 100001, "phone": "+380501110001"}
    )
    assert response.status == 200, await response.text()
    linked = await response.json()
    assert (linked["externalCustomerId"], linked["telegramUserId"]) == ("alice-1", 100001)
    profile = await get_profile(client, telegramUserId="100001")
    assert profile["contact"]["contactId"] == linked["contactId"]
    got = await client.get("/api/v2/contacts/recoms/1", params={"telegramUserId": "100001"})
    assert (await got.json())[0]["id"] == "k-kettle"


async def test_an_unknown_phone_creates_the_contact(client: Client) -> None:
    response = await client.post(TELEGRAM, json={"telegramUserId": 100002, "phone": "0501110002"})
    assert response.status == 200, await response.text()
    taras = await response.json()
    assert (taras["phone"], taras["telegramUserId"]) == ("+380501110002", 100002)
    assert (await get_profile(client, phone="+380501110002"))["lastOrders"] == []


async def test_a_telegram_user_moves_to_another_contact_and_unlinks(client: Client) -> None:
    await client.post(TELEGRAM, json={"telegramUserId": 5, "externalCustomerId": "alice-1"})
    response = await client.post(TELEGRAM, json={"telegramUserId": 5, "email": "bob@example.com"})
    assert (await response.json())["externalCustomerId"] == "bob-1"
    alice = await get_profile(client, externalCustomerId="alice-1")
    assert alice["contact"]["telegramUserId"] is None

    response = await client.delete(f"{TELEGRAM}/5")
    assert response.status == 204
    assert (await client.get(PROFILE, params={"telegramUserId": "5"})).status == 404
    assert (await get_profile(client, externalCustomerId="bob-1"))["contact"][
        "telegramUserId"
    ] is None
    assert (await client.delete(f"{TELEGRAM}/5")).status == 204


async def test_bad_link_requests(client: Client) -> None:
    cases = [
        ({"telegramUserId": 1}, "at least one of contactId, email, phone"),
        ({"phone": "+380501110001"}, "telegramUserId: Field required"),
        ({"telegramUserId": "abc", "phone": "+380501110001"}, "telegramUserId:"),
        ({"telegramUserId": -4, "phone": "+380501110001"}, "telegramUserId:"),
        ({"telegramUserId": 1, "phone": "+38050111000" + "1" * 40}, "phone:"),
        # Longer than storage holds: refused, never a database error.
        ({"telegramUserId": 1, "externalCustomerId": "x" * 201}, "externalCustomerId:"),
    ]
    for body, expected in cases:
        response = await client.post(TELEGRAM, json=body)
        assert response.status == 400, body
        assert expected in (await response.json())["message"], body
    assert (await client.delete(f"{TELEGRAM}/abc")).status == 400


# --- contacts by name: staff who know a customer by name only -----------------------------

CONTACTS = "/api/v1/contacts"


async def name_contact(client: Client, external_id: str, name: str) -> None:
    event = {
        "GeneralInfo": {"eventName": "CustomerData"},
        "CustomerData": {"externalCustomerId": external_id, "user_name": name},
    }
    response = await client.post("/api/v1/events", json=event)
    assert response.status == 202, await response.text()


async def names_found(client: Client, **params: str) -> list[str]:
    response = await client.get(CONTACTS, params=params)
    assert response.status == 200, await response.text()
    return [contact["name"] for contact in (await response.json())["contacts"]]


async def test_contacts_are_found_by_part_of_the_name_in_any_case(client: Client) -> None:
    for external_id, name in [
        ("n-1", "Олена Коваль"),
        ("n-2", "Olena Shevchenko"),
        ("n-3", "Petro Olenchuk"),
        ("n-4", "Iryna 100%_Real"),
    ]:
        await name_contact(client, external_id, name)
    assert await names_found(client, name="ОЛЕНА") == ["Олена Коваль"]
    assert await names_found(client, name="коваль") == ["Олена Коваль"]
    assert await names_found(client, name="olen") == ["Olena Shevchenko", "Petro Olenchuk"]
    assert await names_found(client, name="  olena   shev ") == ["Olena Shevchenko"]
    assert await names_found(client, name="olen", limit="1") == ["Olena Shevchenko"]
    # LIKE's wildcards are letters like any other.
    assert await names_found(client, name="0%_") == ["Iryna 100%_Real"]
    assert await names_found(client, name="%%") == []
    assert await names_found(client, name="Nobody") == []

    response = await client.get(CONTACTS, params={"name": "Olena Shevchenko"})
    (contact,) = (await response.json())["contacts"]
    assert contact["externalCustomerId"] == "n-2"


async def test_a_name_search_needs_two_characters_and_a_bounded_limit(client: Client) -> None:
    for params in ({}, {"name": "o"}, {"name": " "}, {"name": "ol", "limit": "51"}):
        response = await client.get(CONTACTS, params=params)
        assert response.status == 400, params
        assert (await response.json())["message"]
    assert (await client.get(CONTACTS, params={"name": "x" * 201})).status == 400
