"""The one web app: the engine's API, /healthz, the deep-link endpoint and Telegram's webhook,
served by aiohttp on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiohttp import encode_basic_auth
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.config import BotSettings
from bot.factory import create_web_app
from bot.links import DeepLinks, Opened
from bot.web import DEEPLINK_PATH
from recoms.api import Access, create_app
from recoms.config import RecomsSettings
from recoms.service import RecomsService
from tests.bot.chat import TARAS
from tests.bot.telegram import BOT_USERNAME, RecordingSession

SECRET = "webhook-secret-token"
API_KEY = "shop-api-key"
WEBHOOK = "/telegram/webhook"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": encode_basic_auth("shop", key)}


def start_update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": TARAS.id, "type": "private"},
            "from": TARAS.user(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@pytest.fixture
async def client(
    settings: BotSettings,
    dispatcher: Dispatcher,
    bot: Bot,
    service: RecomsService,
    database_url: str,
) -> AsyncIterator[TestClient[Any, Any]]:
    webhook_settings = settings.model_copy(
        update={"webhook_url": "https://bot.example", "webhook_secret": SecretStr(SECRET)}
    )
    api = create_app(
        service,
        RecomsSettings(database_url=database_url, api_key=API_KEY),
        access={
            ("POST", webhook_settings.webhook_path): Access.OPEN,
            ("POST", DEEPLINK_PATH): Access.ADMIN,
        },
    )
    app = create_web_app(dispatcher, bot, settings=webhook_settings, api_app=api, api_key=API_KEY)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def handled(session: RecordingSession, count: int) -> bool:
    """Updates are handled in the background after the 200: wait for their answers."""
    for _ in range(100):
        if len(session.calls(SendMessage)) >= count:
            return True
        await asyncio.sleep(0.02)
    return False


@pytest.mark.engine
async def test_the_webhook_wants_telegrams_secret_token(
    client: TestClient[Any, Any], session: RecordingSession
) -> None:
    response = await client.post(WEBHOOK, json=start_update(1))
    assert response.status == 401
    response = await client.post(
        WEBHOOK, json=start_update(2), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
    )
    assert response.status == 401
    await asyncio.sleep(0.1)
    assert session.calls(SendMessage) == []

    response = await client.post(
        WEBHOOK, json=start_update(3), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert response.status == 200
    assert await handled(session, 1)
    assert "Hello, Taras!" in session.last(TARAS.id).visible


@pytest.mark.engine
async def test_the_engines_api_and_health_share_the_app(client: TestClient[Any, Any]) -> None:
    assert (await client.get("/healthz")).status == 200
    url = "/api/v2/contacts/recoms/2?externalCustomerId=olena-001"
    assert (await client.get(url)).status == 401
    response = await client.get(url, headers=auth(API_KEY))
    assert response.status == 200
    products = await response.json()
    assert products
    assert products[0]["id"] == "mug-1"


@pytest.mark.engine
async def test_the_shops_backend_mints_deep_links(
    client: TestClient[Any, Any], dispatcher: Dispatcher
) -> None:
    body = {"externalCustomerId": "olena-001"}
    assert (await client.post(DEEPLINK_PATH, json=body)).status == 401
    wrong = await client.post(DEEPLINK_PATH, json=body, headers=auth("wrong"))
    assert wrong.status == 401

    response = await client.post(DEEPLINK_PATH, json=body, headers=auth(API_KEY))
    assert response.status == 200
    minted = await response.json()
    assert minted["link"].startswith(f"https://t.me/{BOT_USERNAME}?start=")
    assert minted["link"].endswith(minted["payload"])
    assert minted["expiresInSeconds"] == 72 * 3600
    assert datetime.fromisoformat(minted["expiresAt"]) > datetime.now(UTC)
    links: DeepLinks = dispatcher["links"]
    assert (await links.open(minted["payload"], TARAS.id)).external_id == "olena-001"
    assert (await links.open(minted["payload"], TARAS.id)).outcome is Opened.USED

    for bad in ({}, {"externalCustomerId": ""}, {"externalCustomerId": "x" * 201}, [1]):
        response = await client.post(DEEPLINK_PATH, json=bad, headers=auth(API_KEY))
        assert response.status == 400, bad
        assert (await response.json())["message"]


async def test_without_the_embedded_engine_the_app_still_serves_health_and_links(
    settings: BotSettings, dispatcher: Dispatcher, bot: Bot
) -> None:
    app = create_web_app(dispatcher, bot, settings=settings, api_app=None, api_key=API_KEY)
    async with TestClient(TestServer(app)) as test_client:
        assert (await test_client.get("/healthz")).status == 200
        body = {"externalCustomerId": "olena-001"}
        assert (await test_client.post(DEEPLINK_PATH, json=body)).status == 401
        response = await test_client.post(DEEPLINK_PATH, json=body, headers=auth(API_KEY))
        assert response.status == 200
        # Polling mode: no webhook route at all.
        assert (await test_client.post(WEBHOOK, json=start_update(1))).status in (404, 405)
