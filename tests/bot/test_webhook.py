"""The one web app: the engine's API, /healthz, the deep-link endpoint and Telegram's webhook,
served by aiohttp on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiohttp import encode_basic_auth, web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.config import BotSettings
from bot.factory import create_web_app
from bot.inflight import InFlight
from bot.links import DeepLinks, Opened
from bot.web import DEEPLINK_PATH
from recoms.api import Access, create_app
from recoms.config import RecomsSettings
from recoms.service import RecomsService
from tests.bot.chat import TARAS, start_update
from tests.bot.telegram import BOT_USERNAME, RecordingSession

SECRET = "webhook-secret-token"
API_KEY = "shop-api-key"
WEBHOOK = "/telegram/webhook"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": encode_basic_auth("shop", key)}


def webhook_app(
    settings: BotSettings,
    dispatcher: Dispatcher,
    bot: Bot,
    service: RecomsService,
    database_url: str,
    **overrides: Any,
) -> web.Application:
    webhook_settings = settings.model_copy(
        update={
            "webhook_url": "https://bot.example",
            "webhook_secret": SecretStr(SECRET),
            **overrides,
        }
    )
    api = create_app(
        service,
        RecomsSettings(database_url=database_url, api_key=API_KEY),
        access={
            ("POST", webhook_settings.webhook_path): Access.OPEN,
            ("POST", DEEPLINK_PATH): Access.ADMIN,
        },
    )
    return create_web_app(dispatcher, bot, settings=webhook_settings, api_app=api, api_key=API_KEY)


@pytest.fixture
async def client(
    settings: BotSettings,
    dispatcher: Dispatcher,
    bot: Bot,
    service: RecomsService,
    database_url: str,
) -> AsyncIterator[TestClient[Any, Any]]:
    app = webhook_app(settings, dispatcher, bot, service, database_url)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


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

    response = await client.post(WEBHOOK, json=start_update(3), headers=TELEGRAM)
    assert response.status == 200
    assert "Hello, Taras!" in session.last(TARAS.id).visible


@pytest.mark.engine
async def test_the_webhook_answers_200_once_the_reply_is_sent(
    client: TestClient[Any, Any], session: RecordingSession
) -> None:
    """Telegram resends what it got no 200 for; a 200 before the reply would lose the
    update to a replica that dies in between."""
    session.latency = 0.3
    response = await client.post(WEBHOOK, json=start_update(4), headers=TELEGRAM)
    assert response.status == 200
    assert "Hello, Taras!" in session.last(TARAS.id).visible


@pytest.mark.engine
async def test_an_update_over_the_timeout_gets_503_and_is_answered_once_when_resent(
    settings: BotSettings,
    dispatcher: Dispatcher,
    bot: Bot,
    service: RecomsService,
    database_url: str,
    session: RecordingSession,
) -> None:
    """Past the timeout Telegram gets a 503 (it would give up on a minute's wait) and the
    update goes on: the resend waits for it, and is not handled a second time."""
    app = webhook_app(
        settings, dispatcher, bot, service, database_url, update_timeout=timedelta(seconds=0.2)
    )
    async with TestClient(TestServer(app)) as client:
        session.latency = 1.0
        response = await client.post(WEBHOOK, json=start_update(5), headers=TELEGRAM)
        assert response.status == 503
        assert response.headers["Retry-After"]
        response = await client.post(WEBHOOK, json=start_update(5), headers=TELEGRAM)
        assert response.status == 503  # still in hand

        for _ in range(50):
            await asyncio.sleep(0.1)
            response = await client.post(WEBHOOK, json=start_update(5), headers=TELEGRAM)
            if response.status == 200:
                break
        assert response.status == 200
    assert len(session.calls(SendMessage)) == 1
    assert "Hello, Taras!" in session.last(TARAS.id).visible


@pytest.mark.engine
async def test_an_update_resent_while_in_hand_gets_503(
    client: TestClient[Any, Any], session: RecordingSession
) -> None:
    session.latency = 0.3
    first = asyncio.create_task(client.post(WEBHOOK, json=start_update(6), headers=TELEGRAM))
    await asyncio.sleep(0.1)
    again = await client.post(WEBHOOK, json=start_update(6), headers=TELEGRAM)
    assert again.status == 503
    assert (await first).status == 200
    assert len(session.calls(SendMessage)) == 1


@pytest.mark.engine
async def test_a_stopping_replica_is_not_ready_and_refuses_new_updates(
    client: TestClient[Any, Any], dispatcher: Dispatcher, session: RecordingSession
) -> None:
    response = await client.get("/readyz")
    assert (response.status, await response.json()) == (200, {"status": "ready"})

    in_flight: InFlight = dispatcher["in_flight"]
    in_flight.drain()

    response = await client.get("/readyz")
    assert (response.status, await response.json()) == (503, {"status": "not ready"})
    response = await client.post(WEBHOOK, json=start_update(7), headers=TELEGRAM)
    assert response.status == 503
    assert (await client.get("/healthz")).status == 200  # alive all the same
    assert session.calls(SendMessage) == []


@pytest.mark.engine
async def test_a_body_that_is_no_update_gets_400(
    client: TestClient[Any, Any], session: RecordingSession
) -> None:
    for body in (b"not json", b"[1]", b'{"update_id": "x"}'):
        response = await client.post(WEBHOOK, data=body, headers=TELEGRAM)
        assert response.status == 400, body
        assert (await response.json())["message"]
    assert session.calls(SendMessage) == []


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
        assert (await test_client.get("/readyz")).status == 200
        body = {"externalCustomerId": "olena-001"}
        assert (await test_client.post(DEEPLINK_PATH, json=body)).status == 401
        response = await test_client.post(DEEPLINK_PATH, json=body, headers=auth(API_KEY))
        assert response.status == 200
        # Polling mode: no webhook route at all.
        assert (await test_client.post(WEBHOOK, json=start_update(1))).status in (404, 405)
