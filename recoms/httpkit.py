"""HTTP pieces the engine's API and the bot's endpoints share: Basic credentials, JSON errors."""

from __future__ import annotations

import base64
import functools
import hmac
import ipaddress
import logging

from aiohttp import hdrs, web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

ERROR_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    431: "headers_too_large",
    503: "unavailable",
}

CREDENTIALS_REQUIRED = (
    "valid credentials are required: HTTP Basic with the API key as the password"
)
CHALLENGE: dict[str, str] = {hdrs.WWW_AUTHENTICATE: 'Basic realm="recoms", charset="UTF-8"'}
"""Sent with every 401, so that a client knows which scheme to use."""


def error_body(status: int, message: str) -> dict[str, str]:
    """``{"error": code, "message": text}``: the one shape every error of every endpoint has."""
    code = ERROR_CODES.get(status, "invalid_request" if status < 500 else "internal_error")
    return {"error": code, "message": message}


def error_response(
    status: int, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(error_body(status, message), status=status, headers=headers)


def readiness_response(reasons: list[str]) -> web.Response:
    """``/readyz``'s answer: 200 ``ready``, or 503 ``not ready`` when there are ``reasons``.

    The reasons go to the log, not to the caller: the route is open (a load balancer has no
    key), and they name hosts and errors a stranger has no business learning."""
    if reasons:
        log.info("not ready: %s", "; ".join(reasons))
        return web.json_response({"status": "not ready"}, status=503)
    return web.json_response({"status": "ready"})


METRICS = web.AppKey("metrics_registries", list[CollectorRegistry])
"""The registries ``/metrics`` serves: the engine's API's, and the bot's when it embeds it."""


def metrics_response(registries: list[CollectorRegistry]) -> web.Response:
    """Prometheus' text format (0.0.4, which every Prometheus reads) of every registry; their
    metric names do not overlap."""
    body = b"".join(generate_latest(registry) for registry in registries)
    return web.Response(body=body, headers={hdrs.CONTENT_TYPE: CONTENT_TYPE_PLAIN_0_0_4})


def unauthorized() -> web.Response:
    return error_response(401, CREDENTIALS_REQUIRED, headers=CHALLENGE)


def basic_password(header: str | None) -> str | None:
    """The password of an HTTP Basic ``Authorization`` header, or None when there is none.

    Decoded here because aiohttp deprecates ``BasicAuth`` and offers only an encoder now. The
    user name is ignored: Yespo's API takes any, with the key as the password."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    _user, colon, password = decoded.partition(":")
    return password if colon else None


def password_is(password: str | None, key: str) -> bool:
    """Whether ``password`` is ``key``, compared in constant time; an empty key matches nothing."""
    return (
        password is not None and bool(key) and hmac.compare_digest(password.encode(), key.encode())
    )


@functools.lru_cache(maxsize=1024)
def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` (an address or ``localhost``) reaches this machine only.

    Asked of every request's host without a key: remembered for the few hosts there are."""
    name = host.strip().removeprefix("[").removesuffix("]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def keyless_notice(key_setting: str) -> str:
    """What a server without a key says at start."""
    return (
        f"no {key_setting}: every route is open, so only this machine may connect "
        f"(loopback); set {key_setting} to serve other hosts"
    )


def keyless_bind_refusal(host: str, *, key_setting: str) -> str | None:
    """Why listening on ``host`` without an API key is refused, or None when it is loopback.

    Without a key every route is open, customers' phones and emails included, so only this
    machine may reach it."""
    if is_loopback(host):
        return None
    return (
        f"refusing to listen on {host or 'every address'} without {key_setting}: every route "
        f"would be open to the network; set {key_setting} or listen on 127.0.0.1"
    )
