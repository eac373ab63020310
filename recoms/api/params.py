"""Turning query strings, path segments and bodies into validated models, or a clear 400."""

from __future__ import annotations

import json
from typing import Any, TypeVar, get_origin

from aiohttp import web
from multidict import MultiMapping
from pydantic import BaseModel, ValidationError

from recoms.api.access import route_of
from recoms.api.queries import INPUTS, Inputs, Parameters
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


def _declared(request: web.Request) -> Inputs:
    route = route_of(request)
    inputs = INPUTS.get(route) if route is not None else None
    if inputs is None:
        raise LookupError(f"recoms.api.queries.INPUTS names no parameters for {route}")
    return inputs


def _checked(model: type[Model], declared: type[Parameters] | None, request: web.Request) -> None:
    # The document lists the declared model's fields: a handler reading another would drift.
    if model is not declared:
        raise LookupError(
            f"{request.method} {request.path}: {model.__name__} is not the model "
            "recoms.api.queries.INPUTS declares"
        )


def path_params(model: type[Model], request: web.Request) -> Model:
    """The route's path segments validated against ``model``, the one ``INPUTS`` declares."""
    _checked(model, _declared(request).path, request)
    return validate(model, dict(request.match_info))


def query_params(model: type[Model], request: web.Request) -> Model:
    """The query string validated against ``model``, the one ``INPUTS`` declares.

    Array parameters may be repeated (``products=a&products=b``), comma-separated
    (``products=a,b``), PHP-style (``products[]=a``) or any mix; blank items are dropped.
    Any other parameter may appear once; an empty value counts as absent. Parameters the
    model does not name are ignored."""
    _checked(model, _declared(request).query, request)
    return validate(model, query_data(model, request.query))


def query_data(model: type[BaseModel], query: MultiMapping[str]) -> dict[str, Any]:
    """The query values of the parameters ``model`` names, arrays as lists of raw items."""
    names = {field.alias or name: field for name, field in model.model_fields.items()}
    data: dict[str, Any] = {}
    for raw_key, value in query.items():
        key = raw_key.removesuffix("[]")
        field = names.get(key)
        if field is None:
            continue
        if get_origin(field.annotation) is list:
            # Items are checked one by one (and counted) by the model.
            data.setdefault(key, []).extend(value.split(","))
        elif len(value) > MAX_QUERY_VALUE:
            raise InvalidRequest(f"{key} is too long (at most {MAX_QUERY_VALUE} characters)")
        elif value == "":
            continue
        elif key in data:
            raise InvalidRequest(f"{key} must be given once")
        else:
            data[key] = value
    return data


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
    """The JSON body validated strictly against ``model``, as the document states its types:
    ``"10"`` or ``10.0`` is not an integer, nor ``0`` a boolean."""
    data = await json_body(request)
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object")
    try:
        return model.model_validate_json(await request.read(), strict=True)
    except ValidationError as error:
        raise InvalidRequest(describe(error)) from None
