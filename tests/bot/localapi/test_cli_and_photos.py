"""Running the server from the command line, and photo URLs fetched as Telegram fetches them."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiohttp import web

from bot.localapi import LocalBotApiServer

from .conftest import OLENA
from .test_messages import PNG_1X1

ROOT = Path(__file__).resolve().parents[3]


async def test_command_line_prints_where_to_point_the_bot(http: aiohttp.ClientSession) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.localapi",
        "--port",
        "0",
        "--token",
        "42:cli-token",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        lines: dict[str, str] = {}
        while len(lines) < 3:
            line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
            assert line, "the server stopped before printing its addresses"
            key, _, value = line.partition(":")
            lines[key.strip()] = value.split()[0]
        assert lines["Token"] == "42:cli-token"
        async with http.get(f"{lines['Bot API']}/bot42:cli-token/getMe") as response:
            assert (await response.json())["result"]["is_bot"] is True
        async with http.get(lines["Chat"]) as response:
            assert "Local Telegram" in await response.text()
    finally:
        process.terminate()
        await process.wait()


@pytest.fixture
async def images() -> AsyncIterator[str]:
    """A loopback web server with one PNG, one HTML page, and 404 for anything else."""

    async def png(request: web.Request) -> web.Response:
        return web.Response(body=PNG_1X1, content_type="image/png")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/dot.png", png)
    app.router.add_get("/page", page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_fetch_photos_refuses_urls_telegram_could_not_use(images: str) -> None:
    async with LocalBotApiServer(port=0, fetch_photos=True) as server:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.api_base))
        bot = Bot(server.token, session=session)
        server.state.user_sends_text(OLENA, "/start")
        try:
            sent = await bot.send_photo(OLENA, f"{images}/dot.png")
            assert sent.photo is not None
            assert (sent.photo[-1].width, sent.photo[-1].height) == (1, 1)
            with pytest.raises(TelegramBadRequest, match="failed to get HTTP URL content"):
                await bot.send_photo(OLENA, f"{images}/missing.jpg")
            with pytest.raises(TelegramBadRequest, match="wrong type of the web page content"):
                await bot.send_photo(OLENA, f"{images}/page")
        finally:
            await bot.session.close()
