"""The HTTP adapter against this project's own API served on loopback: it must give the bot
what the embedded engine gives, and say clearly what a plain Yespo API cannot do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.adapters.embedded import EmbeddedRecommender
from bot.adapters.http import HttpRecommender
from bot.config import BotSettings
from bot.factory import create_alert_worker, create_dispatcher
from bot.ports import (
    AlreadyLinked,
    Availability,
    ChatActivity,
    CustomerKey,
    ListKind,
    RecommenderUnavailable,
    RequestRejected,
    UnsupportedByBackend,
)
from bot.presenter import ListPage
from bot.records import BotStore
from recoms.api import create_app, recommendations
from recoms.api.keys import SERVICE, SETTINGS
from recoms.api.middleware import auth_middleware, errors_middleware
from recoms.config import RecomsSettings
from recoms.service import RecomsService
from tests.bot.chat import IRYNA, TARAS, Chat
from tests.bot.conftest import FEED
from tests.bot.telegram import RecordingSession

API_KEY = "remote-api-key"
OLENA = CustomerKey(external_id="olena-001")


@pytest.fixture
async def api(service: RecomsService, database_url: str) -> AsyncIterator[TestServer]:
    settings = RecomsSettings(database_url=database_url, api_key=API_KEY)
    server = TestServer(create_app(service, settings), host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def remote(api: TestServer) -> AsyncIterator[HttpRecommender]:
    client = HttpRecommender(str(api.make_url("")), API_KEY)
    yield client
    await client.close()


@pytest.fixture
def embedded(service: RecomsService) -> EmbeddedRecommender:
    return EmbeddedRecommender(service)


@pytest.mark.parametrize("kind", [ListKind.BUY_AGAIN, ListKind.NEW_FOR_YOU, ListKind.BESTSELLERS])
async def test_lists_over_http_equal_the_embedded_ones(
    kind: ListKind, remote: HttpRecommender, embedded: EmbeddedRecommender
) -> None:
    source = {ListKind.BUY_AGAIN: 7, ListKind.NEW_FOR_YOU: 8, ListKind.BESTSELLERS: 2}[kind]
    over_http = await remote.recommend(source, OLENA)
    in_process = await embedded.recommend(source, OLENA)
    assert over_http
    assert over_http == in_process
    assert any(card.image.startswith("https://shop.example/img/") for card in over_http)


async def test_product_based_lists_and_products(
    remote: HttpRecommender, embedded: EmbeddedRecommender
) -> None:
    also = await remote.recommend(3, OLENA, ["lamp-1", "pen-1"])
    assert also == await embedded.recommend(3, OLENA, ["lamp-1", "pen-1"])
    alternatives = await remote.recommend(5, OLENA, ["lamp-1"])
    assert {card.id for card in alternatives} <= {"lamp-2", "lamp-3"}
    assert alternatives

    mug = await remote.product("mug-1")
    assert mug == await embedded.product("mug-1")
    assert mug is not None
    assert mug.old_price is not None
    assert mug.price is not None
    assert mug.old_price > mug.price
    long_id = "an-extremely-long-product-identifier-from-a-legacy-erp-system-0001"
    assert (await remote.product(long_id)) == await embedded.product(long_id)
    assert await remote.product("no-such-product") is None
    assert {card.id for card in await remote.search("lamp")} == {"lamp-1", "lamp-2", "lamp-3"}
    typo = await remote.search("lamps", 2, offset=1, customer=OLENA)
    assert typo == await embedded.search("lamps", 2, offset=1, customer=OLENA)
    assert len(typo) == 2
    assert await remote.search("   ") == []


async def test_an_unlinked_telegram_user_gets_the_visitor_fallback(
    remote: HttpRecommender,
) -> None:
    cards = await remote.recommend(1, CustomerKey(telegram_user_id=555))
    assert cards, "an unknown visitor gets bestsellers, not an error"


async def test_profiles_linking_and_stats(
    remote: HttpRecommender, embedded: EmbeddedRecommender
) -> None:
    profile = await remote.profile(OLENA)
    assert profile is not None
    assert [order.number for order in profile.orders] == ["O-2", "O-1"]
    assert profile.seed_products() == ("lamp-1", "pen-1")
    assert profile == await embedded.profile(OLENA)
    assert await remote.profile(CustomerKey(external_id="nobody")) is None

    linked = await remote.link_customer(
        CustomerKey(phone="+380501110002"), 100002, own_contact_share=True, name="Taras"
    )
    assert linked.profile.telegram_user_id == 100002
    assert (linked.known, linked.profile.name) == (False, "Taras")
    again = await remote.profile(CustomerKey(telegram_user_id=100002))
    assert again is not None
    assert again.contact_id == linked.profile.contact_id
    with pytest.raises(AlreadyLinked):
        await remote.link_customer(CustomerKey(phone="+380501110002"), 100009)
    moved = await remote.link_customer(
        CustomerKey(phone="+380501110002"), 100009, own_contact_share=True
    )
    assert moved.previous_telegram_user_id == 100002
    forgotten = await remote.forget(100009)
    assert forgotten is not None
    assert (forgotten.contact_id, forgotten.deleted) == (linked.profile.contact_id, True)
    assert await remote.profile(CustomerKey(telegram_user_id=100009)) is None
    assert await remote.forget(100009) is None

    assert await remote.stats() == await embedded.stats()


async def test_customers_by_name_over_http_equal_the_embedded_ones(
    remote: HttpRecommender, embedded: EmbeddedRecommender, service: RecomsService
) -> None:
    await service.upsert_contact(external_id="olena-001", name="Олена Коваль")
    await service.upsert_contact(external_id="c-002", name="Олег Ковальчук")
    found = await remote.customers_named("КОВАЛЬ")
    assert [(c.name, c.external_id) for c in found] == [
        ("Олег Ковальчук", "c-002"),
        ("Олена Коваль", "olena-001"),
    ]
    assert found[1].phone == "+380501110001"
    assert found == await embedded.customers_named("КОВАЛЬ")
    assert await remote.customers_named("ковал", limit=1) == found[:1]
    assert await remote.customers_named("nobody") == []
    with pytest.raises(RequestRejected):
        await remote.customers_named("o")


@pytest.mark.parametrize("over", ["http", "embedded"])
async def test_chat_activity_reaches_the_contact_s_history(
    over: str, remote: HttpRecommender, embedded: EmbeddedRecommender
) -> None:
    adapter = remote if over == "http" else embedded
    olena = await embedded.profile(OLENA)
    assert olena is not None
    customer = CustomerKey(contact_id=olena.contact_id)
    await adapter.record_activity(customer, ChatActivity.VIEWED, "mug-1")
    await adapter.record_activity(customer, ChatActivity.SAVED, "mug-1")
    await adapter.record_activity(customer, ChatActivity.UNSAVED, "mug-1")
    viewed = await embedded.profile(customer)
    assert viewed is not None
    assert viewed.recently_viewed[:1] == ("mug-1",)
    # Nobody to attribute it to: passed over, not an error, and no contact made.
    await adapter.record_activity(CustomerKey(telegram_user_id=42), ChatActivity.VIEWED, "x")
    assert await embedded.profile(CustomerKey(telegram_user_id=42)) is None


async def test_errors_are_named_for_the_bot(api: TestServer, remote: HttpRecommender) -> None:
    with pytest.raises(RequestRejected):
        await remote.recommend(999, OLENA)
    with pytest.raises(RequestRejected):
        await remote.recommend(3, OLENA)  # also bought needs products
    wrong_key = HttpRecommender(str(api.make_url("")), "not-the-key")
    try:
        with pytest.raises(RecommenderUnavailable, match="credentials"):
            await wrong_key.recommend(2, OLENA)
    finally:
        await wrong_key.close()
    nothing_there = HttpRecommender("http://127.0.0.1:9", API_KEY, timeout=2)
    try:
        with pytest.raises(RecommenderUnavailable):
            await nothing_there.recommend(2, OLENA)
    finally:
        await nothing_there.close()


@pytest.fixture
async def recommendations_only(
    service: RecomsService, database_url: str
) -> AsyncIterator[TestServer]:
    """An API with the Yespo endpoint only, as a shop on Yespo itself has."""
    app = web.Application(middlewares=[errors_middleware, auth_middleware])
    app[SERVICE] = service
    app[SETTINGS] = RecomsSettings(database_url=database_url, api_key=API_KEY)
    app.add_routes(recommendations.routes)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


async def test_a_plain_yespo_api_serves_lists_and_says_what_it_cannot(
    recommendations_only: TestServer,
) -> None:
    client = HttpRecommender(str(recommendations_only.make_url("")), API_KEY)
    try:
        assert await client.recommend(2, OLENA)
        calls: list[Any] = [
            client.profile(OLENA),
            client.product("mug-1"),
            client.search("mug"),
            client.customers_named("olena"),
            client.stats(),
            client.link_customer(OLENA, 1),
            client.forget(1),
            client.record_activity(CustomerKey(contact_id=1), ChatActivity.VIEWED, "mug-1"),
        ]
        for call in calls:
            with pytest.raises(UnsupportedByBackend, match="plain Yespo API"):
                await call
    finally:
        await client.close()


async def test_the_bot_runs_on_the_remote_api(
    remote: HttpRecommender,
    settings: BotSettings,
    store: BotStore,
    i18n: I18n,
    bot: Bot,
    session: RecordingSession,
) -> None:
    dp = create_dispatcher(
        settings=settings, recommender=remote, store=store, i18n=i18n, phone_region="UA"
    )
    chat = Chat(dp, bot, session)
    # In this test Olena's number is Taras's own (the contact card carries his user id).
    await chat.share_contact(TARAS, "+380501110001")
    assert "Thank you, Taras!" in session.last(TARAS.id).visible
    await chat.send(TARAS, "🛒 Goes with your last order")
    assert "🛒 Goes with your last order" in session.last(TARAS.id).visible
    await chat.send(IRYNA, "/find olena-001")
    assert "Telegram: linked" in session.last(IRYNA.id).visible


# A kettle on sale as an engine of the previous version answered it, and as this one does.
PREVIOUS_KETTLE = {
    "id": "k-kettle",
    "name": "Kettle",
    "url": "https://shop.example/p/k-kettle",
    "price": 40.0,
    "oldPrice": 45.0,
    "currency": "EUR",
    "descr": "A kettle.",
    "brand": "Acme",
    "category": ["Home", "Kitchen"],
    "isInStock": 1,
    "tags_image_link": "https://shop.example/img/k-kettle.jpg",
}
KETTLE = {
    **{
        key: value for key, value in PREVIOUS_KETTLE.items() if key not in ("oldPrice", "currency")
    },
    "tags_old_price": "45.00",
    "tags_currency": "EUR",
}


@pytest.mark.parametrize("answer", [PREVIOUS_KETTLE, KETTLE], ids=["previous", "current"])
async def test_cards_read_the_engine_s_fields_of_this_and_the_previous_version(
    answer: dict[str, Any],
) -> None:
    async def recoms(request: web.Request) -> web.Response:
        return web.json_response([answer])

    app = web.Application()
    app.router.add_get("/api/v2/contacts/recoms/{dataSourceId}", recoms)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    client = HttpRecommender(str(server.make_url("")), API_KEY)
    try:
        (card,) = await client.recommend(2, OLENA)
    finally:
        await client.close()
        await server.close()
    assert (card.price, card.old_price, card.currency) == (Decimal(40), Decimal(45), "EUR")
    assert card.image == "https://shop.example/img/k-kettle.jpg"


async def test_both_adapters_carry_the_feeds_stock_states(
    tmp_path: Path,
    service: RecomsService,
    remote: HttpRecommender,
    embedded: EmbeddedRecommender,
) -> None:
    items = "".join(
        f"<item><g:id>stock-{n}</g:id><g:title>Stock {n}</g:title>"
        f"<g:availability>{state}</g:availability><g:price>10.00 EUR</g:price></item>"
        for n, state in enumerate(Availability)
    )
    feed = tmp_path / "stock.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">'
        f"<channel><title>t</title>{items}</channel></rss>"
    )
    await service.import_feed(feed, full=False)
    for n, state in enumerate(Availability):
        card = await remote.product(f"stock-{n}")
        assert card is not None
        assert card == await embedded.product(f"stock-{n}")
        assert (card.availability, card.in_stock) == (state, state.buyable_now)


async def test_many_products_at_once_over_http_equal_the_embedded_ones(
    remote: HttpRecommender, embedded: EmbeddedRecommender
) -> None:
    wanted = ["pen-1", "no-such-product", "lamp-1", "pen-1", *(f"x-{n}" for n in range(150))]
    over_http = await remote.products(wanted)
    assert [card.id for card in over_http] == ["pen-1", "lamp-1"]
    assert over_http == await embedded.products(wanted)


async def test_alerts_fire_on_a_remote_engine_too(
    remote: HttpRecommender,
    service: RecomsService,
    settings: BotSettings,
    store: BotStore,
    i18n: I18n,
    bot: Bot,
    session: RecordingSession,
    tmp_path: Path,
) -> None:
    dp = create_dispatcher(
        settings=settings, recommender=remote, store=store, i18n=i18n, phone_region="UA"
    )
    chat = Chat(dp, bot, session)
    lamp = await remote.product("lamp-1")
    assert lamp is not None
    assert not lamp.in_stock
    with i18n.context(), i18n.use_locale("en"):
        await dp["presenter"].send(bot, TARAS.id, ListPage(kind=None, cards=[lamp], page=0))
    await chat.press(TARAS, session.last(TARAS.id), "Tell me when it's back")
    worker = create_alert_worker(dp, bot, settings)
    assert (await worker.run_once()).sent == 0
    feed = FEED.read_text()
    at = feed.index("<g:id>lamp-1</g:id>")
    back = tmp_path / "back.xml"
    back.write_text(feed[:at] + feed[at:].replace("out of stock", "in stock", 1))
    await service.import_feed(back)
    assert (await worker.run_once()).sent == 1
    assert session.last(TARAS.id).visible.startswith("🔔 Back in stock")
