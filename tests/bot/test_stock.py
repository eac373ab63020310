"""Stock as the feed says it: in stock, limited availability, preorder, backorder, out of stock
on every card, and Alternatives under a card that cannot be bought now."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.ports import Availability
from tests.bot.chat import IRYNA, TARAS, Chat
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import RecordingSession

STOCK_LINES = {
    Availability.IN_STOCK: "✅ In stock",
    Availability.LIMITED: "🟡 Limited availability",
    Availability.PREORDER: "🗓 Preorder",
    Availability.BACKORDER: "⏳ Backorder: ships when restocked",
    Availability.OUT_OF_STOCK: "⛔ Out of stock",
}


@pytest.mark.parametrize("state", list(Availability))
async def test_a_card_says_the_stock_state_of_the_feed(
    state: Availability, chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=state)
    await chat.send(IRYNA, "/start")
    await chat.send(IRYNA, "/product lamp-1")
    card = next(sent for sent in session.chat(IRYNA.id) if "Lamp of Lost Hope" in sent.visible)
    assert STOCK_LINES[state] in card.visible
    others = set(STOCK_LINES.values()) - {STOCK_LINES[state]}
    assert not any(line in card.visible for line in others)
    detail = session.last(IRYNA.id)
    assert f"Stock: {STOCK_LINES[state].split(' ', 1)[1]}" in detail.visible


async def test_a_limited_item_is_listed_and_an_unavailable_one_offers_alternatives(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    engine.cards["mug-1"] = replace(engine.cards["mug-1"], availability=Availability.LIMITED)
    await chat.send(TARAS, "/start")
    await chat.send(TARAS, "🔥 Popular now")
    first = session.last(TARAS.id)
    assert "Meeting That Could Have Been an Email Mug" in first.visible
    assert "🟡 Limited availability" in first.visible
    assert not any("Alternatives" in text for text, _, _ in first.buttons())

    for state in (Availability.PREORDER, Availability.BACKORDER, Availability.OUT_OF_STOCK):
        engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=state)
        await chat.send(IRYNA, "/product lamp-1")
        card = next(s for s in reversed(session.chat(IRYNA.id)) if "Lost Hope" in s.visible)
        await chat.press(IRYNA, card, "Alternatives")
        alternatives = session.last(IRYNA.id)
        assert alternatives.visible.startswith("🔁 Alternatives to Lamp of Lost Hope\nLamp of")
