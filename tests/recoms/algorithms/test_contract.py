"""The behaviour every recommendation list promises, checked for each algorithm."""

from __future__ import annotations

import pytest

from recoms.algorithms import CatalogView, ContactHistory, Model, recommend
from recoms.domain import Algorithm, DataSource, DataSourceId, DataSourceParams, ProductId
from tests.recoms.algorithms import shop

ALGORITHMS = list(Algorithm)
PRODUCT_BASED = [algorithm for algorithm in Algorithm if algorithm.needs_products]
EVERYTHING = tuple(shop.ids("water", "bread", "cake", "milk", "cheese", "juice", "butter"))


def source(algorithm: Algorithm, **params: object) -> DataSource:
    params.setdefault("product_ids", EVERYTHING)
    return DataSource(
        id=DataSourceId(1),
        name=str(algorithm),
        algorithm=algorithm,
        params=DataSourceParams(**params),  # type: ignore[arg-type]
    )


def ask(
    model: Model,
    catalog: CatalogView,
    algorithm: Algorithm,
    *,
    history: ContactHistory | None = None,
    products: tuple[str, ...] = ("bread",),
    **params: object,
) -> list[ProductId]:
    """A list for a bread basket unless told otherwise; the curated list holds everything."""
    params.setdefault("product_ids", EVERYTHING)
    return shop.ask(
        model, catalog, algorithm, history=history, products=products, category=None, **params
    )


CUSTOMER = shop.bought(("bread", 30), ("butter", 30), ("water", 3))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_lists_are_not_empty_and_hold_no_repeats(
    model: Model, catalog: CatalogView, algorithm: Algorithm
) -> None:
    ranked = ask(model, catalog, algorithm, history=CUSTOMER)
    assert ranked
    assert len(ranked) == len(set(ranked))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("limit", [0, 1, 2, 3])
def test_respects_limit(
    model: Model, catalog: CatalogView, algorithm: Algorithm, limit: int
) -> None:
    ranked = ask(model, catalog, algorithm, history=CUSTOMER, limit=limit)
    assert len(ranked) <= limit
    if limit and algorithm is not Algorithm.ALTERNATIVES:
        # Every list has at least `limit` in-stock candidates here.
        assert len(ranked) == limit


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_limit_is_capped_at_fifty(algorithm: Algorithm) -> None:
    many = [shop.product(f"p{i:03d}", f"Item number {i}", "1.00", shop.BAKERY) for i in range(80)]
    view = shop.catalog(many)
    orders = [(i % 7, i % 30, (f"p{i:03d}", f"p{(i * 7 + 1) % 80:03d}")) for i in range(160)]
    built = shop.model(orders, view)
    ranked = recommend(
        built,
        view,
        source(algorithm, limit=500, product_ids=tuple(p.id for p in many)),
        history=shop.bought(("p001", 3)),
        products=shop.ids("p001"),
        now=shop.NOW,
    )
    assert len(ranked) <= 50


@pytest.mark.parametrize("algorithm", [*PRODUCT_BASED, Algorithm.OTHER])
@pytest.mark.parametrize("products", [("bread",), ("bread", "water"), ("cheese", "bread")])
def test_never_returns_the_given_products(
    model: Model, catalog: CatalogView, algorithm: Algorithm, products: tuple[str, ...]
) -> None:
    ranked = ask(model, catalog, algorithm, products=products, limit=50)
    assert ranked
    assert not set(ranked) & set(shop.ids(*products))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_in_stock_only_leaves_out_what_cannot_be_bought(
    model: Model, catalog: CatalogView, algorithm: Algorithm
) -> None:
    ranked = ask(
        model, catalog, algorithm, history=CUSTOMER, products=("bread", "butter"), limit=50
    )
    assert ranked
    assert all(catalog.in_stock[catalog.index[pid]] for pid in ranked)


def test_out_of_stock_products_appear_when_allowed(model: Model, catalog: CatalogView) -> None:
    # Sourdough and milk are out of stock; butter was bought with sourdough.
    assert "sourdough" in ask(
        model,
        catalog,
        Algorithm.ALSO_BOUGHT,
        products=("butter",),
        limit=50,
        in_stock_only=False,
    )
    assert "milk" in ask(model, catalog, Algorithm.BESTSELLERS, limit=50, in_stock_only=False)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_products_the_catalogue_no_longer_offers_never_appear(
    model: Model, catalog: CatalogView, algorithm: Algorithm
) -> None:
    # "retired" was ordered (with butter and water) but is inactive in the catalogue.
    ranked = ask(
        model,
        catalog,
        algorithm,
        history=shop.bought(("retired", 3)),
        products=("butter",),
        limit=50,
        in_stock_only=False,
    )
    assert ProductId("retired") not in ranked


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_inputs_give_the_same_list(catalog: CatalogView, algorithm: Algorithm) -> None:
    first, second = shop.model(view=catalog), shop.model(view=shop.catalog())
    lists = [
        recommend(
            built,
            view,
            source(algorithm, limit=50),
            history=CUSTOMER,
            products=shop.ids("bread", "cheese"),
            now=shop.NOW,
        )
        for built, view in ((first, catalog), (first, catalog), (second, shop.catalog()))
    ]
    assert lists[0] == lists[1] == lists[2]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_stored_and_loaded_model_gives_the_same_lists(
    model: Model, catalog: CatalogView, algorithm: Algorithm
) -> None:
    loaded = Model.from_bytes(model.to_bytes())
    for history, products in ((CUSTOMER, ("bread",)), (None, ("cheese", "juice"))):
        assert ask(loaded, catalog, algorithm, history=history, products=products, limit=50) == (
            ask(model, catalog, algorithm, history=history, products=products, limit=50)
        )


@pytest.mark.parametrize("algorithm", [Algorithm.PERSONAL, Algorithm.BESTSELLERS])
@pytest.mark.parametrize("history", [None, ContactHistory()])
def test_unknown_contact_gets_bestsellers(
    model: Model, catalog: CatalogView, algorithm: Algorithm, history: ContactHistory | None
) -> None:
    assert ask(model, catalog, algorithm, history=history, limit=3) == shop.ids(
        "water", "butter", "bread"
    )


@pytest.mark.parametrize("algorithm", PRODUCT_BASED)
def test_products_unknown_to_the_orders_still_get_a_list(
    model: Model, catalog: CatalogView, algorithm: Algorithm
) -> None:
    # Brioche is in the catalogue but nobody ordered it; "nosuch" is not even in it.
    for products in (("brioche",), ("nosuch",)):
        ranked = ask(model, catalog, algorithm, products=products, limit=3)
        assert ranked, products
        assert ProductId("brioche") not in ranked or products != ("brioche",)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_empty_model_and_catalogue_give_empty_lists(algorithm: Algorithm) -> None:
    view = shop.catalog([])
    built = shop.model([], view)
    assert (
        recommend(
            built,
            view,
            source(algorithm),
            history=CUSTOMER,
            products=shop.ids("bread"),
            now=shop.NOW,
        )
        == []
    )
