"""The one main menu: every message that carries it shows the same buttons for the customer's
state, wherever in the bot it comes from."""

from __future__ import annotations

from aiogram.types import ReplyKeyboardMarkup

from tests.bot.chat import TARAS, Chat, Person
from tests.bot.telegram import RecordingSession, Sent


def menu_of(sent: Sent) -> list[list[str]]:
    assert isinstance(sent.markup, ReplyKeyboardMarkup), sent
    return [[button.text for button in row] for row in sent.markup.keyboard]


async def menus_everywhere(
    chat: Chat, session: RecordingSession, person: Person
) -> list[list[list[str]]]:
    """The menu as /start, /menu, /help, an unknown command, an expired button and the
    language choice show it."""
    shown: list[list[list[str]]] = []
    for text in ("/start", "/menu", "/help", "/nosuchcommand"):
        await chat.send(person, text)
        shown.append(menu_of(session.last(person.id)))
    await chat.send(person, "/language")
    picker = session.last(person.id)
    await chat.press_data(person, picker, "l:zz:0::0")
    shown.append(menu_of(session.last(person.id)))
    await chat.press(person, picker, "English")
    shown.append(menu_of(session.last(person.id)))
    return shown


async def test_every_message_shows_the_same_menu_before_and_after_linking(
    chat: Chat, session: RecordingSession
) -> None:
    unlinked = await menus_everywhere(chat, session, TARAS)
    assert all(menu == unlinked[0] for menu in unlinked), unlinked
    assert unlinked[0][0] == ["📱 Share my phone number"]

    await chat.share_contact(TARAS, "+380501110002")
    assert menu_of(session.last(TARAS.id)) != unlinked[0]
    linked = await menus_everywhere(chat, session, TARAS)
    assert all(menu == linked[0] for menu in linked), linked
    assert menu_of(session.last(TARAS.id)) == linked[0]
    assert ["📱 Share my phone number"] not in linked[0]
