"""Errors mapped to JSON responses in one place, and HTTP Basic auth with the API key."""

from __future__ import annotations

import base64
import hmac
import logging

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from recoms.api.keys import OPEN_PATHS, SETTINGS
from recoms.errors import NotFound, RecomsError, Unavailable

log = logging.getLogger(__name__)

ALWAYS_OPEN = frozenset({"/healthz", "/openapi.json", "/docs"})
"""What a load balancer or a developer may read without the API key."""

ERROR_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


def error_response(
    status: int, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    code = ERROR_CODES.get(status, "invalid_request" if status < 500 else "internal_error")
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def _status_of(error: RecomsError) -> int:
    """NotFound is 404, Unavailable 503; InvalidRequest, FeedError, ImportFileError and any
    other deliberate engine error are about what the caller sent: 400."""
    if isinstance(error, Unavailable):
        return 503
    return 404 if isinstance(error, NotFound) else 400


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
        log.exception("Unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal error; it has been logged")


def _basic_password(header: str | None) -> str | None:
    """The password of an HTTP Basic ``Authorization`` header, or None when there is none.

    Decoded here because aiohttp deprecates ``BasicAuth`` and offers only an encoder now."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    _user, colon, password = decoded.partition(":")
    return password if colon else None


def _authorized(header: str | None, key: str) -> bool:
    password = _basic_password(header)
    return password is not None and hmac.compare_digest(password.encode(), key.encode())


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTTP Basic with the API key as password and any user name, as Yespo's API asks."""
    api_key = request.app[SETTINGS].api_key
    key = api_key.get_secret_value() if api_key is not None else ""
    # An empty RECOMS_API_KEY= reads as "no key", as an unset one does.
    # An app assembled from the API's routes without ``create_app`` opens the usual paths.
    if not key or request.path in request.app.get(OPEN_PATHS, ALWAYS_OPEN):
        return await handler(request)
    if not _authorized(request.headers.get(hdrs.AUTHORIZATION), key):
        return error_response(
            401,
            "valid credentials are required: HTTP Basic with the API key as the password",
            headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="recoms", charset="UTF-8"'},
        )
    return await handler(request)
