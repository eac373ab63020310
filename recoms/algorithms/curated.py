"""A curated list: the data source's own product ids, in their order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.ranking import clamp_limit
from recoms.domain import ProductId


def curated(
    catalog: CatalogView,
    product_ids: Sequence[ProductId],
    *,
    limit: int,
    in_stock_only: bool = True,
    exclude: Iterable[ProductId] = (),
) -> list[ProductId]:
    """``product_ids`` in the given order, without repeats, products the catalogue does not
    offer, ``exclude`` and (with ``in_stock_only``) products out of stock."""
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
