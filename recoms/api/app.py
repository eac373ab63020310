"""The HTTP API's application factory: wires routes, middlewares and state; starts nothing."""

from __future__ import annotations

from collections.abc import Collection

from aiohttp import web

from recoms.api import catalog, contacts, datasources, events, recommendations, system
from recoms.api.keys import FEED_LIMIT, OPEN_PATHS, RENDERED, SERVICE, SETTINGS
from recoms.api.middleware import ALWAYS_OPEN, auth_middleware, errors_middleware
from recoms.config import RecomsSettings
from recoms.presenters import RenderedProducts
from recoms.service import RecomsService

MAX_JSON_BODY = 4 * 1024 * 1024
"""A thousand tracker events fit; a feed goes as a URL or an XML body, which is streamed."""
MAX_FEED_BODY = 1024 * 1024 * 1024
# A query with a 10 kB value must reach validation (and get a JSON 400 naming the
# parameter) rather than be cut off by the HTTP parser at its 8 kB default.
MAX_REQUEST_LINE = 64 * 1024


def create_app(
    service: RecomsService,
    settings: RecomsSettings,
    *,
    max_feed_bytes: int = MAX_FEED_BODY,
    open_paths: Collection[str] = (),
) -> web.Application:
    """The API over ``service``; HTTP Basic with ``settings.api_key`` when one is set.

    ``open_paths`` are routes that an embedding application adds and guards itself (a
    Telegram webhook checks its own secret token), so they skip the API key like /healthz.

    The caller runs it (``web.run_app``, an ``AppRunner``, or as a sub-application) and owns
    the service's lifetime."""
    app = web.Application(
        middlewares=[errors_middleware, auth_middleware],
        client_max_size=MAX_JSON_BODY,
        handler_args={"max_line_size": MAX_REQUEST_LINE},
    )
    app[SERVICE] = service
    app[SETTINGS] = settings
    app[FEED_LIMIT] = max_feed_bytes
    app[OPEN_PATHS] = ALWAYS_OPEN | frozenset(open_paths)
    app[RENDERED] = RenderedProducts()
    for module in (recommendations, events, catalog, datasources, contacts, system):
        app.add_routes(module.routes)
    return app
