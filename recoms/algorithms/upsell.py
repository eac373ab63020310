"""You may also like (upsell): pricier products of the same kind, then complementary ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from recoms.algorithms.also_bought import fallback_rankings
from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.model import Model
from recoms.algorithms.ranking import Scores, gather, select
from recoms.algorithms.similar import in_price_band, kindred, likeness
from recoms.domain import ProductId


def upsell(
    model: Model,
    catalog: CatalogView,
    products: Sequence[ProductId],
    *,
    limit: int,
    now: datetime,
    price_ratio_max: float = 1.5,
    window_days: int = 90,
    in_stock_only: bool = True,
    exclude: Iterable[int] = (),
) -> list[ProductId]:
    """Products of the same category (or similar content) as ``products``, pricier than the
    product but at most ``price_ratio_max`` times its price, first; ranked by how alike they
    are (content, customers in common) and how often ordered. Then products bought together
    with ``products``; then bestsellers. Ties by product id; never the given products, nor
    products of their kind that cost no more than them."""
    given = catalog.indices(products)
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
        members = in_price_band(catalog, members, reference, 1.0, price_ratio_max)
        offered.update(members.tolist())
        content, alike, prior = likeness(
            model, catalog, reference, members, window_days=window_days, now=now
        )
        score = 2.0 + 0.5 * content + 0.5 * alike + 0.25 * prior
        parts.append(Scores(members, score))
    alignment = model.alignment(catalog)
    seeds = model.model_indices(products)
    seeds = seeds[seeds >= 0]
    # Complements score below 1, beneath every pricier product of the same kind.
    complements = gather(
        model.basket_neighbours, seeds, np.ones(seeds.size), alignment.to_catalog
    ).normalised()
    parts.append(complements.scaled(0.99))
    return select(
        catalog,
        Scores.concat(parts),
        limit=limit,
        in_stock_only=in_stock_only,
        exclude=[*given, *exclude, *(cheaper - offered)],
        fill=fallback_rankings(model, catalog, given, window_days=window_days, now=now),
    )
