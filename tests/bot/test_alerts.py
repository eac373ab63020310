"""Back-in-stock and price-drop alerts: subscribing from a card, a feed import that sets them
off, the worker's one card per subscriber within Telegram's limits, blocked users, 429s,
restarts mid-delivery, ``/alerts`` and the counts in staff ``/stats``."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage, SendPhoto, TelegramMethod
from aiohttp.test_utils import TestClient, TestServer

from bot.alerts import AlertKind
from bot.config import BotSettings
from bot.delivery import LEASE, AlertWorker, RateLimiter
from bot.factory import create_alert_worker, create_web_app
from bot.ports import Availability
from bot.presenter import CardPresenter, ListPage
from bot.records import BotStore
from recoms.service import RecomsService
from tests.bot.chat import IRYNA, OKSANA, OLENA, TARAS, Chat, Person
from tests.bot.conftest import FEED
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import PlannedFailure, RecordingSession, Sent


class FakeClock:
    """Time that moves only when the worker sleeps: limits are checked, never waited for."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC)
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def worker(
    dispatcher: Dispatcher, bot: Bot, settings: BotSettings, clock: FakeClock
) -> AlertWorker:
    return create_alert_worker(dispatcher, bot, settings, clock=clock)


def cards_in(session: RecordingSession, person: Person) -> list[Sent]:
    """Alert cards in the person's chat."""
    return [sent for sent in session.chat(person.id) if sent.visible.startswith("🔔")]


async def show_card(chat: Chat, person: Person, product_id: str) -> Sent:
    """The product's card in the person's chat, as the bot shows one anywhere (a lone card)."""
    dp = chat.dp
    card = await dp["recommender"].product(product_id)
    assert card is not None
    presenter: CardPresenter = dp["presenter"]
    i18n = dp["i18n"]
    with i18n.context(), i18n.use_locale("uk" if person.language_code == "uk" else "en"):
        await presenter.send(chat.bot, person.id, ListPage(kind=None, cards=[card], page=0))
    return chat.session.last(person.id)


def toast(requests: list[Any]) -> str:
    answers = [r for r in requests if type(r).__name__ == "AnswerCallbackQuery"]
    assert len(answers) == 1
    return answers[0].text or ""


def labels(sent: Sent) -> list[str]:
    return [text for text, _, _ in sent.buttons()]


async def subscribe_back(chat: Chat, person: Person, product_id: str) -> None:
    card = await show_card(chat, person, product_id)
    await chat.press(person, card, "🔔")


async def subscribe_price(chat: Chat, person: Person, product_id: str) -> None:
    card = await show_card(chat, person, product_id)
    price_button = [text for text in labels(card) if text.startswith("🔔")][-1]
    await chat.press(person, card, price_button)


# --- subscribing ------------------------------------------------------------------------


async def test_an_out_of_stock_card_offers_both_alerts_and_an_in_stock_one_the_price_drop(
    chat: Chat, session: RecordingSession
) -> None:
    card = await show_card(chat, TARAS, "lamp-1")
    assert "🔔 Tell me when it's back" in labels(card)
    assert "🔔 Price drop" in labels(card)
    await chat.send(TARAS, "🔥 Popular now")
    bestseller = session.last(TARAS.id)
    assert "🔔 Price drop" in labels(bestseller)
    assert "🔔 Tell me when it's back" not in labels(bestseller)


async def test_tapping_subscribes_at_todays_price_and_tapping_again_removes(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    card = await show_card(chat, OLENA, "lamp-1")
    requests = await chat.press(OLENA, card, "🔔")
    assert "наявн" in toast(requests)
    [alert] = await store.alerts.alerts_of(OLENA.id)
    assert (alert.product_id, alert.kind, alert.locale) == (
        "lamp-1",
        AlertKind.BACK_IN_STOCK,
        "uk",
    )
    card = session.messages[(OLENA.id, card.message_id)]
    assert any(text.startswith("🔕") for text in labels(card)), "the button says how to stop"

    await chat.press(OLENA, card, "🔕")
    assert await store.alerts.alerts_of(OLENA.id) == []
    card = session.messages[(OLENA.id, card.message_id)]
    assert not any(text.startswith("🔕") for text in labels(card))

    await chat.send(TARAS, "🔥 Popular now")
    bestseller = session.last(TARAS.id)
    [subscribe] = [data for text, data, _ in bestseller.buttons() if "Price drop" in text]
    assert subscribe is not None
    requests = await chat.press_data(TARAS, bestseller, subscribe)
    [alert] = await store.alerts.alerts_of(TARAS.id)
    assert alert.kind is AlertKind.PRICE_DROP
    assert alert.price is not None
    assert f"€{alert.price}" in toast(requests)
    # A double tap (the same snapshot pressed again) keeps the one alert.
    await chat.press_data(TARAS, bestseller, subscribe)
    assert len(await store.alerts.alerts_of(TARAS.id)) == 1


async def test_a_back_in_stock_tap_on_an_item_back_already_says_so(
    chat: Chat, engine: FakeEngine, store: BotStore
) -> None:
    card = await show_card(chat, TARAS, "lamp-1")
    engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=Availability.IN_STOCK)
    requests = await chat.press(TARAS, card, "Tell me when")
    assert "in stock now" in toast(requests)
    assert await store.alerts.alerts_of(TARAS.id) == []


# --- firing and delivery ----------------------------------------------------------------


def reimport_feed(tmp_path: Path) -> Path:
    """The test feed with the lamp back in stock and the mug cheaper (20 instead of 28)."""
    text = FEED.read_text()
    lamp = text.index("<g:id>lamp-1</g:id>")
    text = text[:lamp] + text[lamp:].replace("out of stock", "in stock", 1)
    text = text.replace(
        "<g:sale_price>28.00 EUR</g:sale_price>", "<g:sale_price>20.00 EUR</g:sale_price>"
    )
    path = tmp_path / "feed-2.xml"
    path.write_text(text)
    return path


@pytest.mark.engine
async def test_a_feed_import_sends_each_subscriber_one_card_in_their_language(
    chat: Chat,
    session: RecordingSession,
    service: RecomsService,
    worker: AlertWorker,
    store: BotStore,
    tmp_path: Path,
) -> None:
    await subscribe_back(chat, OLENA, "lamp-1")
    await subscribe_price(chat, TARAS, "mug-1")
    await subscribe_price(chat, OKSANA, "dice-1")  # stays at 32: no card
    nothing = await worker.run_once()
    assert (nothing.fired, nothing.sent) == (0, 0)

    await service.import_feed(reimport_feed(tmp_path))
    report = await worker.run_once()
    assert (report.fired, report.sent, report.blocked, report.failed) == (2, 2, 0, 0)

    [olena] = cards_in(session, OLENA)
    assert "Знову в наявності" in olena.visible
    assert "Lamp of Lost Hope" in olena.visible
    [taras] = cards_in(session, TARAS)
    assert "Price drop: it was €28.00" in taras.visible
    assert "€20.00" in taras.visible
    assert cards_in(session, OKSANA) == []

    again = await worker.run_once()
    assert (again.fired, again.sent) == (0, 0)
    assert len(cards_in(session, OLENA)) == len(cards_in(session, TARAS)) == 1
    assert [a.product_id for a in await store.alerts.alerts_of(OKSANA.id)] == ["dice-1"]


async def test_a_price_that_is_not_lower_fires_nothing(
    chat: Chat, session: RecordingSession, engine: FakeEngine, worker: AlertWorker
) -> None:
    await subscribe_price(chat, TARAS, "dice-1")
    engine.cards["dice-1"] = replace(engine.cards["dice-1"], price=Decimal("35.00"))
    assert (await worker.run_once()).fired == 0
    engine.cards["dice-1"] = replace(engine.cards["dice-1"], price=Decimal("32.00"))
    assert (await worker.run_once()).fired == 0
    engine.cards["dice-1"] = replace(engine.cards["dice-1"], price=Decimal("31.99"))
    assert (await worker.run_once()).sent == 1
    assert len(cards_in(session, TARAS)) == 1


async def test_a_blocked_user_is_recorded_and_skipped(
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
    worker: AlertWorker,
    store: BotStore,
) -> None:
    await subscribe_back(chat, TARAS, "lamp-1")
    await subscribe_back(chat, OLENA, "lamp-1")
    session.blocked_chats.add(TARAS.id)  # blocked since, without the bot hearing of it
    engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=Availability.IN_STOCK)
    report = await worker.run_once()
    assert (report.sent, report.blocked) == (1, 1)
    assert await store.is_blocked(TARAS.id)
    assert len(cards_in(session, OLENA)) == 1
    sends = len(session.calls(SendPhoto, SendMessage))
    assert (await worker.run_once()).sent == 0
    assert len(session.calls(SendPhoto, SendMessage)) == sends, "nobody is tried again"


async def test_a_429_is_waited_out_for_as_long_as_telegram_asks(
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
    worker: AlertWorker,
    clock: FakeClock,
) -> None:
    await subscribe_back(chat, TARAS, "lamp-1")
    await subscribe_back(chat, OLENA, "lamp-1")
    engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=Availability.IN_STOCK)
    session.fail(SendPhoto, "Too Many Requests: retry after 7", 429, retry_after=7)
    report = await worker.run_once()
    assert (report.sent, report.waited_out) == (2, 1)
    assert sum(clock.sleeps) >= 7
    assert len(cards_in(session, TARAS)) == len(cards_in(session, OLENA)) == 1


async def test_a_restart_mid_delivery_sends_the_rest_and_nothing_twice(
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
    worker: AlertWorker,
    dispatcher: Dispatcher,
    bot: Bot,
    settings: BotSettings,
    clock: FakeClock,
) -> None:
    people = [TARAS, OLENA, OKSANA]
    for person in people:
        await subscribe_back(chat, person, "lamp-1")
    engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=Availability.IN_STOCK)
    sends = 0

    def stop_after_the_second(method: TelegramMethod[Any]) -> bool:
        nonlocal sends
        if isinstance(method, SendPhoto):
            sends += 1
            if sends == 2:
                worker.request_stop()  # SIGTERM while the second card is on its way
        return False

    session.failures.append(PlannedFailure(stop_after_the_second, 0, "", times=99))
    first = await worker.run_once()
    assert first.sent == 2, "the card in hand is sent and recorded"

    restarted = create_alert_worker(dispatcher, bot, settings, clock=clock)
    second = await restarted.run_once()
    assert second.sent == 1
    assert [len(cards_in(session, person)) for person in people] == [1, 1, 1]


async def test_a_worker_killed_outright_leaves_its_cards_to_the_next_after_its_lease(
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
    worker: AlertWorker,
    store: BotStore,
    clock: FakeClock,
) -> None:
    for person in (TARAS, OLENA):
        await subscribe_back(chat, person, "lamp-1")
    engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=Availability.IN_STOCK)
    assert await store.alerts.fire(await store.alerts.alerts_on(["lamp-1"]), clock.now()) == 2
    # A worker took them and died before sending any.
    held = await store.alerts.claim_deliveries("dead", now=clock.now(), lease=LEASE, limit=10)
    assert len(held) == 2
    assert (await worker.run_once()).sent == 0, "a live claim is left alone"
    clock.t += LEASE.total_seconds() + 1
    assert (await worker.run_once()).sent == 2
    assert len(cards_in(session, TARAS)) == len(cards_in(session, OLENA)) == 1


async def test_one_chats_cards_go_a_second_apart(
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
    worker: AlertWorker,
    clock: FakeClock,
) -> None:
    for product in ("dice-1", "chair-1", "pen-1"):
        await subscribe_price(chat, TARAS, product)
        engine.cards[product] = replace(engine.cards[product], price=Decimal("1.00"))
    started = clock.t
    assert (await worker.run_once()).sent == 3
    assert clock.t - started >= 2.0
    assert len(cards_in(session, TARAS)) == 3


def test_the_rate_limiter_spaces_sends_overall_and_per_chat() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, per_second=30)

    async def sends(chats: list[int]) -> None:
        for chat_id in chats:
            await limiter.acquire(chat_id)

    asyncio.run(sends(list(range(61))))
    assert clock.t == pytest.approx(60 / 30), "30 a second in all"
    clock.t = 100.0
    asyncio.run(sends([7, 7, 7]))
    assert clock.t == pytest.approx(102.0), "one a second to one chat"
    limiter.pause(5)
    asyncio.run(sends([8]))
    assert clock.t == pytest.approx(107.0), "a 429 holds every chat back"


# --- /alerts, /stats, /forget, lifecycle --------------------------------------------------


async def test_alerts_lists_the_customers_alerts_and_removes_them(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(TARAS, "/help")
    assert "/alerts: your back-in-stock and price-drop alerts" in session.last(TARAS.id).visible
    await chat.send(TARAS, "/alerts")
    assert "You have no alerts" in session.last(TARAS.id).visible
    await subscribe_back(chat, TARAS, "lamp-1")
    await subscribe_price(chat, TARAS, "mug-1")
    await chat.send(TARAS, "/alerts")
    listing = session.last(TARAS.id)
    assert "1. Lamp of Lost Hope: when it is back in stock" in listing.visible
    assert "2. Meeting That Could Have Been an Email Mug: when it costs less than €28.00" in (
        listing.visible
    )
    requests = await chat.press(TARAS, listing, "✖ 1.")
    assert "off" in toast(requests)
    listing = session.messages[(TARAS.id, listing.message_id)]
    assert "Lamp" not in listing.visible
    assert [a.product_id for a in await store.alerts.alerts_of(TARAS.id)] == ["mug-1"]
    await chat.press(TARAS, listing, "✖ 1.")
    assert "You have no alerts" in session.messages[(TARAS.id, listing.message_id)].visible


async def test_stats_show_what_alerts_did(
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
    worker: AlertWorker,
) -> None:
    await subscribe_back(chat, TARAS, "lamp-1")
    await subscribe_back(chat, OLENA, "lamp-1")
    await subscribe_price(chat, OLENA, "dice-1")
    session.blocked_chats.add(OLENA.id)
    engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=Availability.IN_STOCK)
    await worker.run_once()
    await chat.send(IRYNA, "/stats")
    text = session.last(IRYNA.id).visible
    assert "Alerts waiting: 1" in text
    assert "1 sent, 0 pending, 1 blocked, 0 failed" in text


async def test_forget_drops_the_users_alerts(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(TARAS, "/start")
    await chat.share_contact(TARAS, "+380501110002")
    await subscribe_back(chat, TARAS, "lamp-1")
    await chat.send(TARAS, "/forget")
    await chat.press(TARAS, session.last(TARAS.id), "Yes, forget me")
    assert await store.alerts.alerts_of(TARAS.id) == []


async def test_the_worker_runs_while_the_web_app_does(
    dispatcher: Dispatcher, bot: Bot, settings: BotSettings, worker: AlertWorker
) -> None:
    app = create_web_app(dispatcher, bot, settings=settings, alerts=worker)
    async with TestClient(TestServer(app)):
        await asyncio.sleep(0)
        assert worker._task is not None
        assert not worker._task.done()
        task = worker._task
    assert task.done()
    assert worker._task is None


async def test_one_process_sends_at_a_time_and_another_takes_over_when_it_stops(
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
    worker: AlertWorker,
    dispatcher: Dispatcher,
    bot: Bot,
    settings: BotSettings,
    clock: FakeClock,
) -> None:
    await subscribe_back(chat, TARAS, "lamp-1")
    other = create_alert_worker(dispatcher, bot, settings, clock=clock)
    assert not (await worker.run_once()).standby, "the first to ask leads"
    engine.cards["lamp-1"] = replace(engine.cards["lamp-1"], availability=Availability.IN_STOCK)
    standing_by = await other.run_once()
    assert standing_by.standby
    assert standing_by.fired == standing_by.sent == 0
    await worker.stop()  # gives the lease back
    assert (await other.run_once()).sent == 1
    lamp = engine.cards["lamp-2"]
    engine.cards["lamp-2"] = replace(lamp, availability=Availability.OUT_OF_STOCK)
    await subscribe_back(chat, OLENA, "lamp-2")
    engine.cards["lamp-2"] = lamp
    # ``other`` dies holding the lease: a new process waits for it to run out, then leads.
    restarted = create_alert_worker(dispatcher, bot, settings, clock=clock)
    assert (await restarted.run_once()).standby
    clock.t += LEASE.total_seconds() + 1
    assert (await restarted.run_once()).sent == 1
    assert len(cards_in(session, TARAS)) == len(cards_in(session, OLENA)) == 1
