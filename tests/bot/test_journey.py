"""A customer's whole journey, fed as Telegram updates: start, link by phone, open and page
every list, related lists under a card, switch language, forget."""

from __future__ import annotations

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageMedia,
    EditMessageText,
    SendMessage,
    SendPhoto,
)
from aiogram.types import ReplyKeyboardMarkup

from bot.ports import CustomerKey
from bot.records import BotStore
from recoms.domain import Identity
from recoms.service import RecomsService
from tests.bot.chat import IRYNA, OLENA, TARAS, Chat
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import RecordingSession, Sent


def reply_keyboard_texts(sent: Sent) -> list[str]:
    assert isinstance(sent.markup, ReplyKeyboardMarkup)
    return [button.text for row in sent.markup.keyboard for button in row]


def list_messages(session: RecordingSession, chat_id: int) -> list[Sent]:
    """Messages in the chat that show a card with paging."""
    return [sent for sent in session.chat(chat_id) if any(t == "▶" for t, _, _ in sent.buttons())]


async def test_start_greets_in_the_users_language_and_asks_for_the_phone(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(OLENA, "/start")
    greeting = session.last(OLENA.id)
    assert "Вітаю, Olena!" in greeting.visible
    assert isinstance(greeting.markup, ReplyKeyboardMarkup)
    share = greeting.markup.keyboard[0][0]
    assert share.request_contact is True
    assert "Поділитися номером телефону" in share.text

    await chat.send(TARAS, "/start")
    assert "Hello, Taras!" in session.last(TARAS.id).visible
    assert "📱 Share my phone number" in reply_keyboard_texts(session.last(TARAS.id))


@pytest.mark.engine
async def test_customer_journey(
    chat: Chat, session: RecordingSession, service: RecomsService, store: BotStore
) -> None:
    await chat.send(OLENA, "/start")
    await chat.share_contact(OLENA, "380501110001")
    linked = session.last(OLENA.id)
    assert "Дякую, Olena!" in linked.visible
    assert "📱 Поділитися номером телефону" not in reply_keyboard_texts(linked)
    contact = await service.find_contact(Identity(telegram_user_id=OLENA.id))
    assert contact is not None
    assert contact.external_id == "olena-001"
    user = await store.user(OLENA.id)
    assert user is not None
    assert user.contact_id == contact.id

    # Every list of the menu opens as one message with a card; Also bought says what it
    # starts from.
    menu = reply_keyboard_texts(linked)
    for button, title in (
        ("🔄 Купити знову", "Купити знову"),
        ("✨ Нове для вас", "Нове для вас"),
        ("🔥 Популярне зараз", "Популярне зараз"),
        ("🛒 До вашого останнього замовлення", "До вашого останнього замовлення"),
        ("💎 Вам може сподобатися", "Вам може сподобатися"),
    ):
        assert button in menu
        requests = await chat.send(OLENA, button)
        sends = [r for r in requests if isinstance(r, (SendMessage, SendPhoto))]
        assert len(sends) == 1, f"{button}: {requests}"
        card = session.last(OLENA.id)
        assert card.visible.startswith(f"{button.split()[0]} {title}"), card.visible

    # Bestsellers: paging edits the one message in place.
    await chat.send(OLENA, "🔥 Популярне зараз")
    bestsellers = session.last(OLENA.id)
    assert bestsellers.photo is not None
    total = int(next(t for t, _, _ in bestsellers.buttons() if "/" in t).split("/")[1])
    assert total >= 5
    assert "1/" in " ".join(t for t, _, _ in bestsellers.buttons())
    seen = [bestsellers.visible]
    requests = await chat.press(OLENA, bestsellers, "▶")
    assert [type(r) for r in requests if not type(r).__name__.startswith("Answer")] == [
        EditMessageMedia
    ]
    assert session.last(OLENA.id).message_id == bestsellers.message_id
    assert f"2/{total}" in [t for t, _, _ in session.last(OLENA.id).buttons()]
    seen.append(session.last(OLENA.id).visible)
    # Page through the whole list: photo and text cards alternate as the products have
    # images or not, yet the list stays one message (replaced, not added to).
    lists_before = len(list_messages(session, OLENA.id))
    for _ in range(total - 1):
        current = list_messages(session, OLENA.id)[-1]
        await chat.press(OLENA, current, "▶")
        seen.append(list_messages(session, OLENA.id)[-1].visible)
        assert len(list_messages(session, OLENA.id)) == lists_before
    assert any("Notebook Without a Photo" in text for text in seen)
    assert seen[-1] == seen[0], "▶ on the last page wraps round to the first"
    assert session.calls(DeleteMessage), "a photo card replaced by a text card is re-sent"
    current = list_messages(session, OLENA.id)[-1]
    await chat.press(OLENA, current, "◀")

    # "Also bought" under a card opens a new list for that product.
    current = list_messages(session, OLENA.id)[-1]
    before = len(session.chat(OLENA.id))
    await chat.press(OLENA, current, "Також купують")
    assert len(session.chat(OLENA.id)) == before + 1
    # Titled with the product whose card it was opened from.
    product = current.visible.split("\n")[1]
    assert session.last(OLENA.id).visible.startswith(f"🛒 Разом із «{product}» також купують")

    # The shop button carries UTM tags naming the list.
    urls = [url for _, _, url in session.last(OLENA.id).buttons() if url]
    assert urls
    assert "utm_source=telegram" in urls[0]
    assert "utm_campaign=also_bought" in urls[0]

    # Switch to English: the menu comes again in English and stays so.
    await chat.send(OLENA, "🌐 Мова")
    picker = session.last(OLENA.id)
    await chat.press(OLENA, picker, "English")
    assert "Language: English" in session.last(OLENA.id).visible
    assert "✨ New for you" in reply_keyboard_texts(session.last(OLENA.id))
    assert await store.language(OLENA.id) == "en"
    await chat.send(OLENA, "/menu")
    assert "Pick a list" in session.last(OLENA.id).visible

    # Forget: a confirmation first, then the link and the bot's data are gone.
    await chat.send(OLENA, "/forget")
    question = session.last(OLENA.id)
    assert "Continue?" in question.visible
    await chat.press(OLENA, question, "Yes, forget me")
    assert any(
        isinstance(r, EditMessageText) and "I have deleted" in (r.text or "")
        for r in session.requests[-3:]
    )
    assert await store.user(OLENA.id) is None
    contact = await service.find_contact(Identity(external_id="olena-001"))
    assert contact is not None
    assert contact.telegram_user_id is None
    # Now unlinked, the stored language is gone too: Telegram's language_code applies again.
    await chat.send(OLENA, "/start")
    assert "Вітаю" in session.last(OLENA.id).visible


async def test_forget_can_be_cancelled_and_a_stale_button_does_nothing(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(TARAS, "/start")
    await chat.share_contact(TARAS, "+380501110002")
    await chat.send(TARAS, "/forget")
    earlier = session.last(TARAS.id)
    await chat.send(TARAS, "/forget")
    question = session.last(TARAS.id)
    await chat.press(TARAS, question, "Cancel")
    assert "nothing was deleted" in session.last(TARAS.id).visible
    # The earlier question's "Yes", pressed after the answer, must not delete anything.
    requests = await chat.press(TARAS, earlier, "Yes, forget me")
    alerts = [r for r in requests if isinstance(r, AnswerCallbackQuery) and r.show_alert]
    assert alerts
    assert "expired" in (alerts[0].text or "")
    user = await store.user(TARAS.id)
    assert user is not None
    assert user.contact_id is not None


async def test_an_unknown_customer_is_created_from_their_phone(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    assert engine.find(CustomerKey(phone="+380501110002")) is None
    await chat.send(TARAS, "/start")
    await chat.share_contact(TARAS, "+380501110002")
    contact = engine.find(CustomerKey(phone="+380501110002"))
    assert contact is not None
    assert contact.telegram_user_id == TARAS.id
    # With no orders yet, "Also bought" has nothing to start from: it says so and offers
    # bestsellers, which open in place of that message.
    await chat.send(TARAS, "🛒 Also bought")
    empty = session.last(TARAS.id)
    assert "your cart is empty and you have no orders yet" in empty.visible
    await chat.press(TARAS, empty, "Popular now")
    assert session.messages[(TARAS.id, empty.message_id)].deleted
    assert "Popular now" in session.last(TARAS.id).visible


async def test_a_text_message_that_is_not_a_menu_press_goes_to_support(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "hello?")
    assert "passed your message to our support team" in session.last(TARAS.id).visible
    assert session.chat(IRYNA.id)[-1].text == "hello?", "the admin on duty has it"
