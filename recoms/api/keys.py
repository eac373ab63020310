"""Typed keys of the state the API's handlers share through the application."""

from __future__ import annotations

from aiohttp import web

from recoms.config import RecomsSettings
from recoms.service import RecomsService

SERVICE = web.AppKey("service", RecomsService)
SETTINGS = web.AppKey("settings", RecomsSettings)
FEED_LIMIT = web.AppKey("feed_limit", int)
OPEN_PATHS = web.AppKey("open_paths", frozenset[str])
"""Largest XML feed body accepted, in bytes."""
