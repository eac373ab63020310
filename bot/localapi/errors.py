"""Bot API errors in Telegram's shape: HTTP status, description and parameters."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API call that fails; answered as ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, f"Bad Request: {message}")

    @classmethod
    def forbidden(cls, message: str) -> ApiError:
        return cls(403, f"Forbidden: {message}")

    @classmethod
    def conflict(cls, message: str) -> ApiError:
        return cls(409, f"Conflict: {message}")

    @classmethod
    def too_many_requests(cls, retry_after: int) -> ApiError:
        return cls(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


NOT_FOUND = ApiError(404, "Not Found")
UNAUTHORIZED = ApiError(401, "Unauthorized")
