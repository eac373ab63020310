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
    await chat.send(TARAS, "q")
    await chat.reply(IRYNA, copy_of(session, IRYNA.id, "q").message_id, "a")
    await chat.send(IRYNA, "/stats")
    stats = session.last(IRYNA.id).visible
    assert "Open conversations: 1, waiting for an answer: 0" in stats
    assert "median first reply" in stats
    assert "1 conversations, 1 replies" in stats
