"""Typed keys of the state the API's handlers share through the application."""

from __future__ import annotations

from aiohttp import web

from recoms.config import RecomsSettings
from recoms.presenters import RenderedProducts
from recoms.service import RecomsService

SERVICE = web.AppKey("service", RecomsService)
SETTINGS = web.AppKey("settings", RecomsSettings)
FEED_LIMIT = web.AppKey("feed_limit", int)
"""Largest XML feed body accepted, in bytes."""
OPEN_PATHS = web.AppKey("open_paths", frozenset[str])
RENDERED = web.AppKey("rendered_products", RenderedProducts)
"""Products' JSON rendered once per product and reused by the recommendation endpoint."""
