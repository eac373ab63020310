"""The engine's HTTP API (aiohttp): Yespo-compatible recommendations and the engine's own."""

from __future__ import annotations

from recoms.api.access import Access
from recoms.api.app import create_app

__all__ = ["Access", "create_app"]
