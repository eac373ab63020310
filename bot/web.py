"""The bot's own HTTP endpoints: ``/healthz`` and the deep-link endpoint for the shop's backend.

``bot.factory.create_web_app`` puts them on the one web app with the webhook and the engine's API.
"""

from __future__ import annotations

from aiogram import Bot
from aiohttp import hdrs, web

from bot.deeplinks import DeepLinkError
from bot.links import DeepLinks
from recoms.httpkit import basic_password, error_response, password_is, unauthorized

DEEPLINK_PATH = "/api/v1/telegram/deeplink"
BOT_KEY = web.AppKey("bot", Bot)
LINKS_KEY = web.AppKey("deep_links", DeepLinks)
LINK_API_KEY = web.AppKey("deep_link_api_key", str)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _authorized(request: web.Request) -> bool:
    key = request.app.get(LINK_API_KEY)
    if key is None:
        return True
    return password_is(basic_password(request.headers.get(hdrs.AUTHORIZATION)), key)


async def post_deeplink(request: web.Request) -> web.Response:
    """``{"externalCustomerId": "..."}`` -> ``{"link": "https://t.me/<bot>?start=...", ...}``:
    a link that works once, within ``BOT_LINK_TTL``."""
    if not _authorized(request):
        return unauthorized()
    try:
        body = await request.json()
    except ValueError:
        return error_response(400, "the body must be a JSON object with externalCustomerId")
    external_id = body.get("externalCustomerId") if isinstance(body, dict) else None
    if not isinstance(external_id, str) or not external_id.strip():
        return error_response(400, "externalCustomerId (a non-empty string) is required")
    links = request.app[LINKS_KEY]
    try:
        minted = await links.mint(request.app[BOT_KEY], external_id, minted_by=None, via="api")
    except DeepLinkError as error:
        return error_response(400, str(error))
    return web.json_response(
        {
            "externalCustomerId": external_id.strip(),
            "link": minted.url,
            "payload": minted.token,
            "expiresAt": minted.expires_at.isoformat(),
            "expiresInSeconds": int(links.ttl.total_seconds()),
        }
    )
