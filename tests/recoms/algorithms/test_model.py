"""The learned model: neighbours as the formula says, storage round trip, factors, catalogue."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp

from recoms.algorithms import (
    DEFAULTS,
    BuildParams,
    CatalogView,
    FactorParams,
    Model,
    NeighbourParams,
    OrderHistory,
    PersonalParams,
    PopularityParams,
    Settings,
    build_model,
)
from recoms.algorithms import model as model_module
from recoms.algorithms.model import align, taste
from recoms.domain import Availability, ContactId, Product, ProductId
from tests.recoms.algorithms import shop


def random_history(seed: int, n_items: int = 40, n_orders: int = 300) -> OrderHistory:
    rng = np.random.default_rng(seed)
    order, product, contact = [], [], []
    for number in range(n_orders):
        size = int(rng.integers(1, 8))
        # Skewed popularity, as in any shop.
        items = rng.choice(n_items, size=size, p=_zipf(n_items))
        order += [number] * size
        product += items.tolist()
        contact += [int(rng.integers(-1, 30))] * size
    return OrderHistory(
        product_ids=[ProductId(f"p{i:02d}") for i in range(n_items)],
        contact_ids=[ContactId(i) for i in range(30)],
        order_index=np.asarray(order, dtype=np.int64),
        product_index=np.asarray(product, dtype=np.int32),
        contact_index=np.asarray(contact, dtype=np.int32),
        timestamp=np.full(len(order), 1_700_000_000, dtype=np.int64),
        quantity=np.ones(len(order), dtype=np.float32),
    )


def _zipf(n: int) -> npt.NDArray[np.float64]:
    weights = 1.0 / np.arange(1, n + 1)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def brute_force_neighbours(
    incidence: np.ndarray, params: NeighbourParams
) -> dict[int, list[tuple[int, float]]]:
    """The neighbour lists computed the slow, obvious way on a dense matrix."""
    sizes = incidence.sum(axis=1)
    weight = np.maximum(sizes - 1.0, 1.0) ** -params.row_power
    co = (incidence * weight[:, None]).T @ incidence
    count = (incidence * weight[:, None]).sum(axis=0)
    result: dict[int, list[tuple[int, float]]] = {}
    for i in range(incidence.shape[1]):
        entries = []
        for j in range(incidence.shape[1]):
            if i == j or co[i, j] == 0:
                continue
            score = co[i, j] / (count[i] ** params.seed_power * count[j] ** params.neighbour_power)
            score *= co[i, j] / (co[i, j] + params.shrink)
            entries.append((j, score))
        entries.sort(key=lambda entry: (-entry[1], entry[0]))
        result[i] = entries[: params.neighbours]
    return result


@pytest.mark.parametrize("seed", [1, 2])
def test_basket_neighbours_follow_the_formula_across_blocks(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tiny block budget makes the build cut the co-occurrence matrix into many blocks.
    monkeypatch.setattr(model_module, "_BLOCK_PAIRS", 50)
    history = random_history(seed)
    params = BuildParams(basket=NeighbourParams(neighbours=5), factors=FactorParams(factors=0))
    built = build_model(
        history, CatalogView.from_products([]), now=shop.NOW, settings=Settings(build=params)
    )
    dense = np.zeros((int(history.order_index.max()) + 1, len(history.product_ids)))
    dense[history.order_index, history.product_index] = 1.0
    expected = brute_force_neighbours(dense, params.basket)
    neighbours = built.basket_neighbours
    for item, wanted in expected.items():
        start, stop = neighbours.indptr[item], neighbours.indptr[item + 1]
        assert neighbours.indices[start:stop].tolist() == [j for j, _ in wanted], item
        assert np.allclose(neighbours.data[start:stop], [s for _, s in wanted], rtol=1e-5)


@pytest.mark.parametrize("part", ["basket", "customer"])
def test_with_a_half_life_what_sells_with_a_product_lately_comes_first(part: str) -> None:
    # Tea went with mugs for years, lately with honey: fewer baskets, but recent ones.
    orders = [(c, 300, ("tea", "mug")) for c in range(1, 5)]
    orders += [(c, 5, ("tea", "honey")) for c in range(5, 8)]

    def first_neighbour(half_life_days: float) -> str:
        params = NeighbourParams(half_life_days=half_life_days)
        build = dataclasses.replace(DEFAULTS.build, **{part: params})
        built = build_model(
            shop.history(orders),
            CatalogView.from_products([]),
            now=shop.NOW,
            settings=dataclasses.replace(DEFAULTS, build=build),
        )
        matrix: sp.csr_matrix = getattr(built, f"{part}_neighbours")
        tea = built.product_ids.index(ProductId("tea"))
        return built.product_ids[matrix.indices[matrix.indptr[tea]]]

    assert first_neighbour(0.0) == "mug"
    assert first_neighbour(30.0) == "honey"


def test_only_catalogue_products_become_neighbours() -> None:
    view = shop.catalog()
    built = shop.model(view=view)
    retired = built.product_ids.index(ProductId("retired"))
    for matrix in (built.basket_neighbours, built.customer_neighbours):
        assert retired not in matrix.indices
    # The retired product still has neighbours of its own (carts may still hold it).
    assert built.basket_neighbours[retired].nnz > 0


def test_round_trip_keeps_every_array() -> None:
    built = shop.model()
    loaded = Model.from_bytes(built.to_bytes())
    assert loaded.built_at == built.built_at
    assert loaded.product_ids == built.product_ids
    assert loaded.first_day == built.first_day
    for name in ("day_orders", "basket_neighbours", "customer_neighbours"):
        before: sp.csr_matrix = getattr(built, name)
        after: sp.csr_matrix = getattr(loaded, name)
        assert (before != after).nnz == 0, name
    assert np.array_equal(loaded.repeat_rate, built.repeat_rate)
    assert np.array_equal(loaded.item_factors, built.item_factors)


def test_the_settings_a_model_ranks_with_travel_with_it() -> None:
    tuned = dataclasses.replace(
        DEFAULTS,
        personal=PersonalParams(repeat_weight=8.0, half_life_days=30.0),
        popularity=PopularityParams(window_days=14, trend_weight=1.0),
    )
    loaded = Model.from_bytes(
        build_model(shop.history(), shop.catalog(), now=shop.NOW, settings=tuned).to_bytes()
    )
    assert loaded.settings == tuned


@pytest.mark.parametrize(
    "text", ["[]", '{"personal": 3}', '{"build": {"basket": {"shrink": "x"}}}']
)
def test_settings_that_are_not_settings_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="settings"):
        Settings.from_json(text)


@pytest.mark.parametrize("data", [b"", b"not a model", b"PK\x03\x04broken zip"])
def test_anything_else_is_refused_with_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="model"):
        Model.from_bytes(data)


def test_repeat_rate_tells_repeat_products_from_one_off_ones() -> None:
    built = shop.model()
    rate = dict(zip(built.product_ids, built.repeat_rate.tolist(), strict=True))
    # Customer 1 keeps buying bread; baguette's only buyer bought it twice too; the cake was
    # bought once by a guest, rye once by one customer.
    assert rate["bread"] > rate["rye"]
    assert rate["water"] > rate["rye"]


def test_taste_solves_the_customer_as_implicit_would() -> None:
    from implicit.cpu.als import AlternatingLeastSquares

    catalog = CatalogView.from_products([])
    built = build_model(random_history(3), catalog, now=shop.NOW)
    als = AlternatingLeastSquares(factors=64, regularization=0.05, alpha=1.0)
    als.item_factors = built.item_factors
    items, orders = np.array([3, 10, 20]), np.array([1.0, 3.0, 2.0])
    row = sp.csr_matrix((orders, (np.zeros(3, dtype=np.int64), items)), shape=(1, 40))
    expected = built.item_factors @ als.recalculate_user(0, row)
    assert np.allclose(taste(align(built, catalog), items, orders), expected, rtol=1e-3, atol=1e-4)


def test_factors_can_be_turned_off() -> None:
    params = BuildParams(factors=FactorParams(factors=0))
    built = build_model(
        shop.history(), shop.catalog(), now=shop.NOW, settings=Settings(build=params)
    )
    assert built.item_factors.shape == (len(built.product_ids), 0)
    assert taste(align(built, shop.catalog()), np.array([0]), np.array([1.0])).size == 0


# --- catalogue view ------------------------------------------------------------------------


def test_catalogue_keeps_active_products_in_id_order_with_todays_price() -> None:
    view = CatalogView.from_products(
        [
            Product(id=ProductId("b"), title="B", price=Decimal("10"), sale_price=Decimal("8")),
            Product(id=ProductId("a"), title="A", availability=Availability.BACKORDER),
            Product(id=ProductId("c"), title="C", active=False),
        ]
    )
    assert view.product_ids == ("a", "b")
    assert np.isnan(view.price[0])
    assert view.price[1] == 8.0
    assert view.in_stock.tolist() == [False, True]


def test_category_matches_a_path_prefix_or_a_named_level() -> None:
    view = shop.catalog()
    bakery = {view.product_ids[i] for i in np.flatnonzero(view.in_category("Food > Bakery"))}
    assert bakery == {"bread", "rye", "baguette", "brioche", "cake", "sourdough"}
    assert view.in_category("food / dairy").sum() == 3
    assert view.in_category("Dairy").sum() == 3
    assert view.in_category("Bakery > Food").sum() == 0
    assert view.in_category("").sum() == 0


def test_similar_content_finds_products_sharing_distinctive_words() -> None:
    view = shop.catalog()
    index, score = view.similar_content(view.index[ProductId("rye")])
    ranked = [view.product_ids[i] for i in index[np.lexsort((index, -score))]]
    assert ranked[0] == "rye"
    assert set(ranked[1:4]) == {"bread", "brioche", "sourdough"}
    assert "water" not in ranked


def test_building_needs_no_orders() -> None:
    built = build_model(shop.history([]), shop.catalog(), now=datetime(2024, 1, 1, tzinfo=UTC))
    assert built.n_products == 0
    assert built.last_day < built.first_day


def _brute_top_k(rows: list[list[tuple[int, float]]], k: int) -> list[list[tuple[int, float]]]:
    return [sorted(row, key=lambda entry: (-entry[1], entry[0]))[:k] for row in rows]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3, 7])
def test_top_k_keeps_each_rows_best_ties_by_column(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    rows: list[list[tuple[int, float]]] = []
    for _ in range(30):
        size = int(rng.integers(0, 40))
        picked = rng.choice(500, size=size, replace=False)
        # Few distinct scores, so that ties at a row's k-th best are common; some rows span
        # many halvings, so that the bins' last one is reached.
        scores = rng.integers(1, 5, size=size) * 2.0 ** -rng.integers(0, 30, size=size)
        rows.append(list(zip(picked.tolist(), scores.tolist(), strict=True)))
    indptr = np.r_[0, np.cumsum([len(row) for row in rows])].astype(np.int64)
    indices = np.array([c for row in rows for c, _ in row], dtype=np.int32)
    score = np.array([s for row in rows for _, s in row], dtype=np.float64)

    data, columns, lengths = model_module._top_k(indptr, indices, score, k)

    expected = _brute_top_k(rows, k)
    assert lengths.tolist() == [len(row) for row in expected]
    starts = np.r_[0, np.cumsum(lengths)]
    for number, wanted in enumerate(expected):
        got = slice(starts[number], starts[number + 1])
        assert columns[got].tolist() == [c for c, _ in wanted], number
        assert data[got].tolist() == pytest.approx([s for _, s in wanted], rel=1e-6)


def test_top_k_orders_alike_when_its_key_does_not_fit_in_64_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    indptr = np.array([0, 30, 30, 80], dtype=np.int64)
    indices = np.r_[rng.choice(2**30, 30, replace=False), rng.choice(2**30, 50, replace=False)]
    score = rng.integers(1, 4, size=80).astype(np.float64)
    rows = [
        list(zip(indices[a:b].tolist(), score[a:b].tolist(), strict=True))
        for a, b in itertools.pairwise(indptr)
    ]
    monkeypatch.setattr(model_module, "_KEY_BITS", 16)  # columns alone take 30
    _, columns, lengths = model_module._top_k(indptr, indices.astype(np.int32), score, 10)
    expected = _brute_top_k(rows, 10)
    assert columns.tolist() == [c for row in expected for c, _ in row]
    assert lengths.tolist() == [10, 0, 10]


def test_a_heavy_customers_older_products_leave_their_neighbours_at_scale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A reseller bought 30 products: the 10 oldest long ago, then 20 more lately.
    # Ordinary customers bought small pairs of them.
    lines = [(1, 400, tuple(f"old{i}" for i in range(10)))]
    lines += [(1, 5, tuple(f"new{i}" for i in range(20)))]
    lines += [(c, 50, ("old0", "new0")) for c in range(2, 6)]
    history = shop.history(lines)
    settings = dataclasses.replace(
        DEFAULTS,
        build=dataclasses.replace(DEFAULTS.build, factors=FactorParams(factors=0)),
    )

    def customer_neighbours() -> dict[str, set[str]]:
        built = build_model(
            history, CatalogView.from_products([]), now=shop.NOW, settings=settings
        )
        matrix = built.customer_neighbours
        ids = built.product_ids
        return {
            ids[i]: {ids[j] for j in matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]}
            for i in range(len(ids))
        }

    whole = customer_neighbours()
    assert "old1" in whole["new1"]  # the small shop's whole history counts
    # A budget that the reseller's 30 x 30 pairs exceed: their 20 newest products stay.
    monkeypatch.setattr(model_module, "_PAIR_FLOOR", 20 * 20 + 4 * 2 * 2)
    monkeypatch.setattr(model_module, "_PAIRS_PER_ENTRY", 1)
    capped = customer_neighbours()
    assert "old1" not in capped["new1"]
    assert capped["old1"] == set()
    assert {f"new{i}" for i in range(2, 20)} <= capped["new1"]
    # The ordinary customers' pairs are whole.
    assert "new0" in capped["old0"]


def test_history_cap_is_the_largest_that_fits_the_budget() -> None:
    sizes = np.array([1, 3, 10, 40], dtype=np.int64)
    assert model_module._history_cap(sizes, 1 + 9 + 100 + 1600) is None
    # min(s, n) ** 2 summed: n = 20 makes 1 + 9 + 100 + 400 = 510, n = 21 makes 551.
    assert model_module._history_cap(sizes, 510) == 20
    assert model_module._history_cap(sizes, 550) == 20
    assert model_module._history_cap(sizes, 0) == 2


def test_factor_sweeps_are_cut_only_where_the_shop_is_large() -> None:
    params = FactorParams(iterations=15)
    affordable = model_module._affordable_iterations
    # The shared export's size, and a tenth of the 10M-line shop's: every sweep.
    assert affordable(4_300, 4_000, 275_000, params) == 15
    assert affordable(44_000, 20_000, 780_000, params) == 15
    sweeps = [
        affordable(44_000 * scale, 20_000 * scale, 780_000 * scale, params)
        for scale in (10, 30, 100, 1000)
    ]
    assert sweeps == sorted(sweeps, reverse=True)
    assert 5 <= sweeps[0] < 15
    assert sweeps[-1] == 5
    assert affordable(10**9, 10**6, 10**10, FactorParams(iterations=3)) == 3
