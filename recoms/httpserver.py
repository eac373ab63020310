"""The runner that serves the API and the bot's web app: JSON even for what HTTP refuses."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import http_exceptions, web
from aiohttp.abc import AbstractAccessLogger

from recoms.httpkit import error_response

log = logging.getLogger(__name__)
access_log = logging.getLogger("recoms.access")

TOO_MANY_HEADERS = "Too many headers received"
"""The text of aiohttp's parser for more headers than its ``max_headers``."""


class AccessLog(AbstractAccessLogger):
    """One line per request with its path and never its query string, which may hold a
    phone or an email. The record carries the fields as extras too (``method``, ``route``:
    the template the path matched, ``path``, ``status``, ``duration_ms``, ``bytes``), which
    the JSON log format writes out."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        duration_ms = round(time * 1000, 1)
        self.logger.info(
            '%s "%s %s" %s %.1f ms %s bytes',
            request.remote,
            request.method,
            request.path,
            response.status,
            duration_ms,
            response.body_length,
            extra={
                "remote": request.remote,
                "method": request.method,
                "route": _route_template(request),
                "path": request.path,
                "status": response.status,
                "duration_ms": duration_ms,
                "bytes": response.body_length,
            },
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def _route_template(request: web.BaseRequest) -> str | None:
    """The route's path template (``/api/v2/contacts/recoms/{dataSourceId}``), or None for a
    request that matched no route."""
    match = request.match_info if isinstance(request, web.Request) else None
    if match is None or match.http_exception is not None or match.route.resource is None:
        return None
    return match.route.resource.canonical


def refusal(exc: BaseException | None, *, max_line: int, max_field: int) -> tuple[int, str]:
    """The status and message for a request aiohttp's HTTP parser refused.

    Never quotes what was sent: the parser's own text repeats the start of the request line,
    query string included."""
    if isinstance(exc, http_exceptions.LineTooLong):
        # The parser says only which limit it hit (so the API's two limits differ), and the
        # start of what it read: a URL, or a header's name or value.
        if max_line != max_field:
            on_request_line = len(exc.args) > 1 and exc.args[1] == max_line
        else:
            start = exc.args[0] if exc.args else b""
            on_request_line = isinstance(start, bytes | bytearray) and start.startswith(
                (b"/", b"http")
            )
        if on_request_line:
            return 414, f"the request line is too long (at most {max_line} bytes)"
        return 431, f"a request header is too long (at most {max_field} bytes)"
    if isinstance(exc, http_exceptions.BadHttpMessage) and exc.message == TOO_MANY_HEADERS:
        return 431, "too many request headers"
    if isinstance(exc, http_exceptions.PayloadEncodingError):
        return 400, "the request body does not match its Content-Length or chunked encoding"
    if isinstance(exc, http_exceptions.InvalidHeader):
        return 400, "a request header is not valid HTTP"
    if isinstance(exc, http_exceptions.BadStatusLine):
        return 400, "the request line is not valid HTTP"
    return 400, "the request is not valid HTTP"


class _JsonErrorHandler(web.RequestHandler):
    """aiohttp answers what its parser refuses in plain text, quoting the request line, and
    offers no hook for it (aio-libs/aiohttp#3287): this is that hook."""

    __slots__ = ()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("a response is partly sent; no error can follow it")
        if status >= 500:
            log.error("Unexpected error on %s %s", request.method, request.path, exc_info=exc)
            text = "internal error; it has been logged"
        else:
            status, text = refusal(exc, max_line=self.max_line_size, max_field=self.max_field_size)
            log.info("Refused a request from %s: %s", request.remote, text)
        response = error_response(status, text)
        response.force_close()
        return response


class _JsonErrorServer(web.Server):
    def __call__(self) -> web.RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class ApiRunner(web.AppRunner):
    """``web.AppRunner`` whose connections answer every refused request in the API's JSON
    shape, with an access log (``recoms.access``, INFO) that holds no query strings.

    ``access_log=None`` turns the access log off."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        kwargs.setdefault("access_log", access_log)
        super().__init__(app, **{**kwargs, "access_log_class": AccessLog})

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # The application builds a plain Server; only its connection factory differs.
        server.__class__ = _JsonErrorServer
        return server
