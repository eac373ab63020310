"""The Telegram link over the API keeps the engine's rule: a linked contact moves only by its
owner's own-contact share; forgetting removes what the link added."""

from __future__ import annotations

from tests.recoms.api.conftest import Client

TELEGRAM = "/api/v1/contacts/telegram"


async def test_a_linked_contact_is_not_moved_by_another_link(client: Client) -> None:
    first = await client.post(
        TELEGRAM, json={"telegramUserId": 7, "externalCustomerId": "alice-1"}
    )
    assert first.status == 200, await first.text()
    assert (await first.json())["known"] is True

    for body in (
        {"telegramUserId": 8, "externalCustomerId": "alice-1"},
        {"telegramUserId": 8, "phone": "+380501110001"},
    ):
        refused = await client.post(TELEGRAM, json=body)
        assert refused.status == 409, body
        answer = await refused.json()
        assert answer["error"] == "conflict"
        assert "another Telegram user" in answer["message"]

    taken = await client.post(
        TELEGRAM, json={"telegramUserId": 8, "phone": "+380501110001", "ownContactShare": True}
    )
    assert taken.status == 200, await taken.text()
    moved = await taken.json()
    assert (moved["telegramUserId"], moved["previousTelegramUserId"]) == (8, 7)
    assert moved["externalCustomerId"] == "alice-1"

    needs_phone = await client.post(
        TELEGRAM,
        json={"telegramUserId": 9, "externalCustomerId": "bob-1", "ownContactShare": True},
    )
    assert needs_phone.status == 400


async def test_forget_removes_what_the_link_added(client: Client) -> None:
    created = await client.post(
        TELEGRAM,
        json={
            "telegramUserId": 20,
            "phone": "+380501110020",
            "ownContactShare": True,
            "name": "Taras",
        },
    )
    assert (await created.json())["known"] is False
    forgotten = await client.post(f"{TELEGRAM}/20/forget")
    assert forgotten.status == 200, await forgotten.text()
    body = await forgotten.json()
    assert body["deleted"] is True
    assert isinstance(body["contactId"], int)
    assert (await client.post(f"{TELEGRAM}/20/forget")).status == 404
    assert (await client.post(f"{TELEGRAM}/abc/forget")).status == 400
