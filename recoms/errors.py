"""Errors the engine raises; the API maps them to HTTP statuses in one place."""

from __future__ import annotations


class RecomsError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(RecomsError):
    """The caller asked for something malformed (HTTP 400)."""


class NotFound(RecomsError):
    """A named thing does not exist (HTTP 404)."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class Forbidden(RecomsError):
    """The caller's key does not reach what the request asks, such as an event naming a
    person sent with the public key (HTTP 403)."""


class Conflict(RecomsError):
    """The request clashes with what is stored, such as linking a contact that another
    Telegram user holds (HTTP 409)."""


class FeedError(RecomsError):
    """A feed cannot be read at all: hostile or malformed XML, unreachable URL."""


class ImportFileError(RecomsError):
    """An order or event file cannot be read at all (wrong columns, wrong encoding)."""


class Busy(RecomsError):
    """Another run of the same work holds the engine (an import of the same kind): HTTP 409."""


class Unavailable(RecomsError):
    """The database cannot be reached (down, refusing, out of connections): try again later
    (HTTP 503). The request itself may be fine."""
