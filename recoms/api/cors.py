"""CORS for the public routes: only the origins in ``RECOMS_CORS_ORIGINS``, never a wildcard."""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from recoms.api.access import PUBLIC_PATHS, ROUTES, Access, route_of
from recoms.api.keys import SETTINGS
from recoms.httpkit import error_response

MAX_AGE = "600"
"""Seconds a browser may keep a preflight's answer."""
ALLOWED_HEADERS = "Authorization, Content-Type"


def public_path(request: web.Request) -> str | None:
    route = route_of(request)
    return route[1] if route is not None and route[1] in PUBLIC_PATHS else None


def allowed_origin(request: web.Request) -> str | None:
    """The request's ``Origin`` when it is one of the configured origins."""
    origin = request.headers.get(hdrs.ORIGIN)
    return origin if origin is not None and origin in request.app[SETTINGS].cors_origins else None


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Public routes' answers (errors too, so a page can read why) name an allowed origin.

    No ``Access-Control-Allow-Credentials``: the key travels in a header the page sets, and
    cookies have no meaning here."""
    response = await handler(request)
    if public_path(request) is not None:
        response.headers.add(hdrs.VARY, "Origin")
        origin = allowed_origin(request)
        if origin is not None:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
    return response


async def preflight(request: web.Request) -> web.Response:
    """A browser asks whether a page of its origin may call a public route."""
    path = public_path(request)
    methods = sorted(
        m for (m, p), access in ROUTES.items() if p == path and access is Access.PUBLIC
    )
    origin = allowed_origin(request)
    if origin is None:
        return error_response(
            403, "this origin may not call the API from a browser; list it in RECOMS_CORS_ORIGINS"
        )
    wanted = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_METHOD, "").upper()
    if wanted not in methods:
        return error_response(403, f"a browser may call this route with {', '.join(methods)}")
    return web.Response(
        status=204,
        headers={
            hdrs.ACCESS_CONTROL_ALLOW_METHODS: ", ".join(methods),
            hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ALLOWED_HEADERS,
            hdrs.ACCESS_CONTROL_MAX_AGE: MAX_AGE,
        },
    )
