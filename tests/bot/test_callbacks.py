"""Every button press gets an answer: buttons of an older version of the bot, buttons whose
question has gone, double taps, and failures while handling a press."""

from __future__ import annotations

import copy

from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import ReplyKeyboardMarkup

from tests.bot.chat import IRYNA, TARAS, Chat
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import RecordingSession, Sent


def list_cards(session: RecordingSession, chat_id: int) -> list[Sent]:
    return [sent for sent in session.chat(chat_id) if any(t == "▶" for t, _, _ in sent.buttons())]


async def test_a_button_of_an_older_version_gets_an_answer_and_the_menu(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "🔥 Popular now")
    card = session.last(TARAS.id)
    for stale in ("old-list:bestsellers:2", "l:q:0::0", "lang:fr", "s:v:1:b", "forget:maybe"):
        before = len(session.chat(TARAS.id))
        await chat.press_data(TARAS, card, stale)
        answer = session.answers()[-1]
        assert answer.text == "This button has expired.", stale
        assert len(session.chat(TARAS.id)) == before + 1, stale
        menu = session.last(TARAS.id)
        assert isinstance(menu.markup, ReplyKeyboardMarkup), stale
    assert not session.unanswered()


async def test_a_staff_button_pressed_by_someone_who_is_not_staff_expires(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(IRYNA, "/find olena-001")
    found = session.last(IRYNA.id)
    await chat.press(TARAS, found, "Popular now")
    assert session.answers()[-1].text == "This button has expired."


async def test_a_double_tap_on_forget_is_answered_without_an_error(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.share_contact(TARAS, "+380501110002")
    for choice in ("Yes, forget me", "Cancel"):
        await chat.send(TARAS, "/forget")
        question = copy.copy(session.last(TARAS.id))
        await chat.press(TARAS, question, choice)
        shown = session.last(TARAS.id).visible
        await chat.press(TARAS, question, choice)
        assert "went wrong" not in session.last(TARAS.id).visible
        assert session.last(TARAS.id).visible == shown
    assert not session.violations


async def test_a_double_tap_on_paging_shows_the_page_once(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "🔥 Popular now")
    # Page on to the card before the one without a photo: its ▶ replaces the photo card.
    for _ in range(20):
        card = list_cards(session, TARAS.id)[-1]
        if "Pen" in card.visible:
            break
        await chat.press(TARAS, card, "▶")
    card = list_cards(session, TARAS.id)[-1]
    assert "Pen" in card.visible
    for snapshot in (copy.copy(card), copy.copy(card)):
        requests = await chat.press(TARAS, snapshot, "▶")
    assert not [r for r in requests if isinstance(r, SendMessage)], "no second card"
    cards = list_cards(session, TARAS.id)
    assert len(cards) == 1
    assert "Notebook Without a Photo" in cards[0].visible

    # On a photo card, a second tap that reaches the bot with the message as the first one
    # left it asks Telegram for no edit; one that overtook the first edit ends quietly too.
    await chat.send(TARAS, "🔥 Popular now")
    card = list_cards(session, TARAS.id)[-1]
    first = copy.copy(card)
    following = next(data for text, data, _ in first.buttons() if text == "▶")
    await chat.press(TARAS, first, "▶")
    requests = await chat.press_data(TARAS, card, following or "")
    assert [type(r) for r in requests] == [AnswerCallbackQuery]
    await chat.press(TARAS, first, "▶")
    assert not session.violations
    assert "went wrong" not in session.last(TARAS.id).visible
    assert "2/" in " ".join(text for text, _, _ in card.buttons())


async def test_an_empty_lists_bestsellers_button_tapped_twice_opens_one_list(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.share_contact(TARAS, "+380501110002")  # a number the shop has no orders of
    await chat.send(TARAS, "🛒 Also bought")
    empty = copy.copy(session.last(TARAS.id))
    await chat.press(TARAS, empty, "Popular now")
    await chat.press(TARAS, empty, "Popular now")
    assert len(list_cards(session, TARAS.id)) == 1


async def test_a_failure_while_handling_a_press_is_told_in_the_chat(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    await chat.send(TARAS, "🔥 Popular now")
    card = session.last(TARAS.id)
    engine.down = True
    await chat.press(TARAS, card, "▶")
    assert "recommendations are unavailable right now" in session.last(TARAS.id).visible
    assert not session.violations, "one answer per press"
