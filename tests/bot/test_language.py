"""Language: the command menu in each language and in the one a customer chose, the picker
that clears its buttons once used, and prices in the locale's currency format."""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal

import pytest
from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.commands import show_all_commands
from bot.staff import StaffDirectory
from tests.bot.chat import IRYNA, OLENA, TARAS, Chat
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import RecordingSession

CUSTOMER_COMMANDS = ["start", "menu", "alerts", "language", "forget", "help"]


async def test_the_command_menu_is_set_for_english_ukrainian_and_everyone_else(
    bot: Bot, i18n: I18n, session: RecordingSession, chat: Chat
) -> None:
    staff: StaffDirectory = chat.dp["staff"]
    await show_all_commands(bot, i18n, staff)
    for code in (None, "en", "uk"):
        assert session.commands[("default", None, code)] == CUSTOMER_COMMANDS
    described = {
        call.language_code: [c.description for c in call.commands]
        for call in session.calls()
        if type(call).__name__ == "SetMyCommands" and call.scope.type == "default"
    }
    assert described["uk"][0] != described["en"][0]
    assert described[None] == described["en"], "other languages get the default locale's"
    assert described["uk"][0] == "Почати й прив'язати акаунт магазину"


async def test_the_chosen_language_rules_the_chats_command_menu(
    chat: Chat, session: RecordingSession
) -> None:
    # Taras's app is in English; he picks Ukrainian: his chat's commands follow, for any
    # language his app may be in.
    await chat.send(TARAS, "/language")
    await chat.press(TARAS, session.last(TARAS.id), "Українська")
    chat_lists = {
        call.language_code: [c.description for c in call.commands]
        for call in session.calls()
        if type(call).__name__ == "SetMyCommands" and getattr(call.scope, "chat_id", 0) == TARAS.id
    }
    assert set(chat_lists) == {None, "en", "uk"}
    ukrainian = chat_lists["uk"]
    assert chat_lists["en"] == ukrainian
    assert chat_lists[None] == ukrainian
    # /forget removes the choice, and with it the chat's own list.
    await chat.send(TARAS, "/forget")
    await chat.press(TARAS, session.last(TARAS.id), "Так")
    assert not any(key[1] == TARAS.id for key in session.commands)


async def test_staff_keep_their_commands_in_the_language_they_chose(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(IRYNA, "/start")
    await chat.send(IRYNA, "/language")
    await chat.press(IRYNA, session.last(IRYNA.id), "Українська")
    for code in (None, "en", "uk"):
        listed = session.commands[("chat", IRYNA.id, code)]
        assert "find" in listed
        assert "language" in listed


async def test_the_picker_loses_its_buttons_once_a_language_is_chosen(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "/language")
    picker = copy.copy(session.last(TARAS.id))
    assert picker.buttons()
    await chat.press(TARAS, picker, "Українська")
    assert session.messages[(TARAS.id, picker.message_id)].markup is None
    assert "✅ Мова: Українська" in session.last(TARAS.id).visible
    # A second tap on the same picker (as the app showed it) changes nothing more.
    before = len(session.chat(TARAS.id))
    await chat.press(TARAS, picker, "English")
    assert session.last(TARAS.id).visible.startswith("✅ Language: English")
    assert len(session.chat(TARAS.id)) == before + 1


@pytest.mark.parametrize(
    ("currency", "english", "ukrainian"),
    [
        ("EUR", "€1,234.50", "1 234,50 EUR"),
        ("uah", "UAH1,234.50", "1 234,50 ₴"),
        (None, "1,234.50", "1 234,50"),
        ("грн", "1,234.50 грн", "1 234,50 грн"),
    ],
)
async def test_prices_follow_the_locales_currency_format(
    currency: str | None,
    english: str,
    ukrainian: str,
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
) -> None:
    for product in engine.cards:
        engine.cards[product] = replace(
            engine.cards[product], price=Decimal("1234.5"), old_price=None, currency=currency
        )
    await chat.send(TARAS, "🔥 Popular now")
    assert english in session.last(TARAS.id).visible.replace("\xa0", " ")
    await chat.send(OLENA, "🔥 Популярне зараз")
    assert ukrainian in session.last(OLENA.id).visible.replace("\xa0", " ")
