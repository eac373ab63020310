"""Agents send lists and products from a customer's topic: a preview first, an optional line
of their own, then the cards in the customer's chat; the topic records what went."""

from __future__ import annotations

import copy

import pytest
from aiogram.methods import CopyMessage

from bot.config import BotSettings
from bot.records import BotStore
from tests.bot.chat import DMYTRO, IRYNA, OLENA, TARAS, Chat
from tests.bot.telegram import TOKEN, RecordingSession, Sent

GROUP = -1001000000001


@pytest.fixture
def settings() -> BotSettings:
    return BotSettings(
        _env_file=None,
        token=TOKEN,
        admins=[IRYNA.id],
        redis_url=None,
        recoms_url=None,
        username=None,
        support_chat_id=GROUP,
        support_hours="00:00-00:00",
    )


@pytest.fixture(autouse=True)
def forum(session: RecordingSession) -> None:
    session.forums.add(GROUP)


async def topic_of(chat: Chat, session: RecordingSession, text: str) -> tuple[int, Sent]:
    """Olena, linked, asks; the topic's thread id and its pinned card."""
    await chat.share_contact(OLENA, "+380501110001")
    await chat.send(OLENA, text)
    thread = next(r for r in session.calls(CopyMessage) if r.chat_id == GROUP).message_thread_id
    assert thread is not None
    return thread, session.in_topic(GROUP, thread)[0]


async def test_a_list_goes_after_a_preview_with_the_agents_line(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    thread, card = await topic_of(chat, session, "що порадите?")
    olena_before = len(session.chat(OLENA.id))
    await chat.press(IRYNA, card, "📤")  # the first Send: Buy again
    preview = session.in_topic(GROUP, thread)[-1]
    assert "Buy again" in preview.visible
    assert "Meeting That Could Have Been an Email Mug" in preview.visible
    assert len(session.chat(OLENA.id)) == olena_before, "nothing goes before Send"

    await chat.press(IRYNA, preview, "Add a line")
    await chat.in_topic(IRYNA, GROUP, thread, "Ось що я б порадила & ще <дещо>")
    assert len(session.chat(OLENA.id)) == olena_before, "the line is not an answer by itself"
    preview = session.in_topic(GROUP, thread)[-1]
    assert "Ось що я б порадила & ще <дещо>" in preview.visible

    as_shown = copy.copy(preview)  # the app still shows the buttons: a second tap comes
    await chat.press(IRYNA, preview, "Send")
    olena = session.chat(OLENA.id)[olena_before:]
    assert olena[0].visible.startswith("Ось що я б порадила & ще <дещо>")
    assert "🔄 Купити знову" in olena[1].visible, "the cards in her language"
    record = session.in_topic(GROUP, thread)[-1]
    assert "Sent" in record.visible
    assert "Buy again" in record.visible
    assert "Iryna" in record.visible
    conversation = await store.conversations.open_conversation(OLENA.id)
    assert conversation is not None
    assert conversation.first_reply_at is not None, "a sent list answers the customer"

    # The preview's buttons are spent: a second press sends nothing more.
    count = len(session.chat(OLENA.id))
    await chat.press(IRYNA, as_shown, "Send")
    assert len(session.chat(OLENA.id)) == count


async def test_a_product_by_name_or_id(chat: Chat, session: RecordingSession) -> None:
    thread, card = await topic_of(chat, session, "шукаю чашку")
    await chat.press(DMYTRO, card, "Send a product")
    assert "id" in session.in_topic(GROUP, thread)[-1].visible
    await chat.in_topic(DMYTRO, GROUP, thread, "Mug")
    choices = session.in_topic(GROUP, thread)[-1]
    await chat.press(DMYTRO, choices, "Meeting That Could Have Been an Email Mug")
    preview = session.in_topic(GROUP, thread)[-1]
    assert "Meeting That Could Have Been an Email Mug" in preview.visible
    before = len(session.chat(OLENA.id))
    await chat.press(DMYTRO, preview, "📤")  # Dmytro's app speaks Ukrainian
    sent = session.chat(OLENA.id)[before:]
    assert len(sent) == 1
    assert "Meeting That Could Have Been an Email Mug" in sent[0].visible

    await chat.press(DMYTRO, card, "Send a product")
    await chat.in_topic(DMYTRO, GROUP, thread, "lamp-1")
    preview = session.in_topic(GROUP, thread)[-1]
    assert "lamp-1" in preview.visible or "Lamp" in preview.visible
    await chat.press(DMYTRO, preview, "✖️")
    assert len(session.chat(OLENA.id)) == before + 1, "cancelled: nothing sent"


async def test_an_unknown_product_is_said_so(chat: Chat, session: RecordingSession) -> None:
    thread, card = await topic_of(chat, session, "?")
    await chat.press(IRYNA, card, "Send a product")
    await chat.in_topic(IRYNA, GROUP, thread, "no-such-thing-at-all")
    assert "No product" in session.in_topic(GROUP, thread)[-1].visible
    before = len(session.chat(OLENA.id))
    await chat.in_topic(IRYNA, GROUP, thread, "back to talking")
    assert session.chat(OLENA.id)[before:][0].visible.startswith("back to talking")


async def test_an_unlinked_customer_can_get_bestsellers(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "what is popular?")
    thread, _topic = session.topic_named(GROUP, "Taras")
    card = session.in_topic(GROUP, thread)[0]
    await chat.press(IRYNA, card, "📤")
    await chat.press(IRYNA, session.in_topic(GROUP, thread)[-1], "Send")
    assert "Popular now" in session.last(TARAS.id).visible
