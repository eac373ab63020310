"""Support in the operators' group: one topic per customer, mirrored both ways, with the
customer's profile card, notes, close and reopen, bans, the flood limit and /forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Dispatcher
from aiogram.methods import CopyMessage, CreateForumTopic, SendMessage

from bot.config import BotSettings
from bot.conversations import Direction
from bot.records import BotStore
from bot.relay import SupportDesk
from tests.bot.chat import DMYTRO, IRYNA, OLENA, STRANGER, TARAS, Chat
from tests.bot.telegram import TOKEN, RecordingSession, Sent

GROUP = -1001000000001
OTHER_GROUP = -1009999999999


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
        support_hours="00:00-00:00",  # around the clock, whenever the tests run
        support_flood_limit=5,
    )


@pytest.fixture(autouse=True)
def forum(session: RecordingSession) -> None:
    session.forums.add(GROUP)


def desk(dispatcher: Dispatcher) -> SupportDesk:
    found: SupportDesk = dispatcher["desk"]
    return found


async def ask(chat: Chat, session: RecordingSession, person: object, text: str) -> int:
    """The customer writes; returns the topic's thread id."""
    await chat.send(person, text)  # type: ignore[arg-type]
    copies = [r for r in session.calls(CopyMessage) if r.chat_id == GROUP]
    assert copies, "nothing reached the group"
    thread = copies[-1].message_thread_id
    assert thread is not None
    return int(thread)


async def test_a_question_opens_a_topic_with_a_pinned_card(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    thread = await ask(chat, session, OLENA, "У вас є така чашка, але синя?")
    name_thread, topic = session.topic_named(GROUP, "Olena")
    assert name_thread == thread
    assert "#" in topic.name
    card, copy = session.in_topic(GROUP, thread)[:2]
    assert (GROUP, card.message_id) in session.pinned
    assert "olena-001" in card.visible
    assert "@olena_k" in card.visible
    assert "uk" in card.visible
    # Last orders name their products, not their ids.
    assert "O-2" in card.visible
    assert "lamp-1" not in card.visible
    labels = [text for text, _, _ in card.buttons()]
    assert any("Popular now" in label for label in labels)
    assert any("Close" in label for label in labels)
    assert copy.text == "У вас є така чашка, але синя?"
    assert copy.copied_from is not None
    assert copy.copied_from[0] == OLENA.id
    # Acknowledged once, in her language, saying when to expect the answer.
    olena = session.chat(OLENA.id)
    assert "15" in olena[-1].visible
    acknowledgement = olena[-1].visible

    await chat.send_media(OLENA, "photo", caption="ось тріщина")
    await chat.send_media(OLENA, "sticker")
    await chat.send_media(OLENA, "location")
    assert len(session.calls(CreateForumTopic)) == 1, "the topic is reused"
    copies = session.in_topic(GROUP, thread)
    assert [sent.media for sent in copies[-3:]] == ["photo", "sticker", "location"]
    assert copies[-3].caption == "ось тріщина"
    assert [s.visible for s in session.chat(OLENA.id)].count(acknowledgement) == 1


async def test_an_unlinked_customer_gets_a_topic_too(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "do you have it in blue?")
    _thread, topic = session.topic_named(GROUP, "Taras")
    assert str(TARAS.id) in topic.name
    assert "Not linked to a shop account" in session.chat(GROUP)[0].visible
    assert "An agent will answer here" in session.last(TARAS.id).visible


async def test_agents_answer_in_the_topic_signed_and_with_media(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    thread = await ask(chat, session, TARAS, "is the lamp dimmable?")
    await chat.in_topic(IRYNA, GROUP, thread, "Yes, <it> is & has 3 levels")
    answer = session.last(TARAS.id)
    assert answer.visible == "Yes, <it> is & has 3 levels\n\n— Iryna"
    await chat.in_topic(
        DMYTRO,
        GROUP,
        thread,
        caption="Ось так",
        photo=[{"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}],
    )
    photo = session.last(TARAS.id)
    assert photo.media == "photo"
    assert photo.caption == "Ось так\n\n— Dmytro"
    await chat.in_topic(
        DMYTRO,
        GROUP,
        thread,
        sticker={
            "file_id": "s1",
            "file_unique_id": "su",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert session.last(TARAS.id).media == "sticker"
    conversation = await store.conversations.open_conversation(TARAS.id)
    assert conversation is not None
    assert conversation.agent_id == IRYNA.id
    assert conversation.first_reply_at is not None
    assert conversation.waiting_since is None


async def test_notes_stay_in_the_topic(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    thread = await ask(chat, session, TARAS, "where is my order?")
    before = len(session.chat(TARAS.id))
    await chat.in_topic(IRYNA, GROUP, thread, "#checking with the warehouse")
    await chat.in_topic(IRYNA, GROUP, thread, "/note he called yesterday too")
    assert len(session.chat(TARAS.id)) == before
    conversation = await store.conversations.open_conversation(TARAS.id)
    assert conversation is not None
    assert conversation.first_reply_at is None, "a note is no answer"


async def test_close_tells_the_customer_and_a_new_message_reopens(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    thread = await ask(chat, session, TARAS, "hello?")
    await chat.in_topic(IRYNA, GROUP, thread, "Hello Taras!")
    await chat.in_topic(IRYNA, GROUP, thread, "/close")
    assert "conversation is closed" in session.last(TARAS.id).visible
    assert session.topics[(GROUP, thread)].closed
    assert await store.conversations.open_conversation(TARAS.id) is None
    await chat.in_topic(IRYNA, GROUP, thread, "/close")
    assert "closed already" in session.last(GROUP).visible

    await chat.send(TARAS, "one more thing")
    assert not session.topics[(GROUP, thread)].closed
    assert len(session.calls(CreateForumTopic)) == 1
    assert "An agent will answer here" in session.last(TARAS.id).visible
    assert session.in_topic(GROUP, thread)[-1].text == "one more thing"


async def test_the_close_button_on_the_card(chat: Chat, session: RecordingSession) -> None:
    thread = await ask(chat, session, TARAS, "hello?")
    card = session.in_topic(GROUP, thread)[0]
    await chat.press(DMYTRO, card, "Close")
    assert "conversation is closed" in session.last(TARAS.id).visible
    assert session.topics[(GROUP, thread)].closed


async def test_two_customers_keep_their_topics_apart(
    chat: Chat, session: RecordingSession
) -> None:
    taras = await ask(chat, session, TARAS, "from Taras")
    stranger = await ask(chat, session, STRANGER, "from Stranger")
    assert taras != stranger
    await chat.in_topic(IRYNA, GROUP, stranger, "to Stranger")
    await chat.in_topic(IRYNA, GROUP, taras, "to Taras")
    assert session.last(STRANGER.id).visible.startswith("to Stranger")
    assert session.last(TARAS.id).visible.startswith("to Taras")
    assert [s.text for s in session.in_topic(GROUP, taras)][1:] == ["from Taras"]


async def test_the_card_shows_a_list_in_the_topic(chat: Chat, session: RecordingSession) -> None:
    thread = await ask(chat, session, TARAS, "what sells best?")
    card = session.in_topic(GROUP, thread)[0]
    await chat.press(IRYNA, card, "Popular now")
    shown = session.in_topic(GROUP, thread)[-1]
    assert "Popular now" in shown.visible
    assert "1." in shown.visible


async def test_the_rest_of_the_group_is_left_alone(chat: Chat, session: RecordingSession) -> None:
    await ask(chat, session, TARAS, "hi")
    before = len(session.requests)
    await chat.in_topic(IRYNA, GROUP, None, "good morning, team")
    await chat.in_topic(IRYNA, GROUP, 1, "General again")
    await chat.in_topic(IRYNA, OTHER_GROUP, None, "hello bot")
    await chat.in_topic(IRYNA, OTHER_GROUP, None, "/start")
    assert len(session.requests) == before


async def test_a_banned_customer_is_dropped_quietly(chat: Chat, session: RecordingSession) -> None:
    thread = await ask(chat, session, TARAS, "first")
    await chat.in_topic(IRYNA, GROUP, thread, "/ban")
    assert "Banned" in session.last(GROUP).visible
    requests = await chat.send(TARAS, "spam spam")
    assert requests == []
    await chat.in_topic(IRYNA, GROUP, thread, "/unban")
    await chat.send(TARAS, "sorry")
    assert session.in_topic(GROUP, thread)[-1].text == "sorry"


async def test_the_flood_limit_is_polite_and_said_once(
    chat: Chat, session: RecordingSession
) -> None:
    for number in range(5):
        await chat.send(TARAS, f"message {number}")
    sixth = await chat.send(TARAS, "message 5")
    assert [type(r) for r in sixth] == [SendMessage]
    assert "faster than our agents can read" in session.last(TARAS.id).visible
    assert await chat.send(TARAS, "message 6") == []
    copies = [r for r in session.calls(CopyMessage) if r.chat_id == GROUP]
    assert len(copies) == 5


async def test_out_of_hours_the_acknowledgement_says_when(
    chat: Chat, session: RecordingSession, dispatcher: Dispatcher, settings: BotSettings
) -> None:
    desk(dispatcher)._hours = settings.model_copy(
        update={"support_hours": "09:00-18:00", "support_timezone": "Europe/Kyiv"}
    ).office_hours()
    desk(dispatcher).now = lambda: datetime(2026, 12, 1, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
    await chat.send(TARAS, "anyone there?")
    said = session.last(TARAS.id).visible
    assert "away now" in said
    assert "09:00" in said
    assert "Europe/Kyiv" in said


async def test_forget_deletes_the_conversations_and_the_topic(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    thread = await ask(chat, session, TARAS, "please forget me")
    await chat.in_topic(IRYNA, GROUP, thread, "ok")
    await chat.send(TARAS, "/forget")
    await chat.press(TARAS, session.last(TARAS.id), "Yes, forget me")
    assert "conversations with our support agents" in session.chat(TARAS.id)[-2].visible
    assert (GROUP, thread) not in session.topics
    assert await store.conversations.open_conversation(TARAS.id) is None
    assert await store.conversations.topic(TARAS.id) is None
    assert (
        await store.conversations.figures(datetime.now(UTC) - timedelta(days=1))
    ).conversations == 0


async def test_every_message_is_recorded_both_ways(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    thread = await ask(chat, session, TARAS, "q1")
    await chat.send(TARAS, "q2")
    await chat.in_topic(IRYNA, GROUP, thread, "a1")
    await chat.in_topic(IRYNA, GROUP, thread, "# n1")
    conversation = await store.conversations.open_conversation(TARAS.id)
    assert conversation is not None
    group_copy: Sent = session.in_topic(GROUP, thread)[-1]
    found = await store.conversations.find_by_copy(GROUP, group_copy.message_id)
    assert found is not None
    assert found.id == conversation.id
    figures = await store.conversations.figures(datetime.now(UTC) - timedelta(days=1))
    assert figures.open_conversations == 1
    assert figures.waiting == 0
    assert figures.median_first_reply is not None
    assert [(a.agent_id, a.replies) for a in figures.agents] == [(IRYNA.id, 1)]
    assert Direction.NOTE.value == "note"


async def test_the_ask_a_person_button_opens_a_conversation(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "/start")
    menu = session.last(TARAS.id).markup
    labels = [button.text for row in menu.keyboard for button in row]
    assert "💬 Ask a person" in labels
    await chat.send(TARAS, "💬 Ask a person")
    thread, _topic = session.topic_named(GROUP, "Taras")
    assert "asked to talk to a person" in session.in_topic(GROUP, thread)[-1].visible
    assert "An agent will answer here" in session.last(TARAS.id).visible
    await chat.send(OLENA, "💬 Запитати людину")
    session.topic_named(GROUP, "Olena")


async def test_one_sla_reminder_in_the_topic(
    chat: Chat, session: RecordingSession, dispatcher: Dispatcher
) -> None:
    thread = await ask(chat, session, TARAS, "hello?")
    support = desk(dispatcher)
    later = support.now() + timedelta(minutes=20)
    support.now = lambda: later
    assert await support.remind_overdue(chat.bot) == 1
    assert "waiting 20 minutes" in session.in_topic(GROUP, thread)[-1].visible
    assert await support.remind_overdue(chat.bot) == 0
    await chat.in_topic(IRYNA, GROUP, thread, "Sorry for the wait!")
    await chat.send(TARAS, "np")
    assert await support.remind_overdue(chat.bot) == 0, "waiting again, but only just"


async def test_forged_desk_buttons_from_a_customers_chat_do_nothing(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    """A customer's app can send any callback data on a message of their own chat: the card's
    buttons, Reply and the preview answer only in the operators' group or to staff."""
    await ask(chat, session, TARAS, "hello")
    await chat.send(STRANGER, "me too")
    own = session.last(STRANGER.id)
    for data in (f"sup:x:{TARAS.id}:", f"sup:v:{TARAS.id}:b", "pv:go", "rp:1", f"pk:i{'mug-1'}"):
        await chat.press_data(STRANGER, own, data)
        assert "This button has expired" in (session.answers()[-1].text or ""), data
    assert await store.conversations.open_conversation(TARAS.id) is not None
    assert not any(s.copied_from for s in session.chat(TARAS.id))


async def test_replies_stay_replies_on_the_other_side(
    chat: Chat, session: RecordingSession
) -> None:
    thread = await ask(chat, session, TARAS, "which size?")
    question_copy = session.in_topic(GROUP, thread)[-1]
    taras_question = question_copy.copied_from
    assert taras_question is not None
    await chat.in_topic(
        IRYNA,
        GROUP,
        thread,
        "Size M fits most",
        reply_to_message=chat._replied(GROUP, question_copy.message_id),
    )
    answer = session.last(TARAS.id)
    assert answer.reply_to == taras_question[1], "the answer replies to his question"
    await chat.reply(TARAS, answer.message_id, "and L?")
    copy = session.in_topic(GROUP, thread)[-1]
    iryna_message = next(
        m["message_id"]
        for (chat_id, _), m in session.user_messages.items()
        if chat_id == GROUP and m.get("text") == "Size M fits most"
    )
    assert copy.reply_to == iryna_message, "his reply replies to her answer in the topic"
