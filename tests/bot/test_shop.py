"""Shopping in the chat, fed as Telegram updates: My orders with Buy again, ❤️ Save and the
Saved list."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiogram.methods import EditMessageReplyMarkup, SendMessage, SendPhoto
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.ports import ChatActivity, CustomerKey
from bot.records import BotStore
from recoms.domain import Identity
from recoms.service import RecomsService
from recoms.storage.models import EventRow
from tests.bot.chat import OLENA, TARAS, Chat
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import RecordingSession, Sent


async def linked_in_english(chat: Chat, store: BotStore) -> None:
    """Olena (orders O-1 and O-2 in the test shop), linked, reading English."""
    await chat.send(OLENA, "/start")
    await chat.share_contact(OLENA, "380501110001")
    await store.set_language(OLENA.id, "en")


def texts(sent: Sent) -> list[str]:
    return [text for text, _data, _url in sent.buttons()]


async def test_my_orders_lists_the_last_orders_and_each_item_opens_with_buy_again(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await linked_in_english(chat, store)
    await chat.send(OLENA, "📦 My orders")
    orders = session.last(OLENA.id)
    text = orders.visible
    # Newest first: O-2 (3 days ago: a lamp and a pen, 85 EUR), then O-1 (mug and dice).
    assert text.index("O-2") < text.index("O-1")
    assert "€85.00" in text
    assert "€60.00" in text
    assert "Desk Lamp" in text or "Lamp" in text
    buttons = texts(orders)
    assert len(buttons) == 4, buttons

    # An out-of-stock item of an order opens too: its card, Buy again, Alternatives.
    lamp = next(button for button in buttons if "Lamp" in button)
    requests = await chat.press(OLENA, orders, lamp)
    assert [type(r) for r in requests if isinstance(r, (SendMessage, SendPhoto))]
    card = session.last(OLENA.id)
    assert "From your orders" in card.visible
    assert "Out of stock" in card.visible
    links = [(text, url) for text, _, url in card.buttons() if url]
    assert links
    assert links[0][0] == "🔁 Buy again"
    assert "utm_campaign=orders" in (links[0][1] or "")
    assert any("Alternatives" in text for text in texts(card))
    assert any("Save" in text for text in texts(card))


async def test_my_orders_without_a_link_or_without_orders(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "/start")
    await chat.send(TARAS, "📦 My orders")
    assert "Share your phone number" in session.last(TARAS.id).visible
    await chat.share_contact(TARAS, "+380501110002")
    await chat.send(TARAS, "📦 My orders")
    assert "No orders yet" in session.last(TARAS.id).visible


async def test_save_and_unsave_from_a_card_and_the_saved_list(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(TARAS, "/start")
    await chat.send(TARAS, "❤️ Saved")
    assert "nothing here yet" in session.last(TARAS.id).visible

    await chat.send(TARAS, "🔥 Popular now")
    card = session.last(TARAS.id)
    first_product = card.visible
    requests = await chat.press(TARAS, card, "❤️ Save")
    assert [r for r in requests if isinstance(r, EditMessageReplyMarkup)]
    assert "💔 Remove from saved" in texts(session.last(TARAS.id))
    assert any("Saved" in (answer.text or "") for answer in session.answers())
    # The next page's product is not saved yet: its card offers ❤️ Save.
    await chat.press(TARAS, session.last(TARAS.id), "▶")
    second = session.last(TARAS.id)
    assert "❤️ Save" in texts(second)
    await chat.press(TARAS, second, "❤️ Save")
    assert len(await store.saved_products(TARAS.id)) == 2

    # Saved lists them, newest first, with paging; tapping again removes one.
    await chat.send(TARAS, "❤️ Saved")
    saved = session.last(TARAS.id)
    assert "Saved" in saved.visible
    assert "1/2" in texts(saved)
    assert "💔 Remove from saved" in texts(saved)
    await chat.press(TARAS, saved, "▶")
    saved = session.last(TARAS.id)
    assert saved.visible.split("\n")[1] == first_product.split("\n")[1]
    stale = replace(saved)  # as the app shows it before the press is handled
    await chat.press(TARAS, saved, "💔 Remove from saved")
    assert "❤️ Save" in texts(session.last(TARAS.id))
    assert len(await store.saved_products(TARAS.id)) == 1

    # A double tap (the second press on the old buttons) changes nothing more.
    await chat.press(TARAS, stale, "💔 Remove from saved")
    assert len(await store.saved_products(TARAS.id)) == 1
    assert "❤️ Save" in texts(session.messages[(saved.chat_id, saved.message_id)])

    # /forget deletes them with the rest.
    await chat.send(TARAS, "/forget")
    await chat.press(TARAS, session.last(TARAS.id), "Yes, forget me")
    assert await store.saved_products(TARAS.id) == []


async def test_a_linked_customers_save_and_unsave_reach_the_engine(
    chat: Chat, session: RecordingSession, store: BotStore, engine: FakeEngine
) -> None:
    await linked_in_english(chat, store)
    contact = engine.find(CustomerKey(telegram_user_id=OLENA.id))
    assert contact is not None
    await chat.send(OLENA, "🔥 Popular now")
    card = session.last(OLENA.id)
    before = replace(card)  # as the app shows it before the press is handled
    await chat.press(OLENA, card, "❤️ Save")
    await chat.press(OLENA, before, "❤️ Save")  # a double tap records nothing more
    await chat.press(OLENA, session.last(OLENA.id), "Remove from saved")
    saves = [entry for entry in engine.activity if entry[1] is not ChatActivity.VIEWED]
    [saved_id] = {product for _, _, product in saves}
    assert saves == [
        (contact.contact_id, ChatActivity.SAVED, saved_id),
        (contact.contact_id, ChatActivity.UNSAVED, saved_id),
    ]


async def test_an_unlinked_users_save_stays_in_the_bot(
    chat: Chat, session: RecordingSession, store: BotStore, engine: FakeEngine
) -> None:
    await chat.send(TARAS, "🔥 Popular now")
    await chat.press(TARAS, session.last(TARAS.id), "❤️ Save")
    assert len(await store.saved_products(TARAS.id)) == 1
    assert engine.activity == []


@pytest.mark.engine
async def test_save_is_an_add_to_wishlist_event_of_the_contact(
    chat: Chat,
    session: RecordingSession,
    store: BotStore,
    service: RecomsService,
    database_url: str,
) -> None:
    await linked_in_english(chat, store)
    contact = await service.find_contact(Identity(telegram_user_id=OLENA.id))
    assert contact is not None
    await chat.send(OLENA, "📦 My orders")
    orders = session.last(OLENA.id)
    await chat.press(OLENA, orders, "Mug")
    await chat.press(OLENA, session.last(OLENA.id), "❤️ Save")
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(EventRow.name, EventRow.contact_id, EventRow.product_id).where(
                        EventRow.name == "AddToWishlist"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [("AddToWishlist", contact.id, "mug-1")]


async def test_an_out_of_stock_product_found_and_saved_opens_from_saved(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "Lost Hope")
    found = session.last(TARAS.id)
    assert "Out of stock" in found.visible
    await chat.press(TARAS, found, "❤️ Save")
    await chat.send(TARAS, "❤️ Saved")
    saved = session.last(TARAS.id)
    assert "Lamp of Lost Hope" in saved.visible
    assert "Out of stock" in saved.visible
    assert any("Alternatives" in text for text in texts(saved))
