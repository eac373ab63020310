"""Who may call each route: the admin key, also the public key, or anyone (one table)."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from aiohttp import web


class Access(enum.Enum):
    ADMIN = "admin"
    """The admin key (``RECOMS_API_KEY``): personal data, writes, imports, links."""
    PUBLIC = "public"
    """The public key (``RECOMS_PUBLIC_KEY``) or the admin key: what a shop's web page calls."""
    OPEN = "open"
    """Anyone: health, documentation (and its page's files), and routes that check their own
    secret (a webhook)."""


Route = tuple[str, str]
"""(method, path template as the router holds it), e.g. ("GET", "/api/v1/datasources")."""

RECOMS = "/api/v2/contacts/recoms/{dataSourceId}"
EVENTS = "/api/v1/events"
TRACKER = "/api/v2"
"""Yespo's tracker path: the same events as ``EVENTS``, under the same rule."""

ROUTES: Mapping[Route, Access] = {
    ("GET", RECOMS): Access.PUBLIC,
    ("POST", EVENTS): Access.PUBLIC,
    ("POST", TRACKER): Access.PUBLIC,
    ("POST", "/api/v1/feed/import"): Access.ADMIN,
    ("GET", "/api/v1/feed/import/{jobId}"): Access.ADMIN,
    ("GET", "/api/v1/datasources"): Access.ADMIN,
    ("POST", "/api/v1/datasources"): Access.ADMIN,
    ("GET", "/api/v1/datasources/{dataSourceId}"): Access.ADMIN,
    ("PUT", "/api/v1/datasources/{dataSourceId}"): Access.ADMIN,
    ("PATCH", "/api/v1/datasources/{dataSourceId}"): Access.ADMIN,
    ("GET", "/api/v1/contacts"): Access.ADMIN,
    ("GET", "/api/v1/contacts/profile"): Access.ADMIN,
    ("POST", "/api/v1/contacts/telegram"): Access.ADMIN,
    ("DELETE", "/api/v1/contacts/telegram/{telegramUserId}"): Access.ADMIN,
    ("POST", "/api/v1/contacts/telegram/{telegramUserId}/forget"): Access.ADMIN,
    # The catalogue is on the shop's site anyway, but a search over it is a way to load the
    # server; the page has no need for it.
    ("GET", "/api/v1/products"): Access.ADMIN,
    ("GET", "/api/v1/products/search"): Access.ADMIN,
    ("GET", "/api/v1/products/{productId}"): Access.ADMIN,
    ("GET", "/api/v1/stats"): Access.ADMIN,
    # A customer's browser follows it from a chat card: no key, its own signature instead.
    ("GET", "/api/v1/click"): Access.OPEN,
    ("POST", "/api/v1/lists/shown"): Access.ADMIN,
    ("GET", "/api/v1/lists/figures"): Access.ADMIN,
    ("GET", "/api/v1/clicks/key"): Access.ADMIN,
    # Figures of the shop's traffic and catalogue: for its monitoring, not for anyone.
    ("GET", "/metrics"): Access.ADMIN,
    ("GET", "/healthz"): Access.OPEN,
    ("GET", "/readyz"): Access.OPEN,
    ("GET", "/openapi.json"): Access.OPEN,
    ("GET", "/docs"): Access.OPEN,
    ("GET", "/docs/{asset}"): Access.OPEN,
    # CORS preflights carry no credentials by the browser's rules; they only say which
    # origins may call the public routes.
    ("OPTIONS", RECOMS): Access.OPEN,
    ("OPTIONS", EVENTS): Access.OPEN,
    ("OPTIONS", TRACKER): Access.OPEN,
}
"""Every route of the API. A route missing here is treated as admin-only (and fails a test)."""

PUBLIC_PATHS = frozenset(path for (_, path), access in ROUTES.items() if access is Access.PUBLIC)


def route_of(request: web.Request) -> Route | None:
    """The route ``request`` matched, or None when it matched none (a 404 or 405 to come)."""
    match = request.match_info
    if match.http_exception is not None:
        return None
    resource = match.route.resource
    if resource is None:
        return None
    method = "GET" if request.method == "HEAD" else request.method
    return method, resource.canonical


def access_of(route: Route | None, table: Mapping[Route, Access]) -> Access:
    """What ``route`` needs; routes nobody decided on need the admin key."""
    if route is None:
        return Access.ADMIN
    return table.get(route, Access.ADMIN)
