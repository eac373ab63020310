"""Text a customer types: a short phrase is a product search, a question goes to support, a
few more words offer both; fed as Telegram updates."""

from __future__ import annotations

import pytest
from aiogram.methods import EditMessageMedia, EditMessageText

from bot.routing import Route, reads_as
from tests.bot.chat import IRYNA, TARAS, Chat
from tests.bot.telegram import RecordingSession, Sent

ACK = "passed your message to our support team"


def texts(sent: Sent) -> list[str]:
    return [text for text, _data, _url in sent.buttons()]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("lamp", Route.SEARCH),
        ("Executive Decision Dice", Route.SEARCH),
        ("mug-1", Route.SEARCH),
        ("lamp of lost hope", Route.EITHER),
        ("do you have a red lamp", Route.EITHER),
        ("is the lamp dimmable?", Route.SUPPORT),
        ("write to me at a@b.example", Route.SUPPORT),
        ("my order has not arrived yet and it is late", Route.SUPPORT),
        ("lamp\nmug", Route.SUPPORT),
        ("hello", Route.SUPPORT),
        ("Thanks!", Route.SUPPORT),
        ("me too", Route.SUPPORT),
        ("please forget me", Route.SUPPORT),
        ("Привіт", Route.SUPPORT),
        ("ok", Route.SUPPORT),
        ("q", Route.SUPPORT),
        ("first", Route.SEARCH),
        ("червона чашка", Route.SEARCH),
        ("   ", Route.SUPPORT),
    ],
)
def test_the_rule(text: str, where: Route) -> None:
    assert reads_as(text) is where


async def test_a_short_phrase_lists_matching_products_page_by_page(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "/start")
    await chat.send(TARAS, "lamp")
    results = session.last(TARAS.id)
    assert "Search: lamp" in results.visible
    assert "Lamp of" in results.visible
    assert "1/3" in texts(results)
    assert "❤️ Save" in texts(results)
    urls = [url for _, _, url in results.buttons() if url]
    assert "utm_campaign=search" in (urls[0] or "")
    requests = await chat.press(TARAS, results, "▶")
    assert any(isinstance(r, (EditMessageMedia, EditMessageText)) for r in requests)
    assert "2/3" in texts(session.messages[(results.chat_id, results.message_id)])
    assert not session.chat(IRYNA.id), "nothing reached support"


async def test_a_question_goes_to_support_and_so_does_what_follows(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "is the lamp dimmable?")
    assert ACK in session.last(TARAS.id).visible
    # While the conversation is open, a short phrase is part of it, not a search.
    await chat.send(TARAS, "lamp")
    assert session.chat(IRYNA.id)[-1].text == "lamp"
    assert "Search:" not in session.last(TARAS.id).visible


async def test_a_search_that_finds_nothing_is_passed_on_as_a_question(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "first")
    assert ACK in session.last(TARAS.id).visible
    assert session.chat(IRYNA.id)[-1].text == "first"


async def test_a_greeting_is_for_a_person(chat: Chat, session: RecordingSession) -> None:
    await chat.send(TARAS, "hello")
    assert ACK in session.last(TARAS.id).visible
    assert session.chat(IRYNA.id)[-1].text == "hello"


async def test_either_offers_both_and_search_shows_the_products(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "Lamp of Lost Hope")
    offer = session.last(TARAS.id)
    assert "«Lamp of Lost Hope»" in offer.visible
    assert texts(offer) == ["🔎 Search products", "💬 Ask a person"]
    await chat.press(TARAS, offer, "Search products")
    results = session.last(TARAS.id)
    assert "Search: Lamp of Lost Hope" in results.visible
    assert "Out of stock" in results.visible, "an out-of-stock product is found too"
    assert any("Alternatives" in text for text in texts(results))
    assert not session.chat(IRYNA.id)


async def test_either_passes_the_original_message_to_a_person(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "do you have a red lamp")
    offer = session.last(TARAS.id)
    await chat.press(TARAS, offer, "Ask a person")
    assert session.chat(IRYNA.id)[-1].text == "do you have a red lamp"
    assert ACK in session.last(TARAS.id).visible
    assert texts(session.messages[(offer.chat_id, offer.message_id)]) == [], "offer is done"


async def test_either_search_without_results_goes_to_a_person(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "something nobody sells here")
    await chat.press(TARAS, session.last(TARAS.id), "Search products")
    assert session.chat(IRYNA.id)[-1].text == "something nobody sells here"
    assert ACK in session.last(TARAS.id).visible


async def test_the_ask_a_person_button_is_not_a_search(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "💬 Ask a person")
    assert "Search:" not in session.last(TARAS.id).visible
    assert ACK in session.last(TARAS.id).visible


@pytest.mark.engine
async def test_search_on_the_engine(chat: Chat, session: RecordingSession) -> None:
    await chat.send(TARAS, "lamp")
    results = session.last(TARAS.id)
    assert "Search: lamp" in results.visible
    assert "Lamp of" in results.visible
