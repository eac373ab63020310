"""The aiohttp application: Bot API routes, file downloads, the web chat page and its API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.localapi.api import FLOOD_LIMITED, Context, Params, call
from bot.localapi.chat import ANSWER_TIMEOUT_KEY, STATE_KEY, add_chat_routes
from bot.localapi.errors import NOT_FOUND, UNAUTHORIZED, ApiError
from bot.localapi.state import (
    DEFAULT_GROUPS,
    DEFAULT_USERS,
    BotApiState,
    SimulatedGroup,
    SimulatedUser,
)
from bot.localapi.webhook import WebhookDelivery, read_multipart

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
DEFAULT_TOKEN = "1000000001:LOCAL-recoms-demo-token"
TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")


@dataclass
class Settings:
    """Switches of the local server that Telegram has no equivalent for."""

    flood_every: int | None = None
    flood_retry_after: int = 1
    fetch_photos: bool = False
    webhook_retry_delay: float = 1.0
    callback_answer_timeout: float = 5.0
    inline_mode: bool = True


SETTINGS_KEY = web.AppKey("localapi_settings", Settings)
CONTEXT_KEY = web.AppKey("localapi_context", Context)
FLOOD_COUNTER_KEY = web.AppKey("localapi_flood_counter", list[int])


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(
        body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False)
    )


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if not request.can_read_body:
        return Params(values)
    if content_type == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            raise ApiError.bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError.bad_request("can't parse JSON object")
        values.update(body)
        return Params(values)
    if content_type.startswith("multipart/"):
        params = await read_multipart(await request.multipart())
        values.update(params.values)
        return Params(values, params.uploads)
    form = await request.post()
    values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return Params(values)


async def bot_method(request: web.Request) -> web.Response:
    """``/bot<token>/<method>``: one Bot API call, answered in Telegram's envelope."""
    state = request.app[STATE_KEY]
    token, name = request.match_info["token"], request.match_info["method"]
    try:
        if not TOKEN_RE.fullmatch(token):
            raise NOT_FOUND
        if token != state.token:
            raise UNAUTHORIZED
        params = await _read_params(request)
        settings = request.app[SETTINGS_KEY]
        if settings.flood_every and name.lower() in FLOOD_LIMITED:
            counter = request.app[FLOOD_COUNTER_KEY]
            counter[0] += 1
            if counter[0] % settings.flood_every == 0:
                raise ApiError.too_many_requests(settings.flood_retry_after)
        result = await call(request.app[CONTEXT_KEY], name, params)
    except ApiError as exc:
        log.debug("%s failed: %s", name, exc.description)
        return _json(exc.to_json(), exc.status)
    body: dict[str, Any] = {"ok": True, "result": result}
    if name.lower() == "setwebhook":
        body["description"] = "Webhook was set" if state.webhook else "Webhook was deleted"
    elif name.lower() == "deletewebhook":
        body["description"] = "Webhook was deleted"
    return _json(body)


async def download_file(request: web.Request) -> web.StreamResponse:
    """``/file/bot<token>/<file_path>``: bytes of a photo the bot uploaded."""
    state = request.app[STATE_KEY]
    if request.match_info["token"] != state.token:
        return _json(UNAUTHORIZED.to_json(), 401)
    path = request.match_info["path"]
    for stored in state.files.values():
        if stored.file_path == path:
            if stored.content is not None:
                return web.Response(body=stored.content, content_type=stored.content_type)
            assert stored.url is not None
            raise web.HTTPFound(stored.url)
    return _json(NOT_FOUND.to_json(), 404)


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


def create_app(state: BotApiState, settings: Settings | None = None) -> web.Application:
    """Wire the local Bot API server for ``state``; the app starts its webhook sender itself."""
    settings = settings or Settings()
    app = web.Application(client_max_size=50 * 1024 * 1024)
    app[STATE_KEY] = state
    app[SETTINGS_KEY] = settings
    app[ANSWER_TIMEOUT_KEY] = settings.callback_answer_timeout
    app[FLOOD_COUNTER_KEY] = [0]
    context = Context(
        state=state, fetch_photos=settings.fetch_photos, inline_mode=settings.inline_mode
    )
    app[CONTEXT_KEY] = context

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        state.closing = False
        context.http = aiohttp.ClientSession()
        delivery = asyncio.create_task(
            WebhookDelivery(context, settings.webhook_retry_delay).run()
        )
        yield
        state.closing = True
        state.updates_changed.fire()
        state.chats_changed.fire()
        delivery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivery
        await context.http.close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_route("*", "/bot{token}/{method}", bot_method)
    app.router.add_get("/file/bot{token}/{path:.+}", download_file)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    add_chat_routes(app)
    return app


class LocalBotApiServer:
    """A Telegram Bot API stand-in with a web chat, run inside the caller's event loop.

    ``api_base`` goes to aiogram's ``TelegramAPIServer.from_base``; ``chat_url`` is the page a
    person opens to talk to the bot as one of ``users``, or to work in one of ``groups`` (the
    operators' forum, ``group_id``, by default). ``port=0`` picks a free port.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        users: Sequence[SimulatedUser] = DEFAULT_USERS,
        host: str = "127.0.0.1",
        port: int = 8081,
        *,
        flood_every: int | None = None,
        flood_retry_after: int = 1,
        fetch_photos: bool = False,
        webhook_retry_delay: float = 1.0,
        callback_answer_timeout: float = 5.0,
        bot_name: str = "Recoms demo",
        bot_username: str = "recoms_demo_bot",
        groups: Sequence[SimulatedGroup] = DEFAULT_GROUPS,
        inline_mode: bool = True,
        inline_placeholder: str | None = "Search...",
    ) -> None:
        if not TOKEN_RE.fullmatch(token):
            raise ValueError("a bot token looks like 123456:ABC-def")
        self.token = token
        self.host = host
        self.port = port
        self.state = BotApiState(
            token,
            users,
            groups,
            bot_name=bot_name,
            bot_username=bot_username,
            inline_placeholder=inline_placeholder if inline_mode else None,
        )
        self.settings = Settings(
            flood_every=flood_every,
            flood_retry_after=flood_retry_after,
            fetch_photos=fetch_photos,
            webhook_retry_delay=webhook_retry_delay,
            callback_answer_timeout=callback_answer_timeout,
            inline_mode=inline_mode,
        )
        self.group_id: int | None = groups[0].id if groups else None
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Base URL for ``TelegramAPIServer.from_base`` (BOT_TELEGRAM_API_URL)."""
        return self.base_url

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/"

    async def start(self) -> None:
        app = create_app(self.state, self.settings)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])
        log.info("local Bot API server at %s, web chat at %s", self.api_base, self.chat_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
