"""Typed keys of the state the API's handlers share through the application and the request."""

from __future__ import annotations

from aiohttp import web

from recoms.api.access import Access, Route
from recoms.config import RecomsSettings
from recoms.presenters import RenderedProducts
from recoms.service import RecomsService

SERVICE = web.AppKey("service", RecomsService)
SETTINGS = web.AppKey("settings", RecomsSettings)
FEED_LIMIT = web.AppKey("feed_limit", int)
"""Largest XML feed body accepted, in bytes."""
ACCESS = web.AppKey("access", dict[Route, Access])
"""Who may call each route: the API's own and those an embedding application adds."""
RENDERED = web.AppKey("rendered_products", RenderedProducts)
"""Products' JSON rendered once per product and reused by the recommendation endpoint."""
GRANTED = web.RequestKey("granted", Access)
"""What the request's credentials reach: ADMIN, or PUBLIC for the public key."""
