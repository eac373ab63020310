"""The bot's /metrics: updates handled by kind and Telegram's refusals, beside the embedded
engine's figures, on the one web app."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import Update
from aiohttp.test_utils import TestClient, TestServer

from bot.config import BotSettings
from bot.factory import create_bot, create_web_app
from recoms.service import RecomsService
from tests.bot.chat import TARAS, start_update
from tests.bot.telegram import BLOCKED, TOKEN, RecordingSession
from tests.bot.test_webhook import API_KEY, TELEGRAM, WEBHOOK, auth, webhook_app
from tests.recoms.api.test_metrics import Samples, samples_of, value


@pytest.fixture
def counted_bot(dispatcher: Dispatcher, session: RecordingSession) -> Bot:
    """A Bot whose failed calls count into the dispatcher's metrics, as ``recoms-bot run``
    builds it."""
    return create_bot(TOKEN, session=session, metrics=dispatcher["bot_metrics"])


async def scrape(client: TestClient[Any, Any]) -> Samples:
    response = await client.get("/metrics", headers=auth(API_KEY))
    assert response.status == 200, await response.text()
    return samples_of(await response.text())


@pytest.mark.engine
async def test_webhook_updates_and_telegrams_refusals_show_beside_the_engines_figures(
    settings: BotSettings,
    dispatcher: Dispatcher,
    counted_bot: Bot,
    service: RecomsService,
    database_url: str,
    session: RecordingSession,
) -> None:
    app = webhook_app(settings, dispatcher, counted_bot, service, database_url)
    async with TestClient(TestServer(app)) as client:
        response = await client.post(WEBHOOK, json=start_update(1), headers=TELEGRAM)
        assert response.status == 200
        assert "Hello, Taras!" in session.last(TARAS.id).visible
        session.fail(SendMessage, BLOCKED, 403)
        await client.post(WEBHOOK, json=start_update(2), headers=TELEGRAM)
        assert (await client.get("/metrics")).status == 401

        samples = await scrape(client)
    assert value(samples, "bot_updates_total", kind="message", result="handled") == 2
    assert value(samples, "bot_update_duration_seconds_count", kind="message") == 2
    refused = {"method": "sendMessage", "error": "TelegramForbiddenError"}
    assert value(samples, "bot_telegram_errors_total", **refused) == 1
    webhook = {"method": "POST", "route": WEBHOOK, "status": "200"}
    assert value(samples, "recoms_http_requests_total", **webhook) == 2
    assert value(samples, "recoms_model_age_seconds") is not None


async def test_a_bot_with_a_remote_engine_serves_its_own_figures(
    settings: BotSettings, dispatcher: Dispatcher, counted_bot: Bot, session: RecordingSession
) -> None:
    """Polling: updates come through the dispatcher; the web app still has /metrics."""
    update = Update.model_validate(start_update(7), context={"bot": counted_bot})
    await dispatcher.feed_update(counted_bot, update)
    assert "Hello, Taras!" in session.last(TARAS.id).visible
    app = create_web_app(dispatcher, counted_bot, settings=settings, api_app=None, api_key=API_KEY)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/metrics")).status == 401
        samples = await scrape(client)
    assert value(samples, "bot_updates_total", kind="message", result="handled") == 1
    assert not any(name.startswith("recoms_") for name, _ in samples)
