"""Lists the service answers without reading the asker's history must not depend on it."""

from __future__ import annotations

import pytest

from recoms.algorithms import ContactHistory, Purchase, recommend
from recoms.domain import Algorithm, DataSource, DataSourceId, DataSourceParams, ProductId
from recoms.service.recommendations import reads_history
from tests.recoms.algorithms import shop

# A contact who did everything a history holds: bought, viewed, wished for, filled a cart.
BUSY = ContactHistory(
    purchases=[
        Purchase(pid, shop.NOW - shop.DAY * days, 2.0)
        for pid, days in zip(shop.ids("bread", "butter", "milk"), (30, 20, 3), strict=True)
    ],
    viewed=shop.ids("cake", "juice", "cheese"),
    cart=shop.ids("water"),
    wishlist=shop.ids("cake"),
)


@pytest.mark.parametrize("algorithm", [a for a in Algorithm if a is not Algorithm.PERSONAL])
def test_lists_answered_without_the_history_are_the_same_with_it(algorithm: Algorithm) -> None:
    catalog = shop.catalog()
    model = shop.model(view=catalog)
    source = DataSource(
        DataSourceId(1),
        str(algorithm),
        algorithm,
        DataSourceParams(product_ids=tuple(shop.ids("cake", "milk", "bread", "water"))),
    )
    assert not reads_history(source)
    products = shop.ids("bread") if algorithm.needs_products else []

    def ranked(history: ContactHistory | None) -> list[ProductId]:
        return recommend(model, catalog, source, history=history, products=products, now=shop.NOW)

    assert ranked(None)
    assert ranked(BUSY) == ranked(None)
    # Leaving out purchases is the one use these lists make of a history.
    excluding = DataSource(
        source.id, source.name, algorithm, DataSourceParams(exclude_purchased=True)
    )
    assert reads_history(excluding)
