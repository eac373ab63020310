"""Whole journeys of a customer and a staff member, through the web chat, with the real bot
answering over HTTP from the local Bot API server, in polling and in webhook mode."""

from __future__ import annotations

from typing import Any

from recoms.domain import Identity
from tests.e2e.conftest import IRYNA, OLENA, TARAS, World
from tests.e2e.webchat import Message, WebChat, buttons, visible


def page_label(message: Message) -> str | None:
    """The "n/m" button of a paged list."""
    return next((b["text"] for b in buttons(message) if "/" in b["text"]), None)


async def link_by_phone(chat: WebChat, greeting: str, thanks: str) -> None:
    await chat.send("/start")
    await chat.bot_says(greeting)
    keyboard = (await chat.chat())["reply_keyboard"]
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    await chat.reply_button("📱")
    await chat.bot_says(thanks)


async def test_customer_journey(world: World) -> None:
    olena = world.chat(OLENA)
    await link_by_phone(olena, "Вітаю, Olena!", "Дякую, Olena!")
    contact = await world.service.find_contact(Identity(telegram_user_id=OLENA))
    assert contact is not None
    assert contact.external_id == "olena-001"
    # The share-phone button is gone once linked; the menu stays.
    menu = (await olena.chat())["reply_keyboard"]
    labels = [b["text"] for row in menu["keyboard"] for b in row]
    assert "🔥 Популярне зараз" in labels
    assert not any(b.get("request_contact") for row in menu["keyboard"] for b in row)

    # Bestsellers open as one message with a card, paged by editing it.
    sent = await olena.reply_button("Популярне зараз")
    first = await olena.bot_says("Популярне зараз", after=sent["message_id"])
    label = page_label(first)
    assert label is not None
    assert label.startswith("1/")
    total = int(label.split("/")[1])
    assert total >= 3
    answer = await olena.press(first, "▶")
    assert answer["answered"] is True

    def second_page(chat: dict[str, Any]) -> Message | None:
        lists = [m for m in chat["messages"] if not m["outgoing"] and page_label(m)]
        return lists[-1] if lists and page_label(lists[-1]) == f"2/{total}" else None

    second = await olena.wait_for(second_page)
    assert visible(second) != visible(first)
    chat = await olena.chat()
    assert sum(1 for m in chat["messages"] if page_label(m)) == 1, "paging adds no messages"

    # The shop button carries UTM tags; "Also bought" under the card opens a new list.
    shop = next(b["url"] for b in buttons(second) if b.get("url"))
    assert "utm_source=telegram" in shop
    await olena.press(second, "Також купують")
    also = await olena.bot_says("також купують", after=second["message_id"])
    assert also["message_id"] > second["message_id"]

    # Switch to English, then forget.
    sent = await olena.reply_button("Мова")
    picker = await olena.bot_says("", after=sent["message_id"])
    await olena.press(picker, "English")
    await olena.bot_says("Language: English", after=sent["message_id"] - 1)
    sent = await olena.send("/forget")
    question = await olena.bot_says("Continue?", after=sent["message_id"])
    await olena.press(question, "Yes, forget me")
    await olena.bot_says("I have deleted", after=sent["message_id"])
    assert await world.store.user(OLENA) is None


async def test_spoofed_contact_links_nothing(world: World) -> None:
    taras = world.chat(TARAS)
    await taras.send("/start")
    await taras.bot_says("Hello, Taras!")
    sent = await taras.share_contact(
        {"phone_number": "+380501110001", "first_name": "Olena", "user_id": OLENA}
    )
    reply = await taras.bot_says("", after=sent["message_id"])
    assert "Thank you" not in visible(reply)
    contact = await world.service.find_contact(Identity(external_id="olena-001"))
    assert contact is not None
    assert contact.telegram_user_id is None


async def test_staff_finds_a_customer_and_sends_a_list(world: World) -> None:
    olena = world.chat(OLENA)
    await link_by_phone(olena, "Вітаю, Olena!", "Дякую, Olena!")
    iryna = world.chat(IRYNA)
    await iryna.send("/start")
    await iryna.bot_says("Hello, Iryna!")
    staff_menu = [c["command"] for c in (await iryna.chat())["commands"]]
    assert "find" in staff_menu
    assert "find" not in [c["command"] for c in (await olena.chat())["commands"]]

    sent = await iryna.send("/find +380501110001")
    profile = await iryna.bot_says("Telegram: linked", after=sent["message_id"])
    assert "olena-001" in visible(profile)
    before = (await olena.chat())["messages"][-1]["message_id"]
    await iryna.press(profile, "📤")
    await iryna.bot_says("Sent", after=profile["message_id"])
    # Olena's language is Ukrainian, so the picked list reaches her in Ukrainian.
    await olena.bot_says("Наш консультант дібрав для вас", after=before)
    card = await olena.wait_for(
        lambda chat: next(
            (m for m in chat["messages"] if m["message_id"] > before and page_label(m)), None
        )
    )
    assert card is not None
