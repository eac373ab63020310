"""Sending, editing and deleting messages, with the checks and error texts of Telegram."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
)

from bot.localapi import LocalBotApiServer

from .conftest import IRYNA, OLENA, bad_request, call

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


async def test_html_message_arrives_formatted_with_its_keyboard(
    bot: Bot, started: LocalBotApiServer
) -> None:
    markup = keyboard(
        InlineKeyboardButton(text="Open", url="https://shop.example/p/1"),
        InlineKeyboardButton(text="More", callback_data="more:1"),
    )
    sent = await bot.send_message(OLENA, "<b>Kit</b> &amp; co", reply_markup=markup)
    assert sent.text == "Kit & co"
    assert sent.entities is not None
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 3)]
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == markup.model_dump()
    assert sent.chat.id == OLENA
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    stored = started.state.chats[OLENA].messages[sent.message_id]
    assert stored.text == "Kit & co"


async def test_bad_html_is_refused(bot: Bot, started: LocalBotApiServer) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(OLENA, "Price < 10 <br>")


async def test_text_limit_counts_utf16_units_after_parsing(
    http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    # 2048 emoji are 4096 UTF-16 units: the limit exactly, however long the markup around them.
    status, body = await call(
        http,
        started,
        "sendMessage",
        chat_id=OLENA,
        text=f"<b>{'👋' * 2048}</b>",
        parse_mode="HTML",
    )
    assert status == 200, body
    error = await bad_request(http, started, "sendMessage", chat_id=OLENA, text="👋" * 2048 + "a")
    assert error == "Bad Request: message is too long"
    error = await bad_request(
        http, started, "sendMessage", chat_id=OLENA, text=" <b></b> ", parse_mode="HTML"
    )
    assert error == "Bad Request: message text is empty"


async def test_caption_limit(http: aiohttp.ClientSession, started: LocalBotApiServer) -> None:
    photo = "https://shop.example/a.jpg"
    ok = "&lt;" * 1024
    status, _ = await call(
        http, started, "sendPhoto", chat_id=OLENA, photo=photo, caption=ok, parse_mode="HTML"
    )
    assert status == 200
    error = await bad_request(
        http, started, "sendPhoto", chat_id=OLENA, photo=photo, caption="x" * 1025
    )
    assert error == "Bad Request: message caption is too long"


async def test_callback_data_must_be_1_to_64_bytes(
    http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    def markup(data: str) -> dict[str, object]:
        return {"inline_keyboard": [[{"text": "x", "callback_data": data}]]}

    status, _ = await call(
        http, started, "sendMessage", chat_id=OLENA, text="ok", reply_markup=markup("ї" * 32)
    )
    assert status == 200
    for data in ("ї" * 32 + "x", ""):
        error = await bad_request(
            http, started, "sendMessage", chat_id=OLENA, text="x", reply_markup=markup(data)
        )
        assert error == "Bad Request: BUTTON_DATA_INVALID"


async def test_url_buttons_need_a_valid_url(
    http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    for url in ("shop.example/p", "http://localhost:8080/p", "javascript:alert(1)"):
        markup = {"inline_keyboard": [[{"text": "Open", "url": url}]]}
        error = await bad_request(
            http, started, "sendMessage", chat_id=OLENA, text="x", reply_markup=markup
        )
        assert error == f"Bad Request: inline keyboard button URL '{url}' is invalid"
    markup = {"inline_keyboard": [[{"text": "Just text"}]]}
    error = await bad_request(
        http, started, "sendMessage", chat_id=OLENA, text="x", reply_markup=markup
    )
    assert "Text buttons are unallowed in the inline keyboard" in error


async def test_unknown_chat_and_unstarted_chat(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    error = await bad_request(http, started, "sendMessage", chat_id=424242, text="x")
    assert error == "Bad Request: chat not found"
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(IRYNA, "hello")


async def test_blocked_user(bot: Bot, started: LocalBotApiServer) -> None:
    started.state.set_blocked(OLENA, blocked=True)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(OLENA, "hello")
    update = started.state.updates[-1]
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    started.state.user_sends_text(OLENA, "/start")
    assert (await bot.send_message(OLENA, "welcome back")).text == "welcome back"


async def test_edit_text_caption_markup_and_not_modified(
    bot: Bot, started: LocalBotApiServer
) -> None:
    first = keyboard(InlineKeyboardButton(text="1/2", callback_data="page:1"))
    second = keyboard(InlineKeyboardButton(text="2/2", callback_data="page:2"))
    message = await bot.send_message(OLENA, "Page 1", reply_markup=first)
    edited = await bot.edit_message_text(
        "Page <b>2</b>", chat_id=OLENA, message_id=message.message_id, reply_markup=second
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Page 2"
    assert edited.edit_date is not None
    assert edited.reply_markup is not None
    assert edited.reply_markup.model_dump() == second.model_dump()
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.edit_message_text(
            "Page <b>2</b>", chat_id=OLENA, message_id=message.message_id, reply_markup=second
        )
    assert caught.value.message == NOT_MODIFIED
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=OLENA, message_id=message.message_id, caption="c")
    changed = await bot.edit_message_reply_markup(
        chat_id=OLENA, message_id=message.message_id, reply_markup=first
    )
    assert not isinstance(changed, bool)
    assert changed.reply_markup is not None
    assert changed.reply_markup.model_dump() == first.model_dump()
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=OLENA, message_id=9999)


async def test_photo_messages_edit_caption_and_media_but_not_text(
    bot: Bot, started: LocalBotApiServer
) -> None:
    photo = await bot.send_photo(OLENA, "https://shop.example/1.jpg", caption="<b>One</b>")
    assert photo.photo
    assert photo.caption == "One"
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("Two", chat_id=OLENA, message_id=photo.message_id)
    caption = await bot.edit_message_caption(
        chat_id=OLENA, message_id=photo.message_id, caption="<i>Two</i>"
    )
    assert not isinstance(caption, bool)
    assert caption.caption == "Two"
    media = await bot.edit_message_media(
        InputMediaPhoto(media="https://shop.example/2.jpg", caption="Three"),
        chat_id=OLENA,
        message_id=photo.message_id,
    )
    assert not isinstance(media, bool)
    assert media.caption == "Three"
    stored = started.state.chats[OLENA].messages[photo.message_id]
    assert stored.photo is not None
    assert stored.photo.url == "https://shop.example/2.jpg"
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.edit_message_media(
            InputMediaPhoto(media="https://shop.example/2.jpg", caption="Three"),
            chat_id=OLENA,
            message_id=photo.message_id,
        )
    assert caught.value.message == NOT_MODIFIED


async def test_uploaded_photo_by_multipart_and_download(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    sent = await bot.send_photo(OLENA, BufferedInputFile(PNG_1X1, "dot.png"), caption="dot")
    assert sent.photo is not None
    size = sent.photo[-1]
    assert (size.width, size.height, size.file_size) == (1, 1, len(PNG_1X1))
    again = await bot.send_photo(OLENA, size.file_id)
    assert again.photo is not None
    assert again.photo[-1].file_id == size.file_id
    file = await bot.get_file(size.file_id)
    assert file.file_path is not None
    async with http.get(f"{started.api_base}/file/bot{started.token}/{file.file_path}") as resp:
        assert resp.status == 200
        assert await resp.read() == PNG_1X1
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_photo(OLENA, "no-such-file-id")


async def test_delete_message(bot: Bot, started: LocalBotApiServer) -> None:
    message = await bot.send_message(OLENA, "temporary")
    assert await bot.delete_message(OLENA, message.message_id) is True
    assert message.message_id not in started.state.chats[OLENA].messages
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(OLENA, message.message_id)


async def test_form_urlencoded_and_get_requests(
    http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    url = f"{started.api_base}/bot{started.token}/SENDMESSAGE"
    form = {
        "chat_id": str(OLENA),
        "text": "<i>form</i>",
        "parse_mode": "HTML",
        "reply_markup": '{"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}',
    }
    async with http.post(url, data=form) as response:
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["entities"] == [{"offset": 0, "length": 4, "type": "italic"}]
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    async with http.get(f"{started.api_base}/bot{started.token}/getme") as response:
        assert (await response.json())["result"]["username"] == "recoms_demo_bot"


async def test_wrong_token_unknown_method_and_malformed_token(
    http: aiohttp.ClientSession, server: LocalBotApiServer
) -> None:
    stranger = Bot("42:not-the-token", session=None)
    stranger.session.api = type(stranger.session.api).from_base(server.api_base)
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()
    async with http.post(f"{server.api_base}/bot42:not-the-token/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    async with http.post(f"{server.api_base}/bot{server.token}/sendTelepathy") as response:
        assert response.status == 404
        assert (await response.json())["description"] == "Not Found"
    async with http.post(f"{server.api_base}/botgarbage/getMe") as response:
        assert response.status == 404


async def test_flood_switch_answers_429_with_retry_after() -> None:
    async with LocalBotApiServer(port=0, flood_every=2, flood_retry_after=3) as server:
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        bot = Bot(
            server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.api_base))
        )
        server.state.user_sends_text(OLENA, "/start")
        try:
            await bot.send_message(OLENA, "one")
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(OLENA, "two")
            assert caught.value.retry_after == 3
            assert "Too Many Requests: retry after 3" in caught.value.message
            await bot.get_me()  # reading is never limited
            await bot.send_message(OLENA, "three")
        finally:
            await bot.session.close()


async def test_chat_action_and_menu_button(bot: Bot, started: LocalBotApiServer) -> None:
    assert await bot.send_chat_action(OLENA, "typing") is True
    assert started.state.chats[OLENA].action == "typing"
    with pytest.raises(TelegramBadRequest, match="wrong parameter action in request"):
        await bot.send_chat_action(OLENA, "dancing")
    from aiogram.types import MenuButtonCommands, MenuButtonDefault

    assert await bot.set_chat_menu_button(chat_id=OLENA, menu_button=MenuButtonCommands())
    assert (await bot.get_chat_menu_button(chat_id=OLENA)).type == "commands"
    assert await bot.set_chat_menu_button(chat_id=OLENA, menu_button=MenuButtonDefault())
    assert await bot.close() is True
    assert await bot.log_out() is True
