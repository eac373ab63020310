"""What customers send besides text (photo, document, voice, sticker, location, a reply), and how
the bot sends it on: file_ids, downloads, copyMessage and forwardMessage as Telegram answers."""

from __future__ import annotations

import io

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, MessageOriginUser

from bot.localapi import LocalBotApiServer
from bot.localapi.samples import SAMPLES
from tests.e2e.webchat import WebChat

from .conftest import GROUP, IRYNA, OLENA, TARAS, bad_request, call
from .test_messages import PNG_1X1


async def test_each_kind_of_file_reaches_the_bot_with_ids_it_can_download(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    olena = WebChat(http, started, OLENA)
    offset = (await bot.get_updates())[-1].update_id + 1
    await olena.send_sample("photo", "it came cracked")
    await olena.send_sample("document")
    await olena.send_sample("voice")
    await olena.send_sample("sticker")
    await olena.send_location(50.4501, 30.5234)
    photo, document, voice, sticker, location = [
        u.message for u in await bot.get_updates(offset=offset)
    ]
    assert photo is not None
    assert photo.photo
    assert photo.caption == "it came cracked"
    assert (photo.photo[-1].width, photo.photo[-1].height) == (480, 320)
    assert document is not None
    assert document.document is not None
    assert document.document.file_name == "receipt-1042.pdf"
    assert document.document.mime_type == "application/pdf"
    assert voice is not None
    assert voice.voice is not None
    assert voice.voice.duration == 2
    assert sticker is not None
    assert sticker.sticker is not None
    assert sticker.sticker.emoji == "🙁"
    assert sticker.sticker.type == "regular"
    assert location is not None
    assert location.location is not None
    assert (location.location.latitude, location.location.longitude) == (50.4501, 30.5234)

    for file_id, sample in (
        (photo.photo[-1].file_id, "photo"),
        (document.document.file_id, "document"),
        (voice.voice.file_id, "voice"),
    ):
        file = await bot.get_file(file_id)
        url = f"{started.api_base}/file/bot{started.token}/{file.file_path}"
        async with http.get(url) as response:
            assert await response.read() == SAMPLES[sample].content
    assert photo.photo[-1].file_unique_id != document.document.file_unique_id


async def test_a_reply_carries_the_message_replied_to(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    card = await bot.send_message(OLENA, "Kettle, 39 EUR")
    olena = WebChat(http, started, OLENA)
    offset = (await bot.get_updates())[-1].update_id + 1
    await olena.reply(card.message_id, "in blue?")
    await olena.send_sample("photo", "like this", reply_to={"message_id": card.message_id})
    text, photo = [u.message for u in await bot.get_updates(offset=offset)]
    assert text is not None
    assert text.reply_to_message is not None
    assert text.reply_to_message.text == "Kettle, 39 EUR"
    assert photo is not None
    assert photo.reply_to_message is not None
    assert photo.reply_to_message.message_id == card.message_id
    status, body = await olena.attempt("/send", {"text": "x", "reply_to_message_id": 999})
    assert status == 400
    assert "gone" in body["error"]


async def test_uploads_from_disk_are_checked_and_capped(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    olena = WebChat(http, started, OLENA)
    sent = await olena.send_file("photo", PNG_1X1, "dot.png", "text/html", caption="dot")
    assert sent["photo"][-1]["width"] == 1
    # The page shows the bytes as what they are, whatever type the browser claimed.
    async with http.get(started.base_url + sent["media_src"]) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    doc = await olena.send_file("document", b"<script>", "notes.html", "text/html")
    async with http.get(started.base_url + doc["media_src"]) as response:
        assert response.headers["Content-Disposition"] == "attachment"
    assert doc["document"]["file_name"] == "notes.html"

    form = aiohttp.FormData()
    form.add_field("kind", "photo")
    form.add_field("file", b"not an image", filename="x.jpg", content_type="image/jpeg")
    async with http.post(f"{started.base_url}/chat/api/chats/{OLENA}/media", data=form) as r:
        assert r.status == 400
        assert "JPEG, PNG or GIF" in (await r.json())["error"]
    form = aiohttp.FormData()
    form.add_field("kind", "document")
    form.add_field("file", io.BytesIO(b"x" * (10 * 2**20 + 1)), filename="big.bin")
    async with http.post(f"{started.base_url}/chat/api/chats/{OLENA}/media", data=form) as r:
        assert r.status == 400
        assert "at most 10 MB" in (await r.json())["error"]
    status, body = await olena.attempt("/media", {"sample": "video"})
    assert status == 400
    assert "sample must be one of photo, document, voice, sticker" in body["error"]
    status, body = await olena.attempt("/location", {"latitude": 91, "longitude": 0})
    assert status == 400
    assert "latitude must be within" in body["error"]


async def test_copy_message_keeps_media_and_answers_with_a_message_id(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    olena = WebChat(http, started, OLENA)
    asked = await olena.send_sample("voice")
    topic = await bot.create_forum_topic(GROUP, "Olena")
    copied = await bot.copy_message(
        GROUP, OLENA, asked["message_id"], message_thread_id=topic.message_thread_id
    )
    stored = started.state.chats[GROUP].messages[copied.message_id]
    assert stored.media is not None
    assert stored.media.file_id == asked["voice"]["file_id"]
    assert stored.thread_id == topic.message_thread_id
    assert stored.from_bot
    assert stored.forward_origin is None

    # An agent's photo goes back to the customer, captioned anew, as copyMessage does.
    agent = WebChat(http, started, IRYNA).topic(topic.message_thread_id)
    answer = await agent.send_sample("photo", "We have this one")
    back = await bot.copy_message(
        OLENA, GROUP, answer["message_id"], caption="<b>Iryna:</b> we have this one"
    )
    shown = (await olena.messages())[-1]
    assert shown["message_id"] == back.message_id
    assert shown["caption"] == "Iryna: we have this one"
    assert shown["caption_entities"][0]["type"] == "bold"
    assert shown["photo"][-1]["file_id"] == answer["photo"][-1]["file_id"]
    assert "reply_to_message" not in shown

    _status, body = await call(http, started, "copyMessage", chat_id=OLENA, message_id=1)
    assert body["description"] == 'Bad Request: parameter "from_chat_id" is required'
    error = await bad_request(
        http, started, "copyMessage", chat_id=OLENA, from_chat_id=OLENA, message_id=9999
    )
    assert error == "Bad Request: message to copy not found"
    error = await bad_request(
        http, started, "copyMessage", chat_id=OLENA, from_chat_id=-1009, message_id=1
    )
    assert error == "Bad Request: chat not found"
    error = await bad_request(
        http,
        started,
        "copyMessage",
        chat_id=OLENA,
        from_chat_id=GROUP,
        message_id=topic.message_thread_id,
    )
    assert error == "Bad Request: the message can't be copied"


async def test_forward_message_shows_where_it_came_from(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    taras = WebChat(http, started, TARAS)
    asked = await taras.send("Where is my order?")
    forwarded = await bot.forward_message(GROUP, TARAS, asked["message_id"])
    assert forwarded.text == "Where is my order?"
    assert isinstance(forwarded.forward_origin, MessageOriginUser)
    assert forwarded.forward_origin.sender_user.id == TARAS
    assert forwarded.forward_from is not None
    assert forwarded.forward_from.id == TARAS
    again = await bot.forward_message(OLENA, GROUP, forwarded.message_id)
    assert isinstance(again.forward_origin, MessageOriginUser)
    assert again.forward_origin.sender_user.id == TARAS  # still the original


async def test_send_methods_take_file_ids_of_their_class_only(
    bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer
) -> None:
    olena = WebChat(http, started, OLENA)
    voice = (await olena.send_sample("voice"))["voice"]["file_id"]
    photo = (await olena.send_sample("photo"))["photo"][-1]["file_id"]
    again = await bot.send_voice(OLENA, voice, caption="your note")
    assert again.voice is not None
    assert again.voice.file_id == voice
    as_document = await bot.send_document(OLENA, voice)
    assert as_document.document is not None  # Telegram lets one document kind stand for another
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await bot.send_document(OLENA, photo)
    with pytest.raises(TelegramBadRequest, match="can't use file of type VoiceNote as Photo"):
        await bot.send_photo(OLENA, voice)
    uploaded = await bot.send_document(
        OLENA, BufferedInputFile(b"%PDF-1.4", "offer.pdf"), caption="Offer"
    )
    assert uploaded.document is not None
    assert uploaded.document.file_name == "offer.pdf"
    sticker = await bot.send_sticker(OLENA, BufferedInputFile(PNG_1X1, "s.png"), emoji="👍")
    assert sticker.sticker is not None
    assert sticker.sticker.emoji == "👍"
    location = await bot.send_location(OLENA, 50.45, 30.52)
    assert location.location is not None
    error = await bad_request(
        http, started, "sendLocation", chat_id=OLENA, latitude=91, longitude=0
    )
    assert error == "Bad Request: invalid location specified"
    error = await bad_request(http, started, "sendLocation", chat_id=OLENA, longitude=0)
    assert error == "Bad Request: latitude is empty"
    error = await bad_request(http, started, "sendVoice", chat_id=OLENA)
    assert error == "Bad Request: there is no voice in the request"
