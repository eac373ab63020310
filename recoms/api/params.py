"""Turning query strings, path segments and bodies into validated models, or a clear 400."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from multidict import MultiMapping
from pydantic import BaseModel, ValidationError

from recoms.errors import InvalidRequest

Model = TypeVar("Model", bound=BaseModel)

MAX_QUERY_VALUE = 4096
"""No single query value needs more; longer ones are refused before any parsing."""


def describe(error: ValidationError) -> str:
    """A pydantic error as one line a person can read, e.g. ``limit: must be <= 50``.

    The offending input is never echoed: it may be huge or carry personal data."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def validate(model: type[Model], data: Any) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest(describe(error)) from None


def query_model(
    model: type[Model], query: MultiMapping[str], *, arrays: tuple[str, ...] = ()
) -> Model:
    """Validate a query string against ``model``.

    Array parameters may be repeated (``products=a&products=b``), comma-separated
    (``products=a,b``), PHP-style (``products[]=a``) or any mix; empty items are dropped.
    Any other parameter may appear once; empty values count as absent."""
    data: dict[str, Any] = {}
    for raw_key, value in query.items():
        key = raw_key.removesuffix("[]")
        if key in arrays:
            # Items are bounded one by one (and in number) by the model.
            items = data.setdefault(key, [])
            items.extend(item.strip() for item in value.split(",") if item.strip())
        elif len(value) > MAX_QUERY_VALUE:
            raise InvalidRequest(f"{key} is too long (at most {MAX_QUERY_VALUE} characters)")
        elif value.strip() == "":
            continue
        elif key in data:
            raise InvalidRequest(f"{key} must be given once")
        else:
            data[key] = value
    return validate(model, data)


def path_int(request: web.Request, name: str, *, maximum: int) -> int:
    """A positive integer path segment, or a 400 naming it."""
    raw = request.match_info[name]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not 1 <= int(raw) <= maximum:
        raise InvalidRequest(f"{name} must be a positive integer")
    return int(raw)


async def json_body(request: web.Request) -> Any:
    """The request body parsed as JSON, whatever the Content-Type (trackers send text/plain
    to spare the browser a CORS preflight). Size is bounded by the app's client_max_size."""
    raw = await request.read()
    if not raw.strip():
        raise InvalidRequest("the request body is empty; a JSON document is expected")
    try:
        return json.loads(raw)
    except RecursionError:
        raise InvalidRequest("the request body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidRequest(f"the request body is not valid JSON: {error}") from None


async def body_model(model: type[Model], request: web.Request) -> Model:
    data = await json_body(request)
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object")
    return validate(model, data)
