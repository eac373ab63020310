"""The web chat's JSON API: what a person sees, and what the bot hears when they act."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeChatAdministrators,
    BotCommandScopeChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.localapi import BotApiState, LocalBotApiServer
from tests.e2e.webchat import WebChat

from .conftest import DMYTRO, GROUP, IRYNA, OLENA, TARAS, bad_request


async def chat_api(
    http: aiohttp.ClientSession, server: LocalBotApiServer, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    url = f"{server.base_url}/chat/api/chats/{path}"
    if body is None:
        async with http.get(url) as response:
            return response.status, await response.json()
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


async def view(http: aiohttp.ClientSession, server: LocalBotApiServer, user: int) -> Any:
    status, body = await chat_api(http, server, f"{user}?wait=0")
    assert status == 200
    return body["chat"]


async def test_page_and_its_assets_are_served(
    http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    async with http.get(server.chat_url) as response:
        page = await response.text()
    assert response.status == 200
    assert '<script src="/static/chat.js"></script>' in page
    for asset in ("chat.js", "chat.css"):
        async with http.get(f"{server.base_url}/static/{asset}") as response:
            assert response.status == 200
    async with http.get(f"{server.base_url}/chat/api/users") as response:
        users = (await response.json())["users"]
    assert [(u["id"], u["role"]) for u in users] == [
        (OLENA, "customer"),
        (TARAS, "customer"),
        (IRYNA, "staff"),
        (DMYTRO, "staff"),
    ]


async def test_typed_text_reaches_the_bot(
    http: aiohttp.ClientSession, bot: Bot, server: LocalBotApiServer
) -> None:
    status, _ = await chat_api(http, server, f"{TARAS}/send", {"text": "/start"})
    assert status == 200
    updates = await bot.get_updates()
    message = updates[0].message
    assert message is not None
    assert message.text == "/start"
    assert message.from_user is not None
    assert message.from_user.language_code == "en"
    assert message.entities is not None
    assert message.entities[0].type == "bot_command"


async def test_share_contact_button_sends_own_contact(
    http: aiohttp.ClientSession, bot: Bot, started: LocalBotApiServer
) -> None:
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share my phone", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await bot.send_message(OLENA, "Share your phone, please", reply_markup=keyboard)
    chat = await view(http, started, OLENA)
    assert chat["reply_keyboard"]["keyboard"][0][0]["request_contact"] is True
    assert chat["messages"][-1]["text"] == "Share your phone, please"
    assert "reply_markup" not in chat["messages"][-1]  # reply keyboards live on the chat

    last = (await bot.get_updates())[-1].update_id
    status, _ = await chat_api(http, started, f"{OLENA}/contact", {})
    assert status == 200
    update = (await bot.get_updates(offset=last + 1))[0]
    assert update.message is not None
    contact = update.message.contact
    assert contact is not None
    assert contact.user_id == OLENA
    assert contact.phone_number == "380501110001"
    assert (await view(http, started, OLENA))["reply_keyboard"] is None  # one-time keyboard

    await bot.send_message(OLENA, "keyboard again", reply_markup=keyboard)
    await bot.send_message(OLENA, "gone", reply_markup=ReplyKeyboardRemove())
    assert (await view(http, started, OLENA))["reply_keyboard"] is None


async def test_staff_without_phone_cannot_share_contact(
    http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    status, body = await chat_api(http, server, f"{IRYNA}/contact", {})
    assert status == 400
    assert "no phone number" in body["error"]


async def test_button_press_becomes_callback_query_and_answer_shows(
    http: aiohttp.ClientSession, bot: Bot, started: LocalBotApiServer
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Bestsellers", callback_data="list:2")]]
    )
    sent = await bot.send_message(OLENA, "Menu", reply_markup=markup)
    chat = await view(http, started, OLENA)
    shown = chat["messages"][-1]["reply_markup"]["inline_keyboard"][0][0]
    assert shown == {"text": "Bestsellers", "callback_data": "list:2"}
    offset = (await bot.get_updates())[-1].update_id + 1

    press = asyncio.create_task(
        chat_api(
            http, started, f"{OLENA}/press", {"message_id": sent.message_id, "data": "list:2"}
        )
    )
    updates = await bot.get_updates(offset=offset, timeout=3)
    query = updates[0].callback_query
    assert query is not None
    assert query.data == "list:2"
    assert query.from_user.id == OLENA
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Loading bestsellers…")
    status, answer = await press
    assert status == 200
    assert answer["answered"] is True
    assert answer["text"] == "Loading bestsellers…"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)

    status, body = await chat_api(
        http, started, f"{OLENA}/press", {"message_id": sent.message_id, "data": "forged"}
    )
    assert status == 400
    assert "no button" in body["error"]


async def test_edits_and_deletes_show_and_long_poll_wakes(
    http: aiohttp.ClientSession, bot: Bot, started: LocalBotApiServer
) -> None:
    sent = await bot.send_message(OLENA, "Page 1")
    _, body = await chat_api(http, started, f"{OLENA}?wait=0")
    version = body["version"]
    waiting = asyncio.create_task(chat_api(http, started, f"{OLENA}?version={version}&wait=5"))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await bot.edit_message_text("Page 2", chat_id=OLENA, message_id=sent.message_id)
    _status, body = await asyncio.wait_for(waiting, 3)
    edited = body["chat"]["messages"][-1]
    assert edited["text"] == "Page 2"
    assert "edit_date" in edited
    await bot.delete_message(OLENA, sent.message_id)
    ids = [m["message_id"] for m in (await view(http, started, OLENA))["messages"]]
    assert sent.message_id not in ids


async def test_command_menus_follow_scope_and_language(
    http: aiohttp.ClientSession, bot: Bot, server: LocalBotApiServer
) -> None:
    customer = [BotCommand(command="start", description="Main menu")]
    customer_uk = [BotCommand(command="start", description="Головне меню")]
    staff = [*customer, BotCommand(command="find", description="Find a customer")]
    await bot.set_my_commands(customer)
    await bot.set_my_commands(
        customer_uk, scope=BotCommandScopeAllPrivateChats(), language_code="uk"
    )
    await bot.set_my_commands(staff, scope=BotCommandScopeChat(chat_id=IRYNA))

    def names(chat: Any) -> list[tuple[str, str]]:
        return [(c["command"], c["description"]) for c in chat["commands"]]

    assert names(await view(http, server, OLENA)) == [("start", "Головне меню")]
    assert names(await view(http, server, TARAS)) == [("start", "Main menu")]
    assert names(await view(http, server, IRYNA)) == [
        ("start", "Main menu"),
        ("find", "Find a customer"),
    ]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=IRYNA))
    assert [c.command for c in scoped] == ["start", "find"]
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=IRYNA))
    assert names(await view(http, server, IRYNA)) == [("start", "Main menu")]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Find-Customer", description="x")])


async def test_command_menus_follow_the_persons_language_and_their_place_in_the_group(
    http: aiohttp.ClientSession, bot: Bot, server: LocalBotApiServer
) -> None:
    menu = [BotCommand(command="start", description="Main menu")]
    menu_uk = [BotCommand(command="start", description="Головне меню")]
    agents = [BotCommand(command="queue", description="Open conversations")]
    admins = [*agents, BotCommand(command="stats", description="Figures")]
    mine = [BotCommand(command="duty", description="On duty")]
    await bot.set_my_commands(menu)
    await bot.set_my_commands(menu_uk, language_code="uk")
    await bot.set_my_commands(agents, scope=BotCommandScopeAllGroupChats())
    await bot.set_my_commands(admins, scope=BotCommandScopeChatAdministrators(chat_id=GROUP))
    await bot.set_my_commands(mine, scope=BotCommandScopeChatMember(chat_id=GROUP, user_id=DMYTRO))

    def names(commands: Any) -> list[str]:
        return [c["description"] for c in commands]

    assert names((await view(http, server, TARAS))["commands"]) == ["Main menu"]
    assert names((await view(http, server, OLENA))["commands"]) == ["Головне меню"]
    taras = WebChat(http, server, TARAS)
    await taras.set_language("uk")
    assert names((await view(http, server, TARAS))["commands"]) == ["Головне меню"]
    await taras.send("/start")
    update = (await bot.get_updates())[-1]
    assert update.message is not None
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "uk"
    assert BotApiState(server.token).users[TARAS].language_code == "en"  # this server only

    assert names((await WebChat(http, server, IRYNA).group())["commands"]) == [
        "Open conversations",
        "Figures",
    ]
    assert names((await WebChat(http, server, DMYTRO).group())["commands"]) == ["On duty"]
    # Languages are kept apart: the Ukrainian list is not the default one.
    assert [c.description for c in await bot.get_my_commands(language_code="uk")] == [
        "Головне меню"
    ]
    assert [c.description for c in await bot.get_my_commands()] == ["Main menu"]
    assert await bot.get_my_commands(language_code="de") == []


async def test_command_scopes_are_checked_as_telegram_checks_them(
    http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    commands = [{"command": "start", "description": "Main menu"}]
    for scope, expected in (
        ({"type": "everyone"}, "can't parse BotCommandScope: Unsupported type specified"),
        ({"type": "chat_member", "chat_id": OLENA, "user_id": OLENA}, "can't use specified scope"),
        ({"type": "chat_member", "chat_id": GROUP, "user_id": 424242}, "user not found"),
        ({"type": "chat", "chat_id": -100777}, "chat not found"),
        ({"type": "chat"}, 'Can\'t find field "chat_id"'),
    ):
        error = await bad_request(http, server, "setMyCommands", commands=commands, scope=scope)
        assert expected in error
