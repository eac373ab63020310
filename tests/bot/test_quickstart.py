"""``recoms-bot run`` without a token: the demo shop, the local Bot API server and its web chat,
the bot polling it, and the engine's API, all from the one command."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli.run import run
from bot.config import BotSettings
from recoms.config import RecomsSettings

OLENA = 100001


async def wait_for(
    http: aiohttp.ClientSession, url: str, predicate: Any, seconds: float = 20.0
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        async with http.get(url) as response:
            body: dict[str, Any] = await response.json()
        if predicate(body):
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.1)


def bot_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["chat"]["messages"] if not m["outgoing"]]


async def test_the_quick_start_runs_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = BotSettings(
        _env_file=None, token=None, port=0, local_api_port=0, redis_url=None, recoms_url=None
    )
    recoms = RecomsSettings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", api_key=None
    )
    task = asyncio.create_task(run(settings, recoms, "127.0.0.1", 0, handle_signals=False))
    printed = ""
    try:
        for _ in range(300):
            printed += capsys.readouterr().out
            if "Long polling" in printed or task.done():
                break
            await asyncio.sleep(0.1)
        assert not task.done(), task.exception() if task.done() else None
        chat_url = re.search(r"web chat at (http://\S+/)", printed)
        api_url = re.search(r"web app \(API, /healthz\) at (http://\S+)", printed)
        assert chat_url, printed
        assert api_url, printed
        assert "Loading the demo shop" in printed

        async with aiohttp.ClientSession() as http:
            async with http.get(
                api_url.group(1) + "/api/v2/contacts/recoms/2?externalCustomerId=olena-001"
            ) as response:
                assert response.status == 200
                assert len(await response.json()) >= 5

            chat = f"{chat_url.group(1)}chat/api/chats/{OLENA}"
            await http.post(f"{chat}/send", json={"text": "/start"})
            body = await wait_for(http, chat, lambda b: len(bot_messages(b)) >= 1)
            assert "Вітаю, Olena!" in bot_messages(body)[-1]["text"]
            contact = {"phone_number": "+380501110001", "first_name": "Olena", "user_id": OLENA}
            await http.post(f"{chat}/contact", json={"contact": contact})
            await wait_for(http, chat, lambda b: len(bot_messages(b)) >= 2)
            await http.post(f"{chat}/send", json={"text": "✨ Нове для вас"})
            body = await wait_for(http, chat, lambda b: len(bot_messages(b)) >= 3)
            card = bot_messages(body)[-1]
            assert card.get("photo"), card
            assert "Нове для вас" in card["caption"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
