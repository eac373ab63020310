"""Drivers that are optional extras of the package, checked for only when a URL needs them.

PostgreSQL (asyncpg) and Redis (redis) are the scale-out path; a shop on SQLite installs
neither. A URL that needs one that is missing gets a one-line error naming the extra.
"""

from __future__ import annotations

import importlib.util

from sqlalchemy import URL, make_url

from recoms.errors import RecomsError

# The package's extras, by the module a URL needs (pyproject.toml's optional-dependencies).
EXTRA_OF_MODULE = {"asyncpg": "postgres", "redis": "redis"}


class MissingDriver(RecomsError):
    """A configured URL needs a driver that is not installed."""


def require_database_driver(url: str | URL) -> None:
    """Raise ``MissingDriver`` when an SQLAlchemy URL's driver is an extra not installed."""
    parsed = make_url(url)
    _require(parsed.get_driver_name(), f"a {parsed.drivername}:// database URL")


def require_redis_driver() -> None:
    """Raise ``MissingDriver`` when Redis is configured but its client is not installed."""
    _require("redis", "a redis:// URL")


def _require(module: str, needed_by: str) -> None:
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None or importlib.util.find_spec(module) is not None:
        return
    raise MissingDriver(
        f"{needed_by} needs the {module} package, which is not installed: "
        f"pip install 'recoms-bot[{extra}]'"
    )
