"""The HTTP API's application factory: wires routes, middlewares and state; starts nothing."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from recoms.api import (
    catalog,
    clicks,
    contacts,
    datasources,
    docs,
    events,
    metrics,
    recommendations,
    system,
    tracker,
)
from recoms.api.access import PUBLIC_PATHS, ROUTES, Access, Route
from recoms.api.cors import cors_middleware, preflight
from recoms.api.keys import ACCESS, FEED_LIMIT, RENDERED, SERVICE, SETTINGS
from recoms.api.metrics import API_METRICS, ApiMetrics, metrics_middleware
from recoms.api.middleware import auth_middleware, errors_middleware
from recoms.config import RecomsSettings
from recoms.httpkit import METRICS
from recoms.presenters import RenderedProducts
from recoms.service import RecomsService

MAX_JSON_BODY = 4 * 1024 * 1024
"""A thousand tracker events fit; a feed goes as a URL or an XML body, which is streamed."""
MAX_FEED_BODY = 1024 * 1024 * 1024
# A query with a 10 kB value must reach validation (and get a JSON 400 naming the
# parameter) rather than be cut off by the HTTP parser at its 8 kB default.
MAX_REQUEST_LINE = 64 * 1024
MAX_HEADER_FIELD = 8190
"""A header line (name and value) at most; differs from MAX_REQUEST_LINE so that the HTTP
parser's refusal tells the two apart (414 or 431)."""


def create_app(
    service: RecomsService,
    settings: RecomsSettings,
    *,
    max_feed_bytes: int = MAX_FEED_BODY,
    access: Mapping[Route, Access] | None = None,
) -> web.Application:
    """The API over ``service``. Every route needs the admin key (``settings.api_key``)
    unless ``recoms.api.access`` says otherwise; without an admin key every route is open,
    and only a loopback listener may serve it (see ``recoms.httpkit.keyless_bind_refusal``).

    The caller runs it (``ApiRunner``, or as a sub-application) and owns the service's
    lifetime. ``access`` says who may call the routes an embedding application adds, e.g.
    ``{("POST", "/telegram/webhook"): Access.OPEN}`` for a webhook that checks its own secret;
    routes it does not name need the admin key."""
    app = web.Application(
        middlewares=[metrics_middleware, cors_middleware, errors_middleware, auth_middleware],
        client_max_size=MAX_JSON_BODY,
        handler_args={"max_line_size": MAX_REQUEST_LINE, "max_field_size": MAX_HEADER_FIELD},
    )
    app[SERVICE] = service
    app[SETTINGS] = settings
    app[FEED_LIMIT] = max_feed_bytes
    app[ACCESS] = {**ROUTES, **(access or {})}
    app[RENDERED] = RenderedProducts()
    app[API_METRICS] = api_metrics = ApiMetrics(service)
    app[METRICS] = [api_metrics.registry]
    modules = (recommendations, events, tracker, catalog, clicks, datasources, contacts, system)
    for module in (*modules, docs, metrics):
        app.add_routes(module.routes)
    for path in sorted(PUBLIC_PATHS):
        app.router.add_route("OPTIONS", path, preflight)
    return app
