"""Also bought: products bought together with the given ones (cart cross-sell)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from recoms.algorithms.bestsellers import bestseller_ranking
from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.model import Model
from recoms.algorithms.ranking import IndexArray, Scores, gather, select
from recoms.domain import ProductId


@dataclass(frozen=True)
class AlsoBoughtParams:
    """``customer_weight``: how much "bought by the same customers" adds to "bought in the same
    order" (it knows more pairs, but they are looser)."""

    customer_weight: float = 0.1


def also_bought(
    model: Model,
    catalog: CatalogView,
    products: Sequence[ProductId],
    *,
    limit: int,
    now: datetime,
    window_days: int = 90,
    in_stock_only: bool = True,
    exclude: Iterable[int] = (),
    params: AlsoBoughtParams = AlsoBoughtParams(),
) -> list[ProductId]:
    """Products most often bought with ``products`` (normalised co-purchase summed over them),
    best first, ties by product id; never the given products themselves.

    Short lists are filled with bestsellers of the given products' categories, then with
    bestsellers, so that products the orders do not know yet still get a list."""
    alignment = model.alignment(catalog)
    seeds = model.model_indices(products)
    seeds = seeds[seeds >= 0]
    weights = np.ones(seeds.size)
    scores = Scores.concat(
        (
            gather(model.basket_neighbours, seeds, weights, alignment.to_catalog),
            gather(
                model.customer_neighbours,
                seeds,
                weights * params.customer_weight,
                alignment.to_catalog,
            ),
        )
    )
    given = catalog.indices(products)
    return select(
        catalog,
        scores,
        limit=limit,
        in_stock_only=in_stock_only,
        exclude=[*given, *exclude],
        fill=fallback_rankings(model, catalog, given, window_days=window_days, now=now),
    )


def fallback_rankings(
    model: Model, catalog: CatalogView, given: Sequence[int], *, window_days: int, now: datetime
) -> tuple[Callable[[], IndexArray], ...]:
    """Bestsellers of the categories of ``given`` (catalogue indices), then all bestsellers;
    computed only if a list needs filling."""

    def everything() -> IndexArray:
        return bestseller_ranking(model, catalog, window_days=window_days, now=now)

    codes = catalog.category_code[np.asarray(given, dtype=np.int64)]
    codes = np.unique(codes[codes >= 0])
    if codes.size == 0:
        return (everything,)

    def same_category() -> IndexArray:
        ranking = everything()
        return ranking[np.isin(catalog.category_code[ranking], codes)]

    return (same_category, everything)
