"""Alternatives: in-stock substitutes for a product, of the same kind and a similar price."""

from __future__ import annotations

from recoms.algorithms.bestsellers import bestseller_ranking
from recoms.algorithms.ranking import Scores, select
from recoms.algorithms.request import Request
from recoms.algorithms.similar import in_price_band, kindred, likeness
from recoms.domain import ProductId


def alternatives(request: Request) -> list[ProductId]:
    """Products of the same category (or, without one, similar content) as the request's
    products, priced within ``[price_ratio_min, price_ratio_max]`` times the product's price,
    ranked by content similarity plus similarity of their buyers plus a little popularity;
    ties by product id. Never the given products; products the catalogue does not know get
    plain bestsellers. With the request's category, only products of it."""
    catalog, params = request.catalog, request.params
    given = catalog.indices(request.products)
    parts: list[Scores] = []
    for reference in given:
        members = kindred(catalog, reference)
        members = in_price_band(
            catalog, members, reference, params.price_ratio_min, params.price_ratio_max
        )
        content, alike, prior = likeness(request, reference, members)
        score = 1.0 + content + 0.5 * alike + 0.1 * prior
        parts.append(Scores(members, score))
    scores = Scores.concat(parts)
    # Every product of the kind within the band is scored already; bestsellers of other kinds
    # or prices are no substitutes, and only stand in for products the catalogue lacks.
    fill = () if given else (bestseller_ranking(request),)
    return select(
        catalog,
        scores,
        limit=params.limit,
        in_stock_only=params.in_stock_only,
        exclude=[*given, *request.purchased()],
        fill=fill,
        within=request.in_categories(),
    )
