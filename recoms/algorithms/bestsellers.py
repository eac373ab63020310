"""Bestsellers: the products in most distinct orders over a recent window, in stock."""

from __future__ import annotations

from collections.abc import Sequence

from recoms.algorithms.ranking import IndexArray, Scores, select
from recoms.algorithms.request import Request
from recoms.domain import ProductId


def bestseller_ranking(
    request: Request, *, category: str | Sequence[str] | None = None
) -> IndexArray:
    """Catalogue indices of ordered products, most distinct orders in the data source's
    window first, then most orders ever, then product id. A shop without any order yet gets
    its whole catalogue in its feed's order (the shop's own choice of what to show first).
    With ``category``, only products of that category (of any of them, for several)."""
    popularity = request.popularity
    if popularity.ordered:
        ranking = popularity.ranking[: popularity.ordered]
    else:
        ranking = request.catalog.feed_order
    if category is not None:
        ranking = ranking[request.catalog.in_category(category)[ranking]]
    return ranking


def bestsellers(request: Request) -> list[ProductId]:
    """The ``limit`` bestsellers (see ``bestseller_ranking``) of the request's category, or of
    all when it names none."""
    params = request.params
    return select(
        request.catalog,
        Scores.empty(),
        limit=params.limit,
        in_stock_only=params.in_stock_only,
        exclude=request.purchased(),
        fill=(bestseller_ranking(request, category=request.category),),
    )
