"""How a Bot API method of the local server is named, called and given its parameters."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.localapi.errors import ApiError
from bot.localapi.state import BotApiState


@dataclass
class Upload:
    """A file sent in a multipart body."""

    filename: str
    content_type: str
    content: bytes


@dataclass
class Params:
    """A method's parameters from a query string, JSON, form or multipart body."""

    values: Mapping[str, Any]
    uploads: Mapping[str, Upload] = field(default_factory=dict)

    def raw(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value == "" and name not in ("text", "caption") else value

    def text(self, name: str) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, empty: str | None = None) -> int | None:
        value = self.raw(name)
        if value is None:
            if empty is not None:
                raise ApiError.bad_request(empty)
            return None
        if isinstance(value, bool):
            raise ApiError.bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f'field "{name}" must be of type Integer') from None

    def number(self, name: str, empty: str) -> float:
        value = self.raw(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ApiError.bad_request(empty)
        if isinstance(value, bool):
            raise ApiError.bad_request(f'field "{name}" must be of type Float')
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f'field "{name}" must be of type Float') from None

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def decoded(self, name: str, what: str = "JSON object") -> Any:
        value = self.raw(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError.bad_request(f"can't parse {what}") from None
        return value


@dataclass
class Context:
    """What a method may use besides the state: the server's HTTP client and switches."""

    state: BotApiState
    http: aiohttp.ClientSession | None = None
    fetch_photos: bool = False
    inline_mode: bool = True


Handler = Callable[[Context, Params], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = handler
        return handler

    return register


async def call(context: Context, name: str, params: Params) -> Any:
    """Run the Bot API method ``name`` (case-insensitive); unknown ones are 404 as Telegram's."""
    handler = METHODS.get(name.lower())
    if handler is None:
        raise ApiError(404, "Not Found")
    return await handler(context, params)
