"""The operators' forum supergroup: topics the bot opens, edits, closes and reopens, what agents
write in them, pinned messages and members, answered as Telegram answers."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Update

from bot.localapi import LocalBotApiServer, SimulatedGroup
from bot.localapi.model import TOPIC_COLORS
from tests.e2e.webchat import WebChat

from .conftest import DMYTRO, GROUP, IRYNA, OLENA, TARAS, bad_request, call


async def drain(bot: Bot) -> int:
    """Confirm every pending update; the offset to ask with next."""
    updates = await bot.get_updates()
    return updates[-1].update_id + 1 if updates else 0


async def new_updates(bot: Bot, offset: int) -> list[Update]:
    return await bot.get_updates(offset=offset, timeout=1)


async def test_bot_opens_a_topic_that_agents_see_and_its_first_message_roots_it(
    bot: Bot, http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    offset = await drain(bot)
    topic = await bot.create_forum_topic(GROUP, "Olena Kovalenko · #42")
    assert topic.message_thread_id > 1
    assert topic.name == "Olena Kovalenko · #42"
    assert topic.icon_color in TOPIC_COLORS

    # The bot hears of the service message it caused, and only of that.
    updates = await new_updates(bot, offset)
    assert len(updates) == 1
    created = updates[0].message
    assert created is not None
    assert created.forum_topic_created is not None
    assert created.forum_topic_created.name == topic.name
    assert created.message_id == topic.message_thread_id
    assert created.message_thread_id == topic.message_thread_id
    assert created.is_topic_message is True
    assert created.chat.type == "supergroup"
    assert created.chat.is_forum is True

    card = await bot.send_message(
        GROUP, "<b>Olena</b> · uk", message_thread_id=topic.message_thread_id
    )
    assert card.message_thread_id == topic.message_thread_id
    assert card.is_topic_message is True
    # Telegram answers a topic message as a reply to the topic's first message.
    assert card.reply_to_message is not None
    assert card.reply_to_message.forum_topic_created is not None
    assert await new_updates(bot, updates[-1].update_id + 1) == []

    iryna = WebChat(http, server, IRYNA).topic(topic.message_thread_id)
    info = await iryna.info()
    assert (info["name"], info["closed"], info["can_write"]) == (topic.name, False, True)
    assert [m.get("text") for m in await iryna.messages()] == [None, "Olena · uk"]
    general = await WebChat(http, server, IRYNA).topic().messages()
    assert general == []


async def test_agents_messages_in_a_topic_reach_the_bot_as_telegram_sends_them(
    bot: Bot, http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    topic = await bot.create_forum_topic(GROUP, "Taras Melnyk")
    thread = topic.message_thread_id
    card = await bot.send_message(GROUP, "Taras asks: blue?", message_thread_id=thread)
    offset = await drain(bot)
    dmytro = WebChat(http, server, DMYTRO).topic(thread)

    await dmytro.send("Yes, in blue too")
    await dmytro.reply(card.message_id, "/note called him")
    await dmytro.send_sample("photo", "this one")
    await WebChat(http, server, DMYTRO).topic().send("lunch at one?")
    updates = [u.message for u in await new_updates(bot, offset)]
    assert all(m is not None for m in updates)
    plain, reply, photo, general = [m for m in updates if m is not None]

    assert plain.text == "Yes, in blue too"
    assert plain.from_user is not None
    assert plain.from_user.id == DMYTRO
    assert (plain.message_thread_id, plain.is_topic_message) == (thread, True)
    assert plain.reply_to_message is not None
    assert plain.reply_to_message.message_id == thread  # the implicit reply to the root
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == card.message_id
    assert reply.entities is not None
    assert reply.entities[0].type == "bot_command"
    assert photo.photo is not None
    assert photo.caption == "this one"
    assert photo.message_thread_id == thread
    assert general.text == "lunch at one?"
    assert general.message_thread_id is None
    assert general.is_topic_message is None
    assert general.reply_to_message is None


async def test_thread_ids_and_topic_methods_fail_as_telegram_fails(
    http: aiohttp.ClientSession, started: LocalBotApiServer, bot: Bot
) -> None:
    server = started
    topic = await bot.create_forum_topic(GROUP, "Refund")
    thread = topic.message_thread_id
    for chat_id, thread_id in ((GROUP, 1), (GROUP, 9999), (OLENA, thread)):
        error = await bad_request(
            http, server, "sendMessage", chat_id=chat_id, text="x", message_thread_id=thread_id
        )
        assert error == "Bad Request: message thread not found"
    error = await bad_request(http, server, "createForumTopic", chat_id=OLENA, name="x")
    assert error == "Bad Request: the chat is not a forum"
    error = await bad_request(http, server, "createForumTopic", chat_id=GROUP, name=" \n ")
    assert error == "Bad Request: name must be non-empty"
    error = await bad_request(
        http, server, "createForumTopic", chat_id=GROUP, name="x", icon_color=255
    )
    assert "icon_color must be one of" in error
    long = await bot.create_forum_topic(GROUP, "ї" * 200)
    assert long.name == "ї" * 128  # Telegram cuts the name rather than refusing it

    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.edit_forum_topic(GROUP, thread, name="Refund")
    assert await bot.edit_forum_topic(GROUP, thread) is True  # nothing to change
    offset = await drain(bot)
    assert await bot.edit_forum_topic(GROUP, thread, name="Refund · done")
    edited = (await new_updates(bot, offset))[0].message
    assert edited is not None
    assert edited.forum_topic_edited is not None
    assert edited.forum_topic_edited.name == "Refund · done"
    assert (await WebChat(http, server, IRYNA).topic(thread).info())["name"] == "Refund · done"

    error = await bad_request(
        http, server, "closeForumTopic", chat_id=GROUP, message_thread_id=4242
    )
    assert error == "Bad Request: TOPIC_ID_INVALID"
    error = await bad_request(http, server, "closeForumTopic", chat_id=GROUP)
    assert error == "Bad Request: invalid forum topic identifier specified"
    assert await bot.close_forum_topic(GROUP, thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(GROUP, thread)


async def test_closed_topic_takes_messages_only_from_those_telegram_lets_write(
    bot: Bot, http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    topic = await bot.create_forum_topic(GROUP, "Olena")
    thread = topic.message_thread_id
    offset = await drain(bot)
    assert await bot.close_forum_topic(GROUP, thread)
    closed = (await new_updates(bot, offset))[0].message
    assert closed is not None
    assert closed.forum_topic_closed is not None
    assert closed.message_thread_id == thread

    dmytro = WebChat(http, server, DMYTRO).topic(thread)
    assert (await dmytro.info())["can_write"] is False
    status, body = await dmytro.attempt("/send", {"text": "still there?"})
    assert status == 400
    assert "TOPIC_CLOSED" in body["error"]
    # The group's owner may write in a closed topic, and so may the bot: it manages topics.
    await WebChat(http, server, IRYNA).topic(thread).send("closing note")
    sent = await bot.send_message(GROUP, "Conversation closed", message_thread_id=thread)
    assert sent.message_thread_id == thread

    offset = await drain(bot)
    assert await bot.reopen_forum_topic(GROUP, thread)
    reopened = (await new_updates(bot, offset))[0].message
    assert reopened is not None
    assert reopened.forum_topic_reopened is not None
    await dmytro.send("back again")


async def test_a_bot_without_topic_rights_gets_topic_closed_in_others_topics(
    http: aiohttp.ClientSession,
) -> None:
    group = SimulatedGroup(GROUP, "Shop support", owner=IRYNA, members=(DMYTRO,), bot_rights=None)
    async with LocalBotApiServer(port=0, groups=[group]) as server:
        iryna = WebChat(http, server, IRYNA)
        topic = await iryna.open_topic("Wholesale")
        status, _ = await call(
            http,
            server,
            "sendMessage",
            chat_id=GROUP,
            text="hi",
            message_thread_id=topic.thread_id,
        )
        assert status == 200
        await topic.close()
        error = await bad_request(
            http,
            server,
            "sendMessage",
            chat_id=GROUP,
            text="hi",
            message_thread_id=topic.thread_id,
        )
        assert error == "Bad Request: TOPIC_CLOSED"
        error = await bad_request(http, server, "createForumTopic", chat_id=GROUP, name="x")
        assert error == "Bad Request: not enough rights to create a topic"
        error = await bad_request(
            http, server, "reopenForumTopic", chat_id=GROUP, message_thread_id=topic.thread_id
        )
        assert error == "Bad Request: not enough rights to close or open the topic"
        dmytro = WebChat(http, server, DMYTRO)
        status, body = await dmytro.attempt("/topics", {"chat_id": GROUP, "name": "mine"})
        assert status == 400
        assert "only admins" in body["error"]


async def test_privacy_mode_hides_plain_messages_from_a_bot_that_is_no_admin(
    http: aiohttp.ClientSession,
) -> None:
    group = SimulatedGroup(GROUP, "Shop support", owner=IRYNA, members=(DMYTRO,), bot_rights=None)
    async with LocalBotApiServer(port=0, groups=[group]) as server:
        general = WebChat(http, server, DMYTRO).topic()
        await general.send("just chatting")
        await general.send("/queue@recoms_demo_bot")
        await general.send("/queue@some_other_bot")
        _status, body = await call(http, server, "getUpdates")
        assert [u["message"]["text"] for u in body["result"]] == ["/queue@recoms_demo_bot"]


async def test_pins_in_a_topic_show_there_and_in_get_chat(
    bot: Bot, http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    topic = await bot.create_forum_topic(GROUP, "Olena")
    thread = topic.message_thread_id
    card = await bot.send_message(GROUP, "Profile card", message_thread_id=thread)
    offset = await drain(bot)
    assert await bot.pin_chat_message(GROUP, card.message_id, disable_notification=True)
    pinned = (await new_updates(bot, offset))[0].message
    assert pinned is not None
    assert pinned.pinned_message is not None
    assert pinned.pinned_message.message_id == card.message_id
    assert pinned.message_thread_id == thread

    iryna = WebChat(http, server, IRYNA).topic(thread)
    assert [m["text"] for m in await iryna.pinned()] == ["Profile card"]
    chat = await bot.get_chat(GROUP)
    assert chat.pinned_message is not None
    assert chat.pinned_message.message_id == card.message_id
    with pytest.raises(TelegramBadRequest, match="message to pin not found"):
        await bot.pin_chat_message(GROUP, 9999)
    with pytest.raises(TelegramBadRequest, match="service messages can't be pinned"):
        await bot.pin_chat_message(GROUP, thread)
    assert await bot.unpin_chat_message(GROUP)
    assert await iryna.pinned() == []
    with pytest.raises(TelegramBadRequest, match="message to unpin not found"):
        await bot.unpin_chat_message(GROUP)


async def test_chat_and_members_as_telegram_describes_them(
    bot: Bot, http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title, chat.is_forum) == ("supergroup", "Shop support", True)
    owner = await bot.get_chat_member(GROUP, IRYNA)
    assert owner.status == "creator"
    assert (await bot.get_chat_member(GROUP, DMYTRO)).status == "member"
    assert (await bot.get_chat_member(GROUP, OLENA)).status == "left"
    me = await bot.get_chat_member(GROUP, bot.id)
    assert me.status == "administrator"
    assert getattr(me, "can_manage_topics", None) is True
    assert getattr(me, "can_pin_messages", None) is True
    with pytest.raises(TelegramBadRequest, match="user not found"):
        await bot.get_chat_member(GROUP, 424242)
    admins = await bot.get_chat_administrators(GROUP)
    assert sorted(a.user.id for a in admins) == sorted([IRYNA, bot.id])
    assert await bot.get_chat_member_count(GROUP) == 3
    with pytest.raises(TelegramBadRequest, match="there are no administrators in the private"):
        await bot.get_chat_administrators(OLENA)
    error = await bad_request(http, server, "getChat", chat_id=-100999)
    assert error == "Bad Request: chat not found"


async def test_two_customers_get_two_topics_that_stay_apart(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    server = started
    olena, taras = WebChat(http, server, OLENA), WebChat(http, server, TARAS)
    topics = {
        OLENA: (await bot.create_forum_topic(GROUP, "Olena")).message_thread_id,
        TARAS: (await bot.create_forum_topic(GROUP, "Taras")).message_thread_id,
    }
    asked = [
        await olena.send("Do you have it in blue?"),
        await taras.send_sample("photo", "it came broken"),
        await olena.send_location(50.45, 30.52),
        await taras.send("Refund, please"),
    ]
    for message in asked:
        await bot.copy_message(
            GROUP,
            from_chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            message_thread_id=topics[message["chat"]["id"]],
        )

    def shown(messages: list[dict[str, Any]]) -> list[str]:
        return [
            m.get("text") or m.get("caption") or ("location" if "location" in m else "")
            for m in messages
            if "forum_topic_created" not in m
        ]

    iryna = WebChat(http, server, IRYNA)
    assert shown(await iryna.topic(topics[OLENA]).messages()) == [
        "Do you have it in blue?",
        "location",
    ]
    assert shown(await iryna.topic(topics[TARAS]).messages()) == [
        "it came broken",
        "Refund, please",
    ]
    assert await iryna.topic().messages() == []


async def test_deleting_messages_and_topics_follows_the_bots_rights(
    bot: Bot, http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    topic = await bot.create_forum_topic(GROUP, "Olena")
    thread = topic.message_thread_id
    dmytro = WebChat(http, server, DMYTRO).topic(thread)
    note = await dmytro.send("# internal note")
    assert await bot.delete_message(GROUP, note["message_id"])
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(GROUP, thread)  # the message that opened the topic
    await dmytro.send("more")
    assert await bot.delete_forum_topic(GROUP, thread)
    group = await WebChat(http, server, IRYNA).group()
    assert [t["name"] for t in group["topics"]] == ["General"]
    assert group["messages"] == []
