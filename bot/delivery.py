"""The alert worker: finds the alerts that fired and sends each subscriber one card, within
Telegram's limits, surviving restarts.

Why a worker that polls through the port, rather than a change feed from the engine: the bot
runs on the embedded engine or on a remote Yespo-compatible API (``bot.adapters``), and a
remote API tells nobody about a feed import; what both answer is "these products, as they
stand now" (``Recommender.products``, up to a hundred per call). So every
``BOT_ALERTS_INTERVAL`` (60 s by default) the worker reads the products that have alerts, in
batches, and fires those that are back in stock or cheaper than at subscription, whatever
changed them: a feed import, a partial feed, the API, the shop's admin. The cost is one batch
call per hundred watched products a minute, and up to one interval of delay.

One process at a time runs the passes, whatever the number of replicas or ``--workers``: it
holds a lease in the bot's database (``bot_worker_leases``), renewed before each batch, so the
limits below hold for the whole bot rather than per process. The others stand by and take
over when it stops (it gives the lease back) or within ``LEASE`` when it dies.

Delivery state lives in the bot's database, so a restart loses nothing and repeats nothing:

- Firing deletes the subscription and adds its delivery in one transaction; the replica
  whose delete took the row is the only one that adds it, so an alert fires once.
- A worker claims a batch of pending deliveries for a lease (a conditional UPDATE: two
  workers never hold one row, should two ever run), sends, and records each outcome right
  after its send. A stop lets the send in hand finish and be recorded, then gives the rest of
  the batch back.
- A worker killed outright leaves its claims to run out; the next worker takes them over.
  Only the one card that was on the wire at the kill can then go twice (Telegram has no
  idempotent send): a missed back-in-stock costs a sale, a doubled one a glance.

Limits: at most ``BOT_ALERTS_PER_SECOND`` alert messages a second (Telegram allows about 30 in
all, and customers' answers need room) and one a second per chat; a 429 pauses
every send for its ``retry_after`` and the card is tried again. A user who blocked the bot is
recorded as blocked and skipped. Counts go to the log after each pass and to staff ``/stats``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiohttp import web

from bot.alerts import AlertDelivery, AlertKind, DeliveryState, fires
from bot.cards import format_price
from bot.ports import ProductCard, Recommender, RecommenderError, UnsupportedByBackend
from bot.presenter import CardPresenter, ListPage
from bot.records import BotStore
from bot.resilience import CALLER_WAITS_OUT_429

log = logging.getLogger(__name__)

SCAN_BATCH = 100
"""Watched products read per call to the engine (its ``ids`` limit)."""
DELIVERY_BATCH = 30
LEASE = timedelta(minutes=2)
"""How long a claimed batch is held; sending it takes a few seconds at the limits."""
RETRY_AFTER_TRIES = 5
"""429s in a row for one card before it is given back for a later pass."""
MAX_ATTEMPTS = 5
"""Passes that took a card and failed to send it (network, Telegram down) before it counts
as failed."""
RETRY_DELAY = timedelta(seconds=30)
LEASE_NAME = "alerts"


class Clock(Protocol):
    """Time for the worker: tests pass one that moves only when slept on."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class RateLimiter:
    """At most ``per_second`` sends a second in all, evenly spaced, and one per
    ``chat_interval`` seconds to any one chat; ``pause`` holds every send back (a 429)."""

    def __init__(self, clock: Clock, *, per_second: float, chat_interval: float = 1.0) -> None:
        self._clock = clock
        self._spacing = 1.0 / per_second
        self._chat_interval = chat_interval
        self._next = float("-inf")
        self._paused_until = float("-inf")
        self._next_in_chat: dict[int, float] = {}

    def ready_at(self, chat_id: int) -> float:
        """The clock's monotonic time from which a send to the chat is allowed."""
        return max(self._next, self._paused_until, self._next_in_chat.get(chat_id, float("-inf")))

    async def acquire(self, chat_id: int) -> None:
        """Wait until a send to the chat is allowed, and count it as made."""
        wait = self.ready_at(chat_id) - self._clock.monotonic()
        if wait > 0:
            await self._clock.sleep(wait)
        now = self._clock.monotonic()
        self._next = now + self._spacing
        self._next_in_chat[chat_id] = now + self._chat_interval
        if len(self._next_in_chat) > 10_000:
            self._next_in_chat = {
                chat: until for chat, until in self._next_in_chat.items() if until > now
            }

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock.monotonic() + seconds)


@dataclass
class PassReport:
    """What one pass did."""

    fired: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    postponed: int = 0
    waited_out: int = 0
    """429s obeyed."""
    errors: list[str] = field(default_factory=list)
    standby: bool = False
    """Another process holds the lease: this one did nothing."""

    def __bool__(self) -> bool:
        return bool(
            self.fired or self.sent or self.blocked or self.failed or self.postponed
        ) or bool(self.errors)


class AlertWorker:
    """Runs passes every ``interval`` while started; ``run_once`` is one pass."""

    def __init__(
        self,
        *,
        bot: Bot,
        recommender: Recommender,
        store: BotStore,
        presenter: CardPresenter,
        i18n: I18n,
        interval: timedelta,
        per_second: float,
        clock: Clock | None = None,
    ) -> None:
        self._bot = bot
        self._recommender = recommender
        self._store = store
        self._alerts = store.alerts
        self._presenter = presenter
        self._i18n = i18n
        self._interval = interval
        self._clock = clock or SystemClock()
        self.limiter = RateLimiter(self._clock, per_second=per_second)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsupported = False
        self._id = uuid.uuid4().hex

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="alert-worker")

    async def stop(self, grace: float = 10.0) -> None:
        """Let the card in hand be sent and recorded, give the rest back, then end; cut off
        after ``grace`` seconds (a long 429 wait, say) with nothing lost either way."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            await self._alerts.release_lease(LEASE_NAME, self._id)
        except Exception as error:  # it runs out on its own
            log.warning("could not give back the alerts lease: %s", error)

    def request_stop(self) -> None:
        """Finish the card in hand and stop (``run_once`` returns early)."""
        self._stopping.set()

    async def lifespan(self, _app: web.Application) -> AsyncIterator[None]:
        """For ``web.Application.cleanup_ctx``: running while the web app is."""
        self.start()
        yield
        await self.stop()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # the next pass tries again; the worker must not die
                log.exception("an alert pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval.total_seconds())

    # --- one pass ------------------------------------------------------------------------
    async def run_once(self) -> PassReport:
        """Fire what is due, then send every pending card (or until asked to stop)."""
        report = PassReport()
        if not await self._lead():
            report.standby = True
            return report
        # Our sends wait out 429s here, with the other sends held back too, rather than in
        # the session's retry middleware.
        token = CALLER_WAITS_OUT_429.set(True)
        try:
            await self._fire(report)
            await self._deliver_all(report)
        finally:
            CALLER_WAITS_OUT_429.reset(token)
            if self._stopping.is_set():
                # Another process takes over at once rather than when the lease runs out.
                await self._alerts.release_lease(LEASE_NAME, self._id)
        if report:
            log.info(
                "alerts: %s fired, %s sent, %s blocked, %s failed, %s postponed, %s 429s "
                "waited out",
                report.fired,
                report.sent,
                report.blocked,
                report.failed,
                report.postponed,
                report.waited_out,
            )
        return report

    async def _lead(self) -> bool:
        """Take or renew the lease: whether this process is the one to send."""
        return await self._alerts.take_lease(LEASE_NAME, self._id, self._clock.now(), LEASE)

    async def _fire(self, report: PassReport) -> None:
        if self._unsupported:
            return
        after: str | None = None
        while not self._stopping.is_set():
            product_ids = await self._alerts.watched_products(after, SCAN_BATCH)
            if not product_ids:
                return
            after = product_ids[-1]
            try:
                cards = await self._cards(product_ids)
            except UnsupportedByBackend as error:
                self._unsupported = True
                log.warning("alerts cannot be checked: %s", error)
                return
            except RecommenderError as error:
                report.errors.append(str(error))
                log.warning("alerts not checked this time: %s", error)
                return
            due = [
                alert
                for alert in await self._alerts.alerts_on(product_ids)
                if alert.product_id in cards and fires(alert, cards[alert.product_id])
            ]
            if due:
                report.fired += await self._alerts.fire(due, self._clock.now())
            if len(product_ids) < SCAN_BATCH:
                return

    async def _cards(self, product_ids: Sequence[str]) -> dict[str, ProductCard]:
        return {card.id: card for card in await self._recommender.products(product_ids)}

    async def _deliver_all(self, report: PassReport) -> None:
        while not self._stopping.is_set():
            if not await self._lead():
                log.warning("alerts: another process took over the sending")
                report.standby = True
                return
            claim = uuid.uuid4().hex
            batch = await self._alerts.claim_deliveries(
                claim, now=self._clock.now(), lease=LEASE, limit=DELIVERY_BATCH
            )
            if not batch:
                return
            queue = list(batch)
            try:
                try:
                    cards = await self._cards([d.product_id for d in batch])
                except RecommenderError as error:
                    report.errors.append(str(error))
                    log.warning("alert cards not sent this time: %s", error)
                    return
                while queue and not self._stopping.is_set():
                    # The card whose chat may be sent to soonest: one chat's many alerts
                    # wait their second apart while other chats' go out.
                    delivery = min(
                        queue, key=lambda d: (self.limiter.ready_at(d.telegram_user_id), d.id)
                    )
                    # Out of the queue first: a card cut off mid-send is not given back as
                    # unsent; its claim runs out and it is tried again (see above).
                    queue.remove(delivery)
                    await self._deliver(delivery, cards.get(delivery.product_id), claim, report)
            finally:
                # Stopped, or the engine failed: what was not sent is given back at once.
                for delivery in queue:
                    await self._alerts.postpone_delivery(
                        delivery.id, claim, self._clock.now(), "given back unsent"
                    )

    async def _deliver(
        self,
        delivery: AlertDelivery,
        card: ProductCard | None,
        claim: str,
        report: PassReport,
    ) -> None:
        user_id = delivery.telegram_user_id
        if card is None:
            await self._finish(delivery, claim, DeliveryState.FAILED, "the product is gone")
            report.failed += 1
            return
        if await self._store.is_blocked(user_id):
            await self._finish(delivery, claim, DeliveryState.BLOCKED, "blocked before")
            report.blocked += 1
            return
        locale = await self._locale(delivery)
        for _try in range(RETRY_AFTER_TRIES):
            await self.limiter.acquire(user_id)
            try:
                with self._i18n.context(), self._i18n.use_locale(locale):
                    view = ListPage(
                        kind=None, cards=[card], page=0, title=_title(delivery, locale)
                    )
                    await self._presenter.send(self._bot, user_id, view)
            except TelegramRetryAfter as error:
                log.warning("Telegram asked to wait %s s before the next alert", error.retry_after)
                self.limiter.pause(error.retry_after)
                report.waited_out += 1
                continue
            except TelegramForbiddenError as error:
                await self._store.mark_blocked(user_id)
                await self._finish(delivery, claim, DeliveryState.BLOCKED, error.message)
                report.blocked += 1
                return
            except TelegramBadRequest as error:
                await self._finish(delivery, claim, DeliveryState.FAILED, error.message)
                report.failed += 1
                return
            except TelegramAPIError as error:  # network, Telegram's own trouble
                await self._try_later(delivery, claim, str(error), report)
                return
            await self._finish(delivery, claim, DeliveryState.SENT)
            report.sent += 1
            return
        await self._try_later(delivery, claim, "429 too many times", report)

    async def _try_later(
        self, delivery: AlertDelivery, claim: str, error: str, report: PassReport
    ) -> None:
        if delivery.attempts >= MAX_ATTEMPTS:
            await self._finish(delivery, claim, DeliveryState.FAILED, error)
            report.failed += 1
            return
        await self._alerts.postpone_delivery(
            delivery.id, claim, self._clock.now() + RETRY_DELAY, error
        )
        report.postponed += 1

    async def _finish(
        self, delivery: AlertDelivery, claim: str, state: DeliveryState, error: str = ""
    ) -> None:
        # Recorded even when the stop comes meanwhile: the card is out, it must count.
        await asyncio.shield(
            self._alerts.finish_delivery(delivery.id, claim, state, self._clock.now(), error)
        )

    async def _locale(self, delivery: AlertDelivery) -> str:
        """The language the user chose since, else the one they subscribed in."""
        for locale in (await self._store.language(delivery.telegram_user_id), delivery.locale):
            if locale in self._i18n.available_locales:
                return locale
        return self._i18n.default_locale


def _title(delivery: AlertDelivery, locale: str) -> str:
    if delivery.kind is AlertKind.BACK_IN_STOCK or delivery.price_then is None:
        return "🔔 " + _("Back in stock")
    return "🔔 " + _("Price drop: it was {price}").format(
        price=format_price(delivery.price_then, delivery.currency, locale)
    )
