"""You may also like (upsell): pricier products of the same kind, then complementary ones."""

from __future__ import annotations

import numpy as np

from recoms.algorithms.also_bought import fallback_rankings
from recoms.algorithms.ranking import Scores, gather, select
from recoms.algorithms.request import Request
from recoms.algorithms.similar import in_price_band, kindred, likeness
from recoms.domain import ProductId


def upsell(request: Request) -> list[ProductId]:
    """Products of the same category (or similar content) as the request's products, pricier
    than the product but at most ``price_ratio_max`` times its price, first; ranked by how
    alike they are (content, customers in common) and how often ordered. Then products bought
    together with them; then bestsellers. Ties by product id; never the given products, nor
    products of their kind that cost no more than them. With the request's category, only
    products of it."""
    aligned, catalog, params = request.aligned, request.catalog, request.params
    given = catalog.indices(request.products)
    parts: list[Scores] = []
    cheaper: set[int] = set()
    offered: set[int] = set()
    for reference in given:
        members = kindred(catalog, reference)
        base = float(catalog.price[reference])
        if not np.isnan(base):
            # A cheaper product of the same kind is a step down: never on this list.
            cheaper.update(members[catalog.price[members] <= base].tolist())
            members = members[catalog.price[members] > base]
        members = in_price_band(catalog, members, reference, 1.0, params.price_ratio_max)
        offered.update(members.tolist())
        content, alike, prior = likeness(request, reference, members)
        score = 2.0 + 0.5 * content + 0.5 * alike + 0.25 * prior
        parts.append(Scores(members, score))
    seeds = aligned.model_indices(request.products)
    seeds = seeds[seeds >= 0]
    # Complements score below 1, beneath every pricier product of the same kind.
    complements = gather(
        aligned.model.basket_neighbours, seeds, np.ones(seeds.size), aligned.to_catalog
    ).normalised()
    parts.append(complements.scaled(0.99))
    return select(
        catalog,
        Scores.concat(parts),
        limit=params.limit,
        in_stock_only=params.in_stock_only,
        exclude=[*given, *request.purchased(), *(cheaper - offered)],
        fill=fallback_rankings(request, given),
        within=request.in_categories(),
    )
