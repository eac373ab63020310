"""Support without an operators' group: customers' messages reach the on-duty agents' private
chats, the first agent who answers takes the conversation; SLA reminders, /queue, /stats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram import Dispatcher

from bot.records import BotStore, Role
from bot.relay import SupportDesk
from tests.bot.chat import DMYTRO, IRYNA, OLENA, TARAS, Chat
from tests.bot.telegram import RecordingSession, Sent


@pytest.fixture(autouse=True)
async def dmytro_is_an_agent(store: BotStore) -> None:
    await store.add_staff(DMYTRO.id, Role.AGENT, added_by=IRYNA.id)


def desk(dispatcher: Dispatcher) -> SupportDesk:
    found: SupportDesk = dispatcher["desk"]
    return found


def copy_of(session: RecordingSession, agent_id: int, text: str) -> Sent:
    return next(s for s in reversed(session.chat(agent_id)) if s.text == text)


async def test_a_question_reaches_every_agent_on_duty(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "is the chair in stock?")
    for agent in (IRYNA, DMYTRO):
        header, copy = session.chat(agent.id)[-2:]
        assert "A new conversation" in header.visible  # the default language: unknown yet
        assert "Taras" in header.visible
        assert copy.text == "is the chair in stock?"
        assert copy.copied_from is not None
        assert copy.copied_from[0] == TARAS.id
        assert any("Taras" in text for text, _, _ in copy.buttons())
    assert "passed your message to our support team" in session.last(TARAS.id).visible


async def test_the_first_agent_who_answers_takes_the_conversation(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(TARAS, "question one")
    await chat.press(IRYNA, copy_of(session, IRYNA.id, "question one"), "Taras")
    assert "/done" in session.last(IRYNA.id).visible
    await chat.send(IRYNA, "We have it.")
    assert session.last(TARAS.id).visible == "We have it.\n\n— Iryna"

    # Dmytro is too late, by button and by reply alike.
    dmytro_copy = copy_of(session, DMYTRO.id, "question one")
    await chat.press(DMYTRO, dmytro_copy, "Taras")
    assert session.answers()[-1].text == "Iryna уже відповідає цьому покупцю."
    await chat.reply(DMYTRO, dmytro_copy.message_id, "Me too!")
    assert "Iryna уже відповідає цьому покупцю" in session.last(DMYTRO.id).visible
    assert session.last(TARAS.id).visible == "We have it.\n\n— Iryna"

    # The conversation's next messages go to Iryna alone.
    before = len(session.chat(DMYTRO.id))
    await chat.send(TARAS, "thanks, and in red?")
    assert session.last(IRYNA.id).text == "thanks, and in red?"
    assert len(session.chat(DMYTRO.id)) == before
    # A reply to the copy answers too; /done ends the answering.
    await chat.reply(IRYNA, session.last(IRYNA.id).message_id, "Red too.")
    assert session.last(TARAS.id).visible.startswith("Red too.")
    await chat.send(IRYNA, "/done")
    await chat.send(IRYNA, "just thinking aloud")
    assert session.last(TARAS.id).visible.startswith("Red too.")
    assert "reply to their message" in session.last(IRYNA.id).visible


async def test_duty_off_keeps_an_agents_chat_quiet(chat: Chat, session: RecordingSession) -> None:
    await chat.send(DMYTRO, "/duty off")
    assert "не на чергуванні" in session.last(DMYTRO.id).visible
    before = len(session.chat(DMYTRO.id))
    await chat.send(TARAS, "hello")
    assert len(session.chat(DMYTRO.id)) == before
    assert session.last(IRYNA.id).text == "hello"
    await chat.send(DMYTRO, "/duty on")
    await chat.send(OLENA, "привіт")
    assert session.last(DMYTRO.id).text == "привіт"


async def test_one_sla_reminder_for_an_unanswered_question(
    chat: Chat, session: RecordingSession, dispatcher: Dispatcher
) -> None:
    support = desk(dispatcher)
    await chat.send(TARAS, "anyone?")
    assert await support.remind_overdue(chat.bot) == 0, "not overdue yet"
    later = support.now() + timedelta(minutes=16)
    support.now = lambda: later
    assert await support.remind_overdue(chat.bot) == 1
    assert "waiting 16 minutes" in session.last(IRYNA.id).visible
    assert any("Taras" in text for text, _, _ in session.last(IRYNA.id).buttons())
    assert await support.remind_overdue(chat.bot) == 0, "once"


async def test_queue_lists_open_conversations_oldest_first(
    chat: Chat, session: RecordingSession, dispatcher: Dispatcher
) -> None:
    await chat.send(TARAS, "first")
    await chat.send(OLENA, "second")
    await chat.press(IRYNA, copy_of(session, IRYNA.id, "second"), "Olena")
    await chat.send(IRYNA, "answer")
    await chat.send(IRYNA, "/done")
    await chat.send(IRYNA, "/queue")
    queue = session.last(IRYNA.id).visible
    assert queue.index("Taras") < queue.index("Olena")
    assert "waiting 0 min" in queue
    assert "answered" in queue
    await chat.send(TARAS, "/queue")
    assert "do not know this command" in session.last(TARAS.id).visible


async def test_stats_show_support_figures(chat: Chat, session: RecordingSession) -> None:
    await chat.send(TARAS, "q?")  # a question: "q" alone is a search (it finds a brand)
    await chat.reply(IRYNA, copy_of(session, IRYNA.id, "q?").message_id, "a")
    await chat.send(IRYNA, "/stats")
    stats = session.last(IRYNA.id).visible
    assert "Open conversations: 1, waiting for an answer: 0" in stats
    assert "median first reply" in stats
    assert "1 conversations, 1 replies" in stats


async def test_a_linked_customers_first_message_comes_with_the_profile_card(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    await chat.send(OLENA, "а синя є?")
    header, copy = session.chat(IRYNA.id)[-2:]
    assert copy.text == "а синя є?"
    assert "A new conversation" in header.visible
    assert "olena-001" in header.visible
    assert "@olena_k" in header.visible
    # Her last orders name their products, not their ids.
    assert "O-2" in header.visible
    assert "Lamp of Lost Hope" in header.visible
    assert "lamp-1" not in header.visible
    assert "olena-001" in session.chat(DMYTRO.id)[-2].visible
    # Her next message is no new conversation: no second card.
    await chat.send(OLENA, "або зелена")
    assert "olena-001" not in session.chat(IRYNA.id)[-2].visible


async def test_close_from_the_private_chat_tells_the_customer_and_a_new_message_reopens(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(TARAS, "is it in blue?")
    await chat.press(IRYNA, copy_of(session, IRYNA.id, "is it in blue?"), "Taras")
    await chat.send(IRYNA, "Yes, it is.")
    await chat.send(IRYNA, "/close")
    assert "conversation is closed" in session.last(TARAS.id).visible
    assert "Closed" in session.last(IRYNA.id).visible
    assert await store.conversations.open_conversation(TARAS.id) is None
    # Closing ended the answering: what Iryna writes now stays with her.
    told = len(session.chat(TARAS.id))
    await chat.send(IRYNA, "note to self")
    assert len(session.chat(TARAS.id)) == told
    await chat.reply(IRYNA, copy_of(session, IRYNA.id, "is it in blue?").message_id, "/close")
    assert "closed already" in session.last(IRYNA.id).visible

    await chat.send(TARAS, "and in red?")
    assert "passed your message to our support team" in session.last(TARAS.id).visible
    for agent in (IRYNA, DMYTRO):
        header, copy = session.chat(agent.id)[-2:]
        assert copy.text == "and in red?"
        assert "Taras" in header.visible
    # Anyone may take the new conversation: Dmytro answers it this time.
    await chat.reply(DMYTRO, copy_of(session, DMYTRO.id, "and in red?").message_id, "Так.")
    assert session.last(TARAS.id).visible.startswith("Так.")


async def test_a_customer_banned_from_the_private_chat_is_dropped_quietly(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "first")
    await chat.reply(DMYTRO, copy_of(session, DMYTRO.id, "first").message_id, "/ban")
    assert "/unban" in session.last(DMYTRO.id).visible
    assert await chat.send(TARAS, "spam spam") == []
    await chat.send(IRYNA, f"/unban {TARAS.id}")
    assert "Unbanned" in session.last(IRYNA.id).visible
    await chat.send(IRYNA, f"/unban {TARAS.id}")
    assert "not banned" in session.last(IRYNA.id).visible
    await chat.send(TARAS, "sorry")
    assert session.last(IRYNA.id).text == "sorry"


async def test_agents_name_the_customer_by_phone_username_or_contact_id(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    await chat.send(IRYNA, "/ban +380 50 111 0001")
    assert "Banned" in session.last(IRYNA.id).visible
    assert await chat.send(OLENA, "привіт") == []
    await chat.send(IRYNA, "/unban @olena_k")
    assert "Unbanned" in session.last(IRYNA.id).visible
    await chat.send(OLENA, "привіт")
    assert session.last(IRYNA.id).text == "привіт"
    await chat.send(IRYNA, "/close olena-001")
    assert "Цю розмову закрито" in session.last(OLENA.id).visible  # in her language
    assert "Closed" in session.last(IRYNA.id).visible


async def test_close_and_ban_say_whom_they_need(chat: Chat, session: RecordingSession) -> None:
    await chat.send(IRYNA, "/close")
    assert "while answering a customer" in session.last(IRYNA.id).visible
    await chat.send(IRYNA, "/ban nobody-here")
    assert "No customer found" in session.last(IRYNA.id).visible
    await chat.send(TARAS, "/ban")
    assert "do not know this command" in session.last(TARAS.id).visible
