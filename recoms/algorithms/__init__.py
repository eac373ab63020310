"""The recommendation algorithms: pure, synchronous, deterministic; arrays in, ranked ids out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from recoms.algorithms.also_bought import also_bought
from recoms.algorithms.alternatives import alternatives
from recoms.algorithms.bestsellers import bestsellers
from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.curated import curated
from recoms.algorithms.history import ContactHistory, OrderHistory
from recoms.algorithms.model import (
    Aligned,
    Model,
    ModelBuilder,
    Popularity,
    align,
    build_model,
    list_window,
    popularity,
    popularity_key,
)
from recoms.algorithms.personal import personal
from recoms.algorithms.request import Request
from recoms.algorithms.settings import (
    DEFAULTS,
    AlsoBoughtParams,
    BestsellersParams,
    BuildParams,
    FactorParams,
    NeighbourParams,
    PersonalParams,
    PopularityParams,
    Settings,
)
from recoms.algorithms.upsell import upsell
from recoms.domain import Algorithm, DataSource, ProductId, Purchase

__all__ = [
    "ALGORITHMS",
    "DEFAULTS",
    "Aligned",
    "AlsoBoughtParams",
    "BestsellersParams",
    "BuildParams",
    "CatalogView",
    "ContactHistory",
    "FactorParams",
    "Model",
    "ModelBuilder",
    "NeighbourParams",
    "OrderHistory",
    "PersonalParams",
    "Popularity",
    "PopularityParams",
    "Purchase",
    "Request",
    "Settings",
    "align",
    "build_model",
    "list_window",
    "popularity",
    "popularity_key",
    "rank",
    "recommend",
]

ALGORITHMS: Mapping[Algorithm, Callable[[Request], list[ProductId]]] = {
    Algorithm.PERSONAL: personal,
    Algorithm.BESTSELLERS: bestsellers,
    Algorithm.ALSO_BOUGHT: also_bought,
    Algorithm.YOU_MAY_ALSO_LIKE: upsell,
    Algorithm.ALTERNATIVES: alternatives,
    Algorithm.OTHER: curated,
}


def rank(request: Request) -> list[ProductId]:
    """The data source's list, best first (at most ``source.params.limit``, capped at 50).

    An unknown contact (no history) gets what visitor lists fall back to, bestsellers; the
    reference products of product-based algorithms are never returned by them; the category
    narrows bestsellers. Products the catalogue does not offer never appear, nor out-of-stock
    ones with ``in_stock_only``, nor, with ``exclude_purchased``, anything the contact bought.
    The same request always gives the same list."""
    algorithm = request.source.algorithm
    ranker = ALGORITHMS.get(algorithm)
    if ranker is None:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    return ranker(request)


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
    """``rank`` for one list on its own: aligns the model to the catalogue and ranks
    bestsellers for this call alone. Whoever ranks many lists over one model keeps the
    ``Aligned`` and each window's ``Popularity`` and builds ``Request`` s itself."""
    aligned = align(model, catalog)
    window = popularity(aligned, window_days=list_window(model, source), now=now)
    return rank(Request(source, aligned, window, now, history, products, category))
