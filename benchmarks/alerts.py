"""Alert worker figures: what a pass costs when nothing fired (reading every watched product
through the port), and the worker's own cost per card sent (database bookkeeping and
rendering), with Telegram answering at once and the rate limit's waits skipped by a clock
that moves only when slept on (it adds up the time the limits would take).

The demo shop in SQLite behind the embedded engine, the bot's tables in the same file.

    python -m benchmarks.alerts [--subscribers 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage, SendPhoto, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.adapters.embedded import EmbeddedRecommender
from bot.alerts import AlertKind
from bot.config import BotSettings
from bot.factory import create_alert_worker, create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.ports import CustomerKey
from bot.storage import SqlBotStore, open_bot_database
from bot.storage.database import migrate
from recoms.config import RecomsSettings
from recoms.demo import load_demo
from recoms.service import open_service

TOKEN = "42:benchmark"


class InstantTelegram(BaseSession):
    """Answers every send at once, as a message; counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self._ids = itertools.count(1)

    async def close(self) -> None:
        pass

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (BaseSession's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        result: Any = True
        if isinstance(method, (SendMessage, SendPhoto)):
            self.sent += 1
            result = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(method.chat_id), "type": "private"},
                "text": "card",
            }
        body = json.dumps({"ok": True, "result": result})
        return self.check_response(bot, method, 200, body).result  # type: ignore[return-value]


class SkippingClock:
    """Monotonic time that moves only when slept on: the waits are added up, not waited."""

    def __init__(self) -> None:
        self.waited = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.waited)

    def monotonic(self) -> float:
        return self.waited

    async def sleep(self, seconds: float) -> None:
        self.waited += seconds
        await asyncio.sleep(0)


async def measure(subscribers: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        service = await open_service(RecomsSettings(database_url=url, api_key=None))
        database = open_bot_database(url)
        try:
            await load_demo(service)
            await migrate(database)
            store = SqlBotStore(database.sessions)
            recommender = EmbeddedRecommender(service)
            products = [
                card
                for card in await recommender.recommend(2, _anyone())
                if card.price is not None
            ]
            session = InstantTelegram()
            settings = BotSettings(_env_file=None, token=TOKEN, redis_url=None, recoms_url=None)
            i18n = create_i18n()
            bot = create_bot(TOKEN, session=session)
            dp = create_dispatcher(
                settings=settings,
                recommender=recommender,
                store=store,
                i18n=i18n,
                phone_region="UA",
            )
            clock = SkippingClock()
            worker = create_alert_worker(dp, bot, settings, clock=clock)
            now = datetime.now(UTC)
            for user in range(subscribers):
                card = products[user % len(products)]
                assert card.price is not None
                # Subscribed when the price was higher: the next pass fires every one.
                await store.alerts.subscribe(
                    1_000_000 + user,
                    card.id,
                    AlertKind.PRICE_DROP,
                    price=card.price + Decimal(1),
                    currency=card.currency,
                    locale="uk" if user % 2 else "en",
                    now=now,
                )
                # Subscribed at today's price: it stays, for a pass that finds nothing.
                await store.alerts.subscribe(
                    2_000_000 + user,
                    card.id,
                    AlertKind.PRICE_DROP,
                    price=card.price,
                    currency=card.currency,
                    locale="en",
                    now=now,
                )
            started = time.perf_counter()
            report = await worker.run_once()
            took = time.perf_counter() - started
            watched = len(products)
            print(f"alerts: {subscribers} price drops fired and sent, {watched} products watched")
            print(
                f"  pass: {took:.2f} s of work for {report.sent} cards "
                f"({took / max(report.sent, 1) * 1000:.2f} ms a card, "
                f"{report.sent / took:.0f} cards/s before the limits)"
            )
            print(
                f"  the limits' waits in that pass: {clock.waited:.1f} s "
                f"({report.sent / max(clock.waited, 1e-9):.1f} cards/s, "
                f"BOT_ALERTS_PER_SECOND={settings.alerts_per_second:g})"
            )
            started = time.perf_counter()
            again = await worker.run_once()
            took = time.perf_counter() - started
            assert again.fired == again.sent == 0
            print(
                f"  a pass with nothing to fire over {subscribers} waiting alerts on "
                f"{watched} products: {took * 1000:.1f} ms"
            )
            assert session.sent == report.sent
        finally:
            await database.dispose()
            await service.close()


def _anyone() -> CustomerKey:
    return CustomerKey(external_id="benchmark-nobody")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(measure(args.subscribers))


if __name__ == "__main__":
    main()
