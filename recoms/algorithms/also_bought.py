"""Also bought: products bought together with the given ones (cart cross-sell)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from recoms.algorithms.bestsellers import bestseller_ranking
from recoms.algorithms.ranking import IndexArray, Scores, gather, select, taste_scores
from recoms.algorithms.request import Request
from recoms.domain import ProductId


def also_bought(request: Request) -> list[ProductId]:
    """Products most often bought with the request's products (normalised co-purchase summed
    over them, the model's ``AlsoBoughtParams``; with ``factor_weight`` the factor model's
    taste of the basket added), best first, ties by product id; never the given products
    themselves.

    Short lists are filled with bestsellers of the given products' categories, then with
    bestsellers, so that products the orders do not know yet still get a list."""
    aligned, catalog, products = request.aligned, request.catalog, request.products
    model = aligned.model
    params = model.settings.also_bought
    seeds = aligned.model_indices(products)
    seeds = seeds[seeds >= 0]
    weights = np.ones(seeds.size)
    scores = Scores.concat(
        (
            gather(model.basket_neighbours, seeds, weights, aligned.to_catalog),
            gather(
                model.customer_neighbours,
                seeds,
                weights * params.customer_weight,
                aligned.to_catalog,
            ),
        )
    )
    if params.similarity_power != 1.0:
        scores = Scores(scores.index, np.power(scores.score, params.similarity_power))
    if params.factor_weight > 0:
        # The basket as one order of each product, placed in the factor model's space of
        # tastes: it knows pairs no basket held, at the price of precision.
        scores = scores.normalised()
        basket = list(dict.fromkeys(products))
        taste = taste_scores(request, basket, np.ones(len(basket)), scores, params.factor_weight)
        scores = Scores.concat((scores, taste))
    given = catalog.indices(products)
    return select(
        catalog,
        scores,
        limit=request.params.limit,
        in_stock_only=request.params.in_stock_only,
        exclude=[*given, *request.purchased()],
        fill=fallback_rankings(request, given),
    )


def fallback_rankings(
    request: Request, given: Sequence[int]
) -> tuple[Callable[[], IndexArray], ...]:
    """Bestsellers of the categories of ``given`` (catalogue indices), then all bestsellers;
    computed only if a list needs filling."""
    catalog = request.catalog

    def everything() -> IndexArray:
        return bestseller_ranking(request)

    codes = catalog.category_code[np.asarray(given, dtype=np.int64)]
    codes = np.unique(codes[codes >= 0])
    if codes.size == 0:
        return (everything,)

    def same_category() -> IndexArray:
        ranking = everything()
        return ranking[np.isin(catalog.category_code[ranking], codes)]

    return (same_category, everything)
