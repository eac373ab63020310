"""The recommendation algorithms: pure, synchronous, deterministic; arrays in, ranked ids out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from recoms.algorithms.also_bought import also_bought
from recoms.algorithms.alternatives import alternatives
from recoms.algorithms.bestsellers import bestsellers
from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.curated import curated
from recoms.algorithms.history import ContactHistory, OrderHistory
from recoms.algorithms.model import BuildParams, Model, build_model
from recoms.algorithms.personal import personal
from recoms.algorithms.upsell import upsell
from recoms.domain import Algorithm, DataSource, ProductId, Purchase

__all__ = [
    "BuildParams",
    "CatalogView",
    "ContactHistory",
    "Model",
    "OrderHistory",
    "Purchase",
    "build_model",
    "recommend",
]


def recommend(
    model: Model,
    catalog: CatalogView,
    source: DataSource,
    *,
    history: ContactHistory | None,
    products: Sequence[ProductId] = (),
    category: str | None = None,
    now: datetime,
) -> list[ProductId]:
    """The data source's list, best first (at most ``source.params.limit``, capped at 50).

    ``history`` is the contact's (None for an unknown contact: visitor lists fall back to
    bestsellers); ``products`` are the reference products of product-based algorithms (never
    returned by them); ``category`` narrows bestsellers. Products the catalogue does not offer
    never appear, nor out-of-stock ones with ``in_stock_only``, nor, with ``exclude_purchased``,
    anything the contact bought. The same inputs always give the same list."""
    params = source.params
    exclude: list[int] = []
    if params.exclude_purchased and history is not None:
        exclude = catalog.indices(history.purchased_ids)
    match source.algorithm:
        case Algorithm.PERSONAL:
            return personal(
                model,
                catalog,
                history,
                now=now,
                window_days=params.window_days,
                exclude_purchased=params.exclude_purchased,
                limit=params.limit,
                in_stock_only=params.in_stock_only,
            )
        case Algorithm.BESTSELLERS:
            return bestsellers(
                model,
                catalog,
                window_days=params.window_days,
                now=now,
                category=category,
                exclude=exclude,
                limit=params.limit,
                in_stock_only=params.in_stock_only,
            )
        case Algorithm.ALSO_BOUGHT:
            return also_bought(
                model,
                catalog,
                products,
                now=now,
                window_days=params.window_days,
                exclude=exclude,
                limit=params.limit,
                in_stock_only=params.in_stock_only,
            )
        case Algorithm.YOU_MAY_ALSO_LIKE:
            return upsell(
                model,
                catalog,
                products,
                now=now,
                price_ratio_max=params.price_ratio_max,
                window_days=params.window_days,
                exclude=exclude,
                limit=params.limit,
                in_stock_only=params.in_stock_only,
            )
        case Algorithm.ALTERNATIVES:
            return alternatives(
                model,
                catalog,
                products,
                now=now,
                price_ratio_min=params.price_ratio_min,
                price_ratio_max=params.price_ratio_max,
                window_days=params.window_days,
                exclude=exclude,
                limit=params.limit,
                in_stock_only=params.in_stock_only,
            )
        case Algorithm.OTHER:
            purchased = (
                history.purchased_ids if params.exclude_purchased and history is not None else ()
            )
            return curated(
                catalog,
                params.product_ids,
                exclude=[*products, *purchased],
                limit=params.limit,
                in_stock_only=params.in_stock_only,
            )
    raise ValueError(f"unknown algorithm {source.algorithm!r}")
