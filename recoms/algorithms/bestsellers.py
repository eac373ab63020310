"""Bestsellers: the products in most distinct orders over a recent window, in stock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.model import Model
from recoms.algorithms.ranking import IndexArray, Scores, select
from recoms.domain import ProductId


def bestseller_ranking(
    model: Model,
    catalog: CatalogView,
    *,
    window_days: int,
    now: datetime,
    category: str | None = None,
) -> IndexArray:
    """Catalogue indices of ordered products, most distinct orders in the window first, then
    most orders ever, then product id. With ``category``, only products of that category."""
    popularity = model.popularity(catalog, window_days=window_days, now=now)
    ranking = popularity.ranking[: popularity.ordered]
    if category is not None:
        ranking = ranking[catalog.in_category(category)[ranking]]
    return ranking


def bestsellers(
    model: Model,
    catalog: CatalogView,
    *,
    limit: int,
    window_days: int,
    now: datetime,
    in_stock_only: bool = True,
    category: str | None = None,
    exclude: Iterable[int] = (),
) -> list[ProductId]:
    """The ``limit`` bestsellers (see ``bestseller_ranking``), ``exclude`` left out."""
    ranking = bestseller_ranking(
        model, catalog, window_days=window_days, now=now, category=category
    )
    return select(
        catalog,
        Scores.empty(),
        limit=limit,
        in_stock_only=in_stock_only,
        exclude=exclude,
        fill=(ranking,),
    )
