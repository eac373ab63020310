"""Data sources: the named lists (an algorithm and its params) recommendations are asked by."""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import MAX_LIMIT, Algorithm, DataSource, DataSourceId, DataSourceParams
from recoms.errors import InvalidRequest, NotFound
from recoms.storage.repositories import CounterRepository, DataSourceRepository

DATA_SOURCES_COUNTER = "data_sources"
"""Bumped by every data source change, so serving processes know to reload their copy."""
MAX_NAME = 200
MAX_WINDOW_DAYS = 3650
MAX_PRICE_RATIO = 100
MAX_CURATED = 1000
MAX_PRODUCT_ID = 200


async def get(session: AsyncSession, data_source_id: DataSourceId) -> DataSource:
    """Raises ``NotFound``."""
    source = await DataSourceRepository(session).get(data_source_id)
    if source is None:
        raise NotFound("data source", data_source_id)
    return source


async def create(
    session: AsyncSession, name: str, algorithm: Algorithm, params: DataSourceParams
) -> DataSource:
    """Raises ``InvalidRequest`` for an empty name, an unknown algorithm or params out of
    range; then nothing is written."""
    name = validate_name(name)
    try:
        algorithm = Algorithm(algorithm)
    except ValueError:
        known = ", ".join(str(item) for item in Algorithm)
        raise InvalidRequest(f"unknown algorithm {algorithm!r}; known: {known}") from None
    validate_params(params)
    created = await DataSourceRepository(session).create(name, algorithm, params)
    await CounterRepository(session).bump(DATA_SOURCES_COUNTER)
    return created


async def update(
    session: AsyncSession,
    data_source_id: DataSourceId,
    *,
    name: str | None,
    params: DataSourceParams | None,
) -> DataSource:
    """Raises ``NotFound`` and ``InvalidRequest`` (as ``create``)."""
    if name is not None:
        name = validate_name(name)
    if params is not None:
        validate_params(params)
    source = await DataSourceRepository(session).update(data_source_id, name=name, params=params)
    if source is None:
        raise NotFound("data source", data_source_id)
    await CounterRepository(session).bump(DATA_SOURCES_COUNTER)
    return source


def validate_name(name: str) -> str:
    """``name`` stripped; raises ``InvalidRequest`` when empty or too long."""
    name = name.strip()
    if not name:
        raise InvalidRequest("the name must not be empty")
    if len(name) > MAX_NAME:
        raise InvalidRequest(f"the name is too long (at most {MAX_NAME} characters)")
    return name


def validate_params(params: DataSourceParams) -> None:
    """Raises ``InvalidRequest`` naming the first parameter out of range."""
    if not 1 <= params.limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}, not {params.limit}")
    if not 1 <= params.window_days <= MAX_WINDOW_DAYS:
        raise InvalidRequest(
            f"window_days must be between 1 and {MAX_WINDOW_DAYS}, not {params.window_days}"
        )
    for name in ("price_ratio_min", "price_ratio_max"):
        value = getattr(params, name)
        if not (math.isfinite(value) and 0 < value <= MAX_PRICE_RATIO):
            raise InvalidRequest(
                f"{name} must be a number above 0 and at most {MAX_PRICE_RATIO}, not {value}"
            )
    if params.price_ratio_min > params.price_ratio_max:
        raise InvalidRequest("price_ratio_min must not be above price_ratio_max")
    if params.exclude_purchased and params.purchased_only:
        raise InvalidRequest("exclude_purchased and purchased_only leave nothing to list together")
    if len(params.product_ids) > MAX_CURATED:
        raise InvalidRequest(f"product_ids may hold at most {MAX_CURATED} ids")
    for pid in params.product_ids:
        if not pid.strip() or len(pid) > MAX_PRODUCT_ID:
            raise InvalidRequest(f"bad product id {pid[:40]!r} in product_ids")
