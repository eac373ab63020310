"""A curated list: the data source's own product ids, in their order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.ranking import clamp_limit
from recoms.algorithms.request import Request
from recoms.domain import ProductId


def curated(request: Request) -> list[ProductId]:
    """The data source's ``product_ids`` in their order, without repeats, products the
    catalogue does not offer, the request's products and (with ``in_stock_only``) products
    out of stock; with ``exclude_purchased``, nothing the contact bought either."""
    params, history = request.params, request.history
    purchased = (
        history.purchased_ids if params.exclude_purchased and history is not None else set()
    )
    return _curated(
        request.catalog,
        params.product_ids,
        limit=params.limit,
        in_stock_only=params.in_stock_only,
        exclude=[*request.products, *purchased],
    )


def _curated(
    catalog: CatalogView,
    product_ids: Sequence[ProductId],
    *,
    limit: int,
    in_stock_only: bool,
    exclude: Iterable[ProductId],
) -> list[ProductId]:
    seen = set(exclude)
    chosen: list[ProductId] = []
    for product_id in product_ids:
        index = catalog.index.get(product_id)
        if product_id in seen or index is None:
            continue
        seen.add(product_id)
        if in_stock_only and not catalog.in_stock[index]:
            continue
        chosen.append(product_id)
        if len(chosen) >= clamp_limit(limit):
            break
    return chosen[: clamp_limit(limit)]
