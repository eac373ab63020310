"""The web chat page in headless Chromium, with the test playing the bot over the Bot API: a
customer sends a photo, replies and shares a result through inline mode; an agent works in
the operators' group, its topics and pinned card; the menu follows the app language."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot
from aiogram.types import (
    BotCommand,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)

from bot.localapi import LocalBotApiServer
from tests.e2e.browser import Page, chromium, find_browser

from .conftest import DMYTRO, GROUP, IRYNA, OLENA, TARAS

BROWSER = find_browser()
SCREENSHOT_DIR = os.environ.get("E2E_SCREENSHOT_DIR")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        BROWSER is None,
        reason="no Chromium installed (apt-get install chromium); .ci/run installs it",
    ),
]


@pytest.fixture
async def page(http: aiohttp.ClientSession) -> AsyncIterator[Page]:
    assert BROWSER is not None
    async with chromium(BROWSER, http) as opened:
        yield opened


async def updates_until(bot: Bot, offset: int, kind: str) -> Update:
    """Poll as the bot does until an update of ``kind`` comes; earlier ones are confirmed."""
    for _ in range(20):
        for update in await bot.get_updates(offset=offset, timeout=1):
            offset = update.update_id + 1
            if getattr(update, kind) is not None:
                await bot.get_updates(offset=offset)
                return update
    raise AssertionError(f"no {kind} update came")


async def last_offset(bot: Bot) -> int:
    updates = await bot.get_updates()
    return updates[-1].update_id + 1 if updates else 0


def shot(tmp_path: Path, name: str) -> Path:
    return (Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path) / name


async def test_customer_sends_a_photo_replies_and_shares_an_inline_result(
    page: Page, bot: Bot, server: LocalBotApiServer, tmp_path: Path
) -> None:
    await page.navigate(f"{server.chat_url}?user={OLENA}")
    await page.click_button("Start", exact=True)
    greeting = await updates_until(bot, 0, "message")
    assert greeting.message is not None
    offset = greeting.update_id + 1
    card = await bot.send_message(OLENA, "Kettle · 39 EUR")

    await page.click("#attach-button")
    await page.click_button("Photo of a cracked mug")
    update = await updates_until(bot, offset, "message")
    assert update.message is not None
    assert update.message.photo
    offset = update.update_id + 1
    await page.wait_for("document.querySelector('.message.out img.photo') !== null")

    await page.click(f'.message[data-message-id="{card.message_id}"] .reply-action')
    await page.wait_for("!document.getElementById('reply-bar').hidden")
    assert "Kettle" in (await page.texts("#reply-to-text"))[0]
    await page.type("#text", "in blue?")
    await page.submit("#composer")
    update = await updates_until(bot, offset, "message")
    message = update.message
    assert message is not None
    assert message.text == "in blue?"
    assert message.reply_to_message is not None
    assert message.reply_to_message.message_id == card.message_id
    offset = update.update_id + 1
    await page.wait_for("document.getElementById('reply-bar').hidden")

    await page.type("#text", "@recoms_demo_bot kettle")
    update = await updates_until(bot, offset, "inline_query")
    query = update.inline_query
    assert query is not None
    assert query.query == "kettle"
    offset = update.update_id + 1
    await bot.answer_inline_query(
        query.id,
        [
            InlineQueryResultArticle(
                id=f"k{price}",
                title=f"Kettle {price} EUR",
                description="In stock",
                input_message_content=InputTextMessageContent(message_text=f"Kettle, {price} EUR"),
            )
            for price in (39, 45)
        ],
        cache_time=0,
    )
    await page.wait_for("document.querySelectorAll('.inline-result').length === 2")
    await page.click('.inline-result[data-result-id="k45"]')
    await page.wait_for("document.body.innerText.includes('via @recoms_demo_bot')")
    shared = (await updates_until(bot, offset, "message")).message
    assert shared is not None
    assert shared.text == "Kettle, 45 EUR"
    assert shared.via_bot is not None
    assert await page.evaluate("document.getElementById('inline-results').hidden")
    await page.screenshot(shot(tmp_path, "webchat-customer.png"))


async def test_agent_works_in_a_topic_with_its_pinned_card_and_closes_it(
    page: Page, bot: Bot, http: aiohttp.ClientSession, started: LocalBotApiServer, tmp_path: Path
) -> None:
    server = started
    olena = await bot.create_forum_topic(GROUP, "Olena Kovalenko · #17")
    await bot.create_forum_topic(GROUP, "Taras Melnyk · #18")
    card = await bot.send_message(
        GROUP, "Profile: Olena, uk", message_thread_id=olena.message_thread_id
    )
    await bot.pin_chat_message(GROUP, card.message_id)
    asked: Message = await bot.send_message(
        GROUP, "Olena: do you have it in blue?", message_thread_id=olena.message_thread_id
    )
    offset = await last_offset(bot)

    await page.navigate(f"{server.chat_url}?user={IRYNA}")
    await page.click(f'.group-entry[data-group-id="{GROUP}"]')
    await page.wait_for("document.querySelectorAll('.topic').length === 3")
    assert await page.texts(".topic-title") == [
        "General",
        "Olena Kovalenko · #17",
        "Taras Melnyk · #18",
    ]
    await page.click(f'.topic[data-thread-id="{olena.message_thread_id}"]')
    await page.wait_for("document.body.innerText.includes('do you have it in blue?')")
    assert await page.texts("#pinned-text") == ["Profile: Olena, uk"]
    assert not await page.evaluate("document.body.innerText.includes('Taras Melnyk · #18 ·')")

    await page.type("#text", "Yes, in blue too")
    await page.submit("#composer")
    update = await updates_until(bot, offset, "message")
    offset = update.update_id + 1
    answer = update.message
    assert answer is not None
    assert answer.text == "Yes, in blue too"
    assert answer.from_user is not None
    assert answer.from_user.id == IRYNA
    assert answer.message_thread_id == olena.message_thread_id
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.message_id == olena.message_thread_id
    assert asked.message_id < answer.message_id
    await page.screenshot(shot(tmp_path, "webchat-group.png"))

    await page.click_button("Close topic")
    await page.wait_for("!document.getElementById('topic-closed').hidden")
    closed = (await updates_until(bot, offset, "message")).message
    assert closed is not None
    assert closed.forum_topic_closed is not None
    assert closed.from_user is not None
    assert closed.from_user.id == IRYNA
    # Dmytro, a plain member, finds the composer replaced by the closed-topic bar.
    await page.evaluate(
        f"(() => {{ const s = document.getElementById('as-member'); s.value = '{DMYTRO}';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    await page.wait_for("!document.getElementById('closed-bar').hidden")
    assert await page.evaluate("document.getElementById('composer').hidden")
    assert "🔒 Olena Kovalenko · #17" in await page.texts(".topic-title")


async def test_command_menu_follows_the_app_language(
    page: Page, bot: Bot, started: LocalBotApiServer
) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Main menu")])
    await bot.set_my_commands(
        [BotCommand(command="start", description="Головне меню")], language_code="uk"
    )
    await page.navigate(f"{started.chat_url}?user={TARAS}")
    await page.wait_for("!document.getElementById('menu-button').hidden")
    await page.click("#menu-button")
    await page.wait_for("document.querySelectorAll('.command-desc').length === 1")
    assert await page.texts(".command-desc") == ["Main menu"]
    await page.evaluate(
        "(() => { const s = document.getElementById('language'); s.value = 'uk';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    await page.wait_for(
        "[...document.querySelectorAll('.command-desc')]"
        ".some((e) => e.textContent === 'Головне меню')"
    )
