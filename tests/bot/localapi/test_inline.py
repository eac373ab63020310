"""Inline mode: ``@bot query`` typed in the web chat, answerInlineQuery checked as Telegram checks
it, the cache Telegram keeps, and the message sent via the bot when a result is chosen."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultPhoto,
    InputTextMessageContent,
    Update,
)

from bot.localapi import LocalBotApiServer
from tests.e2e.webchat import InlineAnswer, WebChat

from .conftest import DMYTRO, GROUP, OLENA, TARAS, bad_request

KETTLE_URL = "https://shop.example/p/kettle"


def article(result_id: str, title: str, text: str, **extra: Any) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=result_id,
        title=title,
        input_message_content=InputTextMessageContent(message_text=text),
        **extra,
    )


async def next_update(bot: Bot, offset: int) -> Update:
    updates = await bot.get_updates(offset=offset, timeout=3)
    assert updates, "no update came"
    return updates[0]


async def ask(person: WebChat, query: str) -> asyncio.Task[InlineAnswer]:
    task = asyncio.create_task(person.inline(query))
    await asyncio.sleep(0.05)
    return task


async def test_query_reaches_the_bot_and_the_chosen_result_is_sent_via_it(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    me = await bot.get_me()
    assert me.supports_inline_queries is True
    offset = (await bot.get_updates())[-1].update_id + 1
    olena = WebChat(http, started, OLENA)
    asking = await ask(olena, "kettle")
    update = await next_update(bot, offset)
    query = update.inline_query
    assert query is not None
    assert (query.query, query.offset, query.chat_type) == ("kettle", "", "sender")
    assert query.from_user.id == OLENA
    assert query.from_user.language_code == "uk"

    shop = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Open", url=KETTLE_URL)]]
    )
    assert await bot.answer_inline_query(
        query.id,
        [
            article("p-1", "Kettle", "<b>Kettle</b> · 39 EUR", description="39 EUR"),
            InlineQueryResultPhoto(
                id="p-2",
                photo_url="https://shop.example/kettle.jpg",
                thumbnail_url="https://shop.example/kettle-s.jpg",
                title="Kettle, steel",
                caption="Steel kettle · 45 EUR",
                reply_markup=shop,
            ),
        ],
        cache_time=0,
        is_personal=True,
    )
    answer = await asking
    assert answer.answered
    assert [r["id"] for r in answer.results] == ["p-1", "p-2"]
    assert answer.result("Kettle")["description"] == "39 EUR"

    sent = await olena.choose(answer, "Kettle")
    assert sent["text"] == "Kettle · 39 EUR"
    assert sent["entities"][0]["type"] == "bold"
    assert sent["via_bot"]["username"] == "recoms_demo_bot"
    assert sent["from"]["id"] == OLENA
    message = (await next_update(bot, update.update_id + 1)).message
    assert message is not None
    assert message.via_bot is not None
    assert message.via_bot.id == bot.id
    # No chosen_inline_result: the bot did not ask for it by name in allowed_updates.
    assert await bot.get_updates(offset=update.update_id + 2) == []

    photo = await olena.choose(answer, "steel")
    assert photo["photo"]
    assert photo["caption"] == "Steel kettle · 45 EUR"
    assert photo["media_src"] == "https://shop.example/kettle.jpg"
    assert photo["reply_markup"]["inline_keyboard"][0][0]["url"] == KETTLE_URL


async def test_chosen_result_and_presses_on_it_come_with_an_inline_message_id(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    await bot.get_updates(allowed_updates=["message", "inline_query", "chosen_inline_result"])
    offset = (await bot.get_updates())[-1].update_id + 1 if await bot.get_updates() else 0
    olena = WebChat(http, started, OLENA)
    asking = await ask(olena, "")
    query = (await next_update(bot, offset)).inline_query
    assert query is not None
    save = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="❤️ Save", callback_data="save:42")]]
    )
    await bot.answer_inline_query(
        query.id, [article("new-1", "New for you", "Mug", reply_markup=save)], cache_time=0
    )
    sent = await olena.choose(await asking, "New for you")
    updates = await bot.get_updates(offset=offset, timeout=2)
    chosen = next(u.chosen_inline_result for u in updates if u.chosen_inline_result)
    assert chosen is not None
    assert (chosen.result_id, chosen.query, chosen.from_user.id) == ("new-1", "", OLENA)
    assert chosen.inline_message_id is not None

    await bot.get_updates(allowed_updates=[])
    last = updates[-1].update_id
    pressing = asyncio.create_task(olena.press(sent, "Save"))
    press = (await next_update(bot, last + 1)).callback_query
    assert press is not None
    assert press.message is None  # the bot did not send it: it only has the inline id
    assert press.inline_message_id == chosen.inline_message_id
    await bot.answer_callback_query(press.id, text="Saved")
    assert (await pressing)["text"] == "Saved"
    edited = await bot.edit_message_text("Mug · saved", inline_message_id=chosen.inline_message_id)
    assert edited is True  # Telegram answers edits of inline messages with True
    assert (await olena.messages())[-1]["text"] == "Mug · saved"
    with pytest.raises(TelegramBadRequest, match="MESSAGE_ID_INVALID"):
        await bot.edit_message_text("x", inline_message_id="forged")


async def test_results_are_checked_as_telegram_checks_them(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    olena = WebChat(http, started, OLENA)
    offset = (await bot.get_updates())[-1].update_id + 1
    asking = await ask(olena, "mug")
    query = (await next_update(bot, offset)).inline_query
    assert query is not None

    def good(result_id: str = "a") -> dict[str, Any]:
        return {
            "type": "article",
            "id": result_id,
            "title": "Mug",
            "input_message_content": {"message_text": "Mug"},
        }

    cases: list[tuple[Any, str]] = [
        ([good(str(i)) for i in range(51)], "too many inline query results specified"),
        ([good("same"), good("same")], "RESULT_ID_DUPLICATE"),
        ([good("x" * 65)], "RESULT_ID_INVALID"),
        ([good("")], "RESULT_ID_EMPTY"),
        ([{**good(), "title": " "}], "ARTICLE_TITLE_EMPTY"),
        ({"not": "a list"}, "expected an Array of inline query results"),
        (["text"], "can't parse inline query result: Inline query result must be an object"),
        (
            [{"type": "article", "title": "Mug"}],
            "can't parse inline query result: Can't find field \"id\"",
        ),
        (
            [{**good(), "input_message_content": {"parse_mode": "HTML"}}],
            "can't parse inline query result: Input message content is not specified",
        ),
        (
            [{**good(), "input_message_content": {"message_text": "<b>", "parse_mode": "HTML"}}],
            "can't parse inline query result: Can't parse entities",
        ),
        ([{**good(), "input_message_content": {"message_text": "x" * 4097}}], "MESSAGE_TOO_LONG"),
        ([{**good(), "type": "carousel"}], 'type "carousel" is unsupported'),
        (
            [{"type": "photo", "id": "p", "photo_url": "https://shop.example/a.jpg"}],
            "PHOTO_THUMB_URL_EMPTY",
        ),
        (
            [{"type": "photo", "id": "p", "photo_url": "ftp://x/a.jpg", "thumbnail_url": "x"}],
            "WEBDOCUMENT_URL_INVALID",
        ),
        ([{"type": "photo", "id": "p", "photo_file_id": "nope"}], "wrong file identifier"),
        (
            [{**good(), "reply_markup": {"keyboard": [[{"text": "menu"}]]}}],
            "REPLY_MARKUP_INVALID",
        ),
        (
            [
                {
                    **good(),
                    "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": ""}]]},
                }
            ],
            "BUTTON_DATA_INVALID",
        ),
    ]
    for results, expected in cases:
        error = await bad_request(
            http, started, "answerInlineQuery", inline_query_id=query.id, results=results
        )
        assert expected in error, (results if len(str(results)) < 300 else expected, error)
    error = await bad_request(
        http,
        started,
        "answerInlineQuery",
        inline_query_id=query.id,
        results=[good()],
        next_offset="9" * 65,
    )
    assert error == "Bad Request: NEXT_OFFSET_INVALID"
    error = await bad_request(
        http,
        started,
        "answerInlineQuery",
        inline_query_id=query.id,
        results=[good()],
        button={"text": "Link your account", "start_parameter": "has space"},
    )
    assert error == "Bad Request: START_PARAM_INVALID"

    # Nothing above answered the query: a good answer still can, once.
    await bot.answer_inline_query(query.id, [article("a", "Mug", "Mug")], cache_time=0)
    assert (await asking).answered
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_inline_query(query.id, [])
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_inline_query("123", [])


async def test_answers_are_cached_for_cache_time_and_per_person_when_personal(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    olena, taras = WebChat(http, started, OLENA), WebChat(http, started, TARAS)
    offset = (await bot.get_updates())[-1].update_id + 1

    async def answered_by_bot(person: WebChat, query: str, **options: Any) -> InlineAnswer:
        nonlocal offset
        asking = await ask(person, query)
        update = await next_update(bot, offset)
        offset = update.update_id + 1
        assert update.inline_query is not None
        result = article("1", f"For {person.user_id}", "x")
        await bot.answer_inline_query(update.inline_query.id, [result], **options)
        return await asking

    first = await answered_by_bot(olena, "bestsellers")  # Telegram's default: 300 s, shared
    again = await taras.inline("bestsellers")
    assert again.cached
    assert again.results == first.results
    assert await bot.get_updates(offset=offset) == []

    personal = await answered_by_bot(olena, "for me", is_personal=True, cache_time=60)
    assert (await olena.inline("for me")).cached
    other = await answered_by_bot(taras, "for me", is_personal=True)
    assert other.results != personal.results

    await answered_by_bot(olena, "fresh", cache_time=0)
    await answered_by_bot(olena, "fresh", cache_time=0)  # asked again: nothing was kept


async def test_inline_query_from_the_group_and_a_result_sent_into_a_topic(
    bot: Bot, http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    topic = await bot.create_forum_topic(GROUP, "Olena")
    offset = (await bot.get_updates())[-1].update_id + 1
    dmytro = WebChat(http, server, DMYTRO).topic(topic.message_thread_id)
    asking = await ask(dmytro, "kettle")
    query = (await next_update(bot, offset)).inline_query
    assert query is not None
    assert query.chat_type == "supergroup"
    await bot.answer_inline_query(query.id, [article("k", "Kettle", "Kettle · 39 EUR")])
    sent = await dmytro.choose(await asking, "Kettle")
    assert sent["message_thread_id"] == topic.message_thread_id
    assert sent["via_bot"]["id"] == bot.id
    assert [m.get("text") for m in await dmytro.messages()][-1] == "Kettle · 39 EUR"


async def test_unanswered_query_and_a_bot_without_inline_mode(
    http: aiohttp.ClientSession,
) -> None:
    async with LocalBotApiServer(port=0, callback_answer_timeout=0.2) as server:
        answer = await WebChat(http, server, OLENA).inline("kettle")
        assert answer.answered is False
        status, body = await WebChat(http, server, OLENA).attempt("/inline", {"query": "x" * 257})
        assert status == 400
    async with LocalBotApiServer(port=0, inline_mode=False) as server:
        status, body = await WebChat(http, server, OLENA).attempt("/inline", {"query": "x"})
        assert (status, body["error"]) == (400, "the bot has no inline mode")
        async with http.get(f"{server.api_base}/bot{server.token}/getMe") as response:
            assert (await response.json())["result"]["supports_inline_queries"] is False
