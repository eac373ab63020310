"""Alternatives: in-stock substitutes for a product, of the same kind and a similar price."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from recoms.algorithms.bestsellers import bestseller_ranking
from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.model import Model
from recoms.algorithms.ranking import Scores, select
from recoms.algorithms.similar import in_price_band, kindred, likeness
from recoms.domain import ProductId


def alternatives(
    model: Model,
    catalog: CatalogView,
    products: Sequence[ProductId],
    *,
    limit: int,
    now: datetime,
    price_ratio_min: float = 0.7,
    price_ratio_max: float = 1.5,
    window_days: int = 90,
    in_stock_only: bool = True,
    exclude: Iterable[int] = (),
) -> list[ProductId]:
    """Products of the same category (or, without one, similar content) as ``products``,
    priced within ``[price_ratio_min, price_ratio_max]`` times the product's price, ranked by
    content similarity plus similarity of their buyers plus a little popularity; ties by
    product id. Never the given products; products the catalogue does not know get plain
    bestsellers."""
    given = catalog.indices(products)
    parts: list[Scores] = []
    for reference in given:
        members = kindred(catalog, reference)
        members = in_price_band(catalog, members, reference, price_ratio_min, price_ratio_max)
        content, alike, prior = likeness(
            model, catalog, reference, members, window_days=window_days, now=now
        )
        score = 1.0 + content + 0.5 * alike + 0.1 * prior
        parts.append(Scores(members, score))
    scores = Scores.concat(parts)
    # Every product of the kind within the band is scored already; bestsellers of other kinds
    # or prices are no substitutes, and only stand in for products the catalogue lacks.
    fill = () if given else (bestseller_ranking(model, catalog, window_days=window_days, now=now),)
    return select(
        catalog,
        scores,
        limit=limit,
        in_stock_only=in_stock_only,
        exclude=[*given, *exclude],
        fill=fill,
    )
