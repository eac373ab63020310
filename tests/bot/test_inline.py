"""Inline mode, fed as Telegram updates: ``@bot text`` lists matching products as cards to
share, ``@bot`` alone the user's personal list; answers checked as Telegram checks them."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerInlineQuery

from bot.config import BotSettings
from bot.records import BotStore
from tests.bot.chat import IRYNA, OLENA, TARAS, Chat
from tests.bot.telegram import BOT_ID, BOT_USERNAME, RecordingSession


async def test_a_query_lists_matching_products_as_cards_to_share(
    chat: Chat, session: RecordingSession, settings: BotSettings
) -> None:
    answer = await chat.inline(TARAS, "lamp", chat_type="group")
    assert isinstance(answer, AnswerInlineQuery)
    assert answer.is_personal is True
    assert answer.cache_time == settings.inline_cache_time == 30
    results = session.inline_results[answer.inline_query_id]
    assert len(results) == 3
    assert all("Lamp of" in (result["title"] or "") for result in results)
    photos = [result for result in results if result["type"] == "photo"]
    assert photos, "a product with an image is a photo card"
    chosen = photos[0]["message"]
    assert "Lamp of" in chosen["caption"]
    assert "€" in chosen["caption"], "the price"
    [[button]] = photos[0]["reply_markup"]["inline_keyboard"]
    assert "utm_campaign=inline" in button["url"]
    assert "callback_data" not in button, "a shared card calls nothing back"


async def test_a_product_without_an_image_is_a_text_card(
    chat: Chat, session: RecordingSession
) -> None:
    answer = await chat.inline(TARAS, "notebook")
    assert answer is not None
    [result] = session.inline_results[answer.inline_query_id]
    assert result["type"] == "article"
    assert result["title"] == "Notebook Without a Photo"
    assert "Notebook Without a Photo" in result["message"]["text"]
    assert "€15.00" in (result["description"] or "")


async def test_an_empty_query_shows_the_users_own_list(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(OLENA, "/start")
    await chat.share_contact(OLENA, "380501110001")
    olena = await chat.inline(OLENA, "")
    taras = await chat.inline(TARAS, "")
    assert olena is not None
    assert taras is not None
    assert olena.is_personal
    mine = [result["title"] for result in session.inline_results[olena.inline_query_id]]
    theirs = [result["title"] for result in session.inline_results[taras.inline_query_id]]
    assert mine
    assert theirs
    assert mine != theirs, "personal: New for you for Olena, bestsellers for a stranger"
    # New for you: nothing she ever bought (a mug, dice, a lamp, a pen).
    bought = ("Email Mug", "Decision Dice", "Lamp of Lost Hope", "Pen")
    assert not [title for title in mine if any(name in title for name in bought)]


async def test_nothing_found_is_an_empty_answer(chat: Chat, session: RecordingSession) -> None:
    answer = await chat.inline(TARAS, "something nobody sells")
    assert answer is not None
    assert session.inline_results[answer.inline_query_id] == []


async def test_results_come_in_pages_while_there_are_more(
    chat: Chat, session: RecordingSession
) -> None:
    first = await chat.inline(TARAS, "e")
    assert first is not None
    assert 0 < len(session.inline_results[first.inline_query_id]) < 20
    assert first.next_offset == "", "one page holds them all: Telegram asks for no more"
    further = await chat.inline(TARAS, "e", offset="20")
    assert further is not None
    assert session.inline_results[further.inline_query_id] == []


@pytest.mark.engine
async def test_inline_search_on_the_engine(chat: Chat, session: RecordingSession) -> None:
    answer = await chat.inline(TARAS, "lamp")
    assert answer is not None
    titles = [result["title"] for result in session.inline_results[answer.inline_query_id]]
    assert titles
    assert all("Lamp" in title for title in titles)


async def test_a_card_shared_into_the_bots_own_chat_is_not_a_question(
    chat: Chat, session: RecordingSession
) -> None:
    update = chat._message(
        TARAS,
        photo=[{"file_id": "p", "file_unique_id": "p", "width": 800, "height": 800}],
        caption="🏷 Product\nLamp of Lost Hope",
        via_bot={"id": BOT_ID, "is_bot": True, "first_name": "Shop", "username": BOT_USERNAME},
    )
    assert await chat.feed(update) == []
    assert not session.chat(IRYNA.id), "nothing reached support"
