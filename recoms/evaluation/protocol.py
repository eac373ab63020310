"""The protocol every list is scored by, offline and in a rebuild's holdout: the customers
and baskets after a split, the lists the engine ranks for them, and their scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recoms.algorithms import (
    Aligned,
    CatalogView,
    ContactHistory,
    Request,
    list_window,
    popularity,
    rank,
)
from recoms.domain import Algorithm, DataSource, DataSourceId, DataSourceParams, ProductId
from recoms.evaluation.data import OrderLog, TrainingSet


def catalogue_index(log: OrderLog, training: TrainingSet) -> npt.NDArray[np.int64]:
    """The catalogue index of each log product (-1: first ordered after the split)."""
    to_catalog = np.full(len(log.product_ids), -1, dtype=np.int64)
    to_catalog[training.log_product] = [
        training.catalog.index[log.product_ids[i]] for i in training.log_product.tolist()
    ]
    return to_catalog


@dataclass(frozen=True, eq=False)
class Customers:
    """The customers scored: ``ids`` (log customer indices), their distinct-order counts per
    catalogue product before the split (``orders``, rows = log customers), when they last
    bought each (``last_bought``), and their targets after it."""

    ids: npt.NDArray[np.int64]
    orders: sp.csr_matrix
    last_bought: sp.csr_matrix
    targets: list[set[int]]
    new_targets: list[set[int]]
    bought: list[set[int]]

    @classmethod
    def of(
        cls,
        train: OrderLog,
        test: OrderLog,
        to_catalog: npt.NDArray[np.int64],
        n_items: int,
    ) -> Customers:
        n_customers = len(train.customer_ids)
        named = train.customer >= 0
        item = to_catalog[train.product[named]]
        who = train.customer[named]
        pair = np.unique(np.stack([who, item, train.order[named]]), axis=1)
        orders = sp.csr_matrix(
            (np.ones(pair.shape[1], dtype=np.float32), (pair[0], pair[1])),
            shape=(n_customers, n_items),
        )
        orders.sum_duplicates()
        last_bought = _max_per_cell(who, item, train.timestamp[named], n_customers, n_items)

        test_named = (test.customer >= 0) & (to_catalog[test.product] >= 0)
        test_who = test.customer[test_named]
        test_item = to_catalog[test.product[test_named]]
        has_train = np.diff(orders.indptr) > 0
        ids = np.unique(test_who[has_train[test_who]])
        targets: dict[int, set[int]] = {int(i): set() for i in ids.tolist()}
        for customer, product in zip(test_who.tolist(), test_item.tolist(), strict=True):
            if customer in targets:
                targets[customer].add(product)
        bought = [
            set(orders.indices[orders.indptr[i] : orders.indptr[i + 1]].tolist())
            for i in ids.tolist()
        ]
        all_targets = [targets[i] for i in ids.tolist()]
        return cls(
            ids=ids,
            orders=orders,
            last_bought=last_bought,
            targets=all_targets,
            new_targets=[t - b for t, b in zip(all_targets, bought, strict=True)],
            bought=bought,
        )


def _max_per_cell(
    rows: npt.NDArray[np.int64],
    columns: npt.NDArray[np.int64],
    values: npt.NDArray[np.int64],
    n_rows: int,
    n_columns: int,
) -> sp.csr_matrix:
    key = rows * n_columns + columns
    order = np.lexsort((values, key))
    last = np.r_[key[order][1:] != key[order][:-1], True]
    chosen = order[last]
    return sp.csr_matrix(
        (values[chosen].astype(np.float64), (rows[chosen], columns[chosen])),
        shape=(n_rows, n_columns),
    )


def data_source(algorithm: Algorithm, k: int, *, exclude_purchased: bool = False) -> DataSource:
    """A data source with the defaults of a fresh database, but ``k`` items."""
    return DataSource(
        id=DataSourceId(0),
        name=str(algorithm),
        algorithm=algorithm,
        params=DataSourceParams(limit=k, exclude_purchased=exclude_purchased),
    )


def catalogue_indices(catalog: CatalogView, ranked: Sequence[ProductId]) -> list[int]:
    return [catalog.index[pid] for pid in ranked]


def ranked_lists(
    aligned: Aligned,
    source: DataSource,
    now: datetime,
    asks: Iterable[tuple[ContactHistory | None, Sequence[ProductId]]],
) -> list[list[int]]:
    """The source's list for each (history, products), as catalogue indices; the bestseller
    ranking of its window is made once for all of them. BLAS runs on one thread throughout,
    as serving runs the factor model's small products."""
    window = popularity(aligned, window_days=list_window(aligned.model, source), now=now)
    with threadpool_limits(limits=1, user_api="blas"):
        return [
            catalogue_indices(
                aligned.catalog, rank(Request(source, aligned, window, now, history, products))
            )
            for history, products in asks
        ]


@dataclass(frozen=True)
class BasketCase:
    """A test order with one product hidden: ``given`` (catalogue indices) are the rest."""

    given: tuple[int, ...]
    hidden: int


# Products given with one basket: a site asks with a cart, not a wholesale order of hundreds
# (the API takes at most 100).
MAX_GIVEN = 50


def basket_cases(test: OrderLog, to_catalog: npt.NDArray[np.int64], seed: int) -> list[BasketCase]:
    """One case per test order of two or more catalogue products: one hidden at random, the
    rest given (a random ``MAX_GIVEN`` of them in a larger order)."""
    item = to_catalog[test.product]
    known = item >= 0
    pair = np.unique(np.stack([test.order[known], item[known]]), axis=1)
    if pair.shape[1] == 0:
        return []
    _, starts = np.unique(pair[0], return_index=True)
    stops = np.r_[starts[1:], pair.shape[1]]
    random = np.random.default_rng(seed)
    cases = []
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        if stop - start < 2:
            continue
        items = pair[1, start:stop].tolist()
        hidden = items.pop(int(random.integers(len(items))))
        if len(items) > MAX_GIVEN:
            items = sorted(random.choice(items, size=MAX_GIVEN, replace=False).tolist())
        cases.append(BasketCase(tuple(items), hidden))
    return cases
