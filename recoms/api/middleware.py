"""Errors mapped to JSON responses in one place, and who may call what (the two API keys)."""

from __future__ import annotations

import logging

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from recoms.api.access import ROUTES, Access, access_of, route_of
from recoms.api.keys import ACCESS, GRANTED, SETTINGS
from recoms.errors import Busy, Conflict, Forbidden, NotFound, RecomsError, Unavailable
from recoms.httpkit import basic_password, error_response, is_loopback, password_is, unauthorized

log = logging.getLogger(__name__)

PUBLIC_KEY_LIMIT = (
    "the public key reaches recommendation lists and tracker events only; "
    "this route needs the admin key (RECOMS_API_KEY)"
)
NOT_FOR_PAGES = (
    "this route is not for web pages; only the recommendation lists and tracker events "
    "answer pages of the origins in RECOMS_CORS_ORIGINS"
)
LOOPBACK_ONLY = (
    "without RECOMS_API_KEY the API answers only requests addressed to this machine "
    "(Host: localhost or 127.0.0.1)"
)


def _status_of(error: RecomsError) -> int:
    """Forbidden is 403, NotFound 404, Conflict and Busy 409, Unavailable 503; InvalidRequest,
    FeedError, ImportFileError and any other deliberate engine error are about what the caller
    sent: 400."""
    if isinstance(error, Unavailable):
        return 503
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, NotFound):
        return 404
    return 409 if isinstance(error, Conflict | Busy) else 400


def _message_of(exc: web.HTTPException, request: web.Request) -> str:
    if exc.status == 404:
        return f"no such endpoint: {request.method} {request.path}"
    if exc.status == 405:
        allowed = exc.headers.get(hdrs.ALLOW, "")
        return f"{request.method} is not allowed here; use {allowed}"
    # aiohttp's default text is "<status>: <reason>"; a specific one (413 names the limit) is
    # worth passing on as it is.
    text = (exc.text or "").removeprefix(f"{exc.status}: ")
    return text or exc.reason


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as ``{"error": code, "message": text}``; nothing leaves as a trace."""
    try:
        return await handler(request)
    except RecomsError as error:
        return error_response(_status_of(error), error.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        passed = {
            name: value
            for name, value in exc.headers.items()
            if name in (hdrs.ALLOW, hdrs.WWW_AUTHENTICATE)
        }
        return error_response(exc.status, _message_of(exc, request), headers=passed)
    except Exception:
        # The path only: a query string may hold a phone or an email.
        log.exception("Unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal error; it has been logged")


def _foreign_origin(request: web.Request) -> str | None:
    """The ``Origin`` of a page on another site than this server, if a browser sent one."""
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return None
    _scheme, _, authority = origin.partition("://")
    return None if authority and authority == request.host else origin


def _addressed_to_loopback(request: web.Request) -> bool:
    # A page the developer has open may resolve its own name to 127.0.0.1 (DNS rebinding);
    # its requests then name that host, not this machine.
    host = request.host
    name = host.rpartition("]")[0] + "]" if host.startswith("[") else host.rpartition(":")[0]
    return is_loopback(name or host)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTTP Basic with a key as the password and any user name, as Yespo's API asks.

    The admin key reaches every route; the public key the routes a shop's web page calls.
    Without an admin key (local development; the server then listens on loopback only)
    every route is open to requests addressed to this machine."""
    if request.match_info.http_exception is not None:
        # No route: the 404 or 405 (with ``Allow``) says only what the published document
        # says, so it needs no key.
        return await handler(request)
    settings = request.app[SETTINGS]
    # An app assembled from the API's routes without ``create_app`` gets the API's table.
    declared = request.app.get(ACCESS)
    needed = access_of(route_of(request), ROUTES if declared is None else declared)
    if needed is Access.OPEN:
        return await handler(request)
    origin = _foreign_origin(request)
    if origin is not None and not (needed is Access.PUBLIC and origin in settings.cors_origins):
        return error_response(403, NOT_FOR_PAGES)
    admin_key = settings.admin_key()
    if admin_key is None:
        if not _addressed_to_loopback(request):
            return error_response(403, LOOPBACK_ONLY)
        request[GRANTED] = Access.ADMIN
        return await handler(request)
    password = basic_password(request.headers.get(hdrs.AUTHORIZATION))
    if password_is(password, admin_key):
        request[GRANTED] = Access.ADMIN
    elif password_is(password, settings.browser_key() or ""):
        if needed is not Access.PUBLIC:
            return error_response(403, PUBLIC_KEY_LIMIT)
        request[GRANTED] = Access.PUBLIC
    else:
        return unauthorized()
    return await handler(request)
