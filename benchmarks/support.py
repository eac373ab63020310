"""Support relay latency: the time a customer's message takes to show in the agents' topic,
and an agent's answer to show in the customer's chat, beside the bot's plain answer to /help
measured in the same run as the floor (one update in, one message out).

Everything runs here: the local Bot API server, the bot in long polling on the demo shop in
SQLite, and people typing in the web chat over HTTP, as the end-to-end tests do.

    python -m benchmarks.support [--messages 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.adapters.embedded import EmbeddedRecommender
from bot.config import BotSettings
from bot.factory import create_bot, create_dispatcher
from bot.i18n import create_i18n
from bot.localapi import DEFAULT_GROUP_ID, LocalBotApiServer
from bot.storage import SqlBotStore, open_bot_database
from bot.storage.database import migrate
from bot.storage.models import SupportMessageRow
from recoms.config import RecomsSettings
from recoms.demo import load_demo
from recoms.service import open_service

CUSTOMER, AGENT = 100002, 900001  # Taras and Iryna of the local server


class People:
    """The web chat's JSON API: send as someone, wait until a chat shows a text."""

    def __init__(self, http: aiohttp.ClientSession, server: LocalBotApiServer) -> None:
        self.http = http
        self.base = f"{server.base_url}/chat/api/chats"

    async def send(self, user_id: int, text: str, **where: Any) -> None:
        async with self.http.post(
            f"{self.base}/{user_id}/send", json={"text": text, **where}
        ) as response:
            assert response.status == 200, await response.text()

    async def _messages(
        self, user_id: int, version: int, wait: float, query: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], int]:
        params = {"version": version, "wait": wait, **query}
        async with self.http.get(f"{self.base}/{user_id}", params=params) as response:
            body = await response.json()
        chat = body["group"] if query else body["chat"]
        return list(chat["messages"]), int(body["version"])

    async def last_id(self, user_id: int, **query: Any) -> int:
        messages, _ = await self._messages(user_id, -1, 0, query)
        return max((int(m["message_id"]) for m in messages), default=0)

    async def wait_for(self, user_id: int, wanted: str, after: int, **query: Any) -> None:
        """Until a bot message newer than ``after`` shows ``wanted``."""
        version = -1
        while True:
            messages, version = await self._messages(user_id, version, 2, query)
            if any(
                int(m["message_id"]) > after and m["from"].get("is_bot") and wanted in _text(m)
                for m in messages
            ):
                return

    async def topics(self, user_id: int, group_id: int) -> list[dict[str, Any]]:
        params = {"wait": 0, "group": group_id}
        async with self.http.get(f"{self.base}/{user_id}", params=params) as response:
            return list((await response.json())["group"]["topics"])


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _line(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{name:<34} p50 {statistics.median(ordered):7.1f} ms   p90 {p90:7.1f} ms"


async def run(messages: int) -> None:
    async with contextlib.AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = LocalBotApiServer(port=0)
        await server.start()
        stack.push_async_callback(server.stop)
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        service = await open_service(RecomsSettings(database_url=url, api_key=None))
        stack.push_async_callback(service.close)
        await load_demo(service)
        database = open_bot_database(url)
        stack.push_async_callback(database.dispose)
        await migrate(database)
        store = SqlBotStore(database.sessions)
        settings = BotSettings(
            _env_file=None,
            token=SecretStr(server.token),
            telegram_api_url=server.api_base,
            admins=[AGENT],
            support_chat_id=DEFAULT_GROUP_ID,
            support_hours="00:00-00:00",
            support_flood_limit=10_000,
            redis_url=None,
            recoms_url=None,
        )
        bot = create_bot(server.token, api_url=server.api_base)
        stack.push_async_callback(bot.session.close)
        i18n = create_i18n()
        dp = create_dispatcher(
            settings=settings,
            recommender=EmbeddedRecommender(service),
            store=store,
            i18n=i18n,
            phone_region="UA",
        )
        await bot.delete_webhook()
        polling = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
        )

        async def stop() -> None:
            with contextlib.suppress(RuntimeError):
                await dp.stop_polling()
            await asyncio.wait_for(polling, 10)

        stack.push_async_callback(stop)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        people = People(http, server)
        group = {"group": DEFAULT_GROUP_ID}

        # Warm up: the first question opens the topic (card, pin) and is not timed.
        await people.send(CUSTOMER, "warming up")
        await people.wait_for(AGENT, "warming up", 0, **group)
        thread = next(
            t["message_thread_id"]
            for t in await people.topics(AGENT, DEFAULT_GROUP_ID)
            if "Taras" in t["name"]
        )
        floor: list[float] = []
        inbound: list[float] = []
        outbound: list[float] = []
        for number in range(messages):
            after = await people.last_id(CUSTOMER)
            started = time.perf_counter()
            await people.send(CUSTOMER, "/help")
            await people.wait_for(CUSTOMER, "/start", after)
            floor.append((time.perf_counter() - started) * 1000)

            question = f"question #{number}."
            after = await people.last_id(AGENT, **group)
            started = time.perf_counter()
            await people.send(CUSTOMER, question)
            await people.wait_for(AGENT, question, after, **group)
            inbound.append((time.perf_counter() - started) * 1000)

            answer = f"answer #{number}."
            after = await people.last_id(CUSTOMER)
            started = time.perf_counter()
            await people.send(AGENT, answer, chat_id=DEFAULT_GROUP_ID, message_thread_id=thread)
            await people.wait_for(CUSTOMER, answer, after)
            outbound.append((time.perf_counter() - started) * 1000)

        counts: dict[str, int] = {}
        for _attempt in range(50):  # the last answer is recorded just after it is delivered
            async with database.sessions() as session:
                rows = await session.execute(
                    select(SupportMessageRow.direction, func.count()).group_by(
                        SupportMessageRow.direction
                    )
                )
                counts = {str(direction): int(count) for direction, count in rows.all()}
            if counts.get("out", 0) >= messages:
                break
            await asyncio.sleep(0.1)
    print(f"support relay, {messages} messages each way, local Bot API server, polling, SQLite")
    print(_line("floor: /help answered", floor))
    print(_line("customer -> topic (copyMessage)", inbound))
    print(_line("topic -> customer (signed)", outbound))
    base = statistics.median(floor)
    for name, samples in (("in", inbound), ("out", outbound)):
        median = statistics.median(samples)
        print(
            f"added latency per relayed message {name}: {median - base:+.1f} ms "
            f"({median / base:.2f}x the floor)"
        )
    print(f"messages recorded: {counts.get('in', 0)} in, {counts.get('out', 0)} out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(run(args.messages))


if __name__ == "__main__":
    main()
