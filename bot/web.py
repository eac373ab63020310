"""The bot's own HTTP endpoints: ``/healthz`` and the deep-link endpoint for the shop's backend.

``bot.factory.create_web_app`` puts them on the one web app with the webhook and the engine's API.
"""

from __future__ import annotations

import base64
import hmac

from aiogram import Bot
from aiohttp import hdrs, web

from bot.deeplinks import DeepLinkError
from bot.links import DeepLinks, LinksDisabled

DEEPLINK_PATH = "/api/v1/telegram/deeplink"
BOT_KEY = web.AppKey("bot", Bot)
LINKS_KEY = web.AppKey("deep_links", DeepLinks)
LINK_API_KEY = web.AppKey("deep_link_api_key", str)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _error(status: int, message: str, **headers: str) -> web.Response:
    codes = {400: "invalid_request", 401: "unauthorized", 503: "unavailable"}
    return web.json_response(
        {"error": codes.get(status, "error"), "message": message}, status=status, headers=headers
    )


def _authorized(request: web.Request) -> bool:
    key = request.app.get(LINK_API_KEY)
    if key is None:
        return True
    scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        _user, _, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(password.encode(), key.encode())


async def post_deeplink(request: web.Request) -> web.Response:
    """``{"externalCustomerId": "..."}`` -> ``{"link": "https://t.me/<bot>?start=...", ...}``."""
    if not _authorized(request):
        return _error(
            401,
            "valid credentials are required: HTTP Basic with the API key as the password",
            **{hdrs.WWW_AUTHENTICATE: 'Basic realm="recoms", charset="UTF-8"'},
        )
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "the body must be a JSON object with externalCustomerId")
    external_id = body.get("externalCustomerId") if isinstance(body, dict) else None
    if not isinstance(external_id, str) or not external_id.strip():
        return _error(400, "externalCustomerId (a non-empty string) is required")
    links = request.app[LINKS_KEY]
    try:
        link = await links.link(request.app[BOT_KEY], external_id.strip())
    except LinksDisabled:
        return _error(503, "deep links are off: the bot has no signing key (BOT_LINK_SECRET)")
    except DeepLinkError as error:
        return _error(400, str(error))
    payload = link.rsplit("start=", 1)[1]
    return web.json_response(
        {"externalCustomerId": external_id.strip(), "link": link, "payload": payload}
    )
