"""Reference recommenders the engine's algorithms are measured against: popularity, the
customer's own most-bought items, and implicit's ALS and BM25 item-kNN."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

IndexArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class AlsParams:
    """implicit's ALS settings (confidence ``alpha * orders``, as implicit defines it)."""

    factors: int = 64
    regularization: float = 0.05
    alpha: float = 1.0
    iterations: int = 15
    random_state: int = 42


@dataclass(frozen=True)
class Bm25Params:
    """implicit's BM25 item-kNN settings (``K`` neighbours per item, library K1 and B)."""

    neighbours: int = 100
    k1: float = 1.2
    b: float = 0.75


def popularity_ranking(interactions: sp.csr_matrix) -> IndexArray:
    """Item columns by number of rows (orders) containing them, most first, ties by index."""
    counts = np.diff(sp.csc_matrix(interactions).indptr)
    return np.lexsort((np.arange(counts.size), -counts)).astype(np.int64)


def fill(
    ranked: list[int],
    ranking: IndexArray,
    k: int,
    exclude: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[int]:
    """``ranked`` followed by the first items of ``ranking`` it lacks, ``exclude`` left out, up
    to ``k`` items: every list gets ``k`` items, as the engine's lists do."""
    result = [item for item in ranked if item not in exclude][:k]
    seen = set(result) | exclude
    for item in ranking.tolist():
        if len(result) >= k:
            break
        if item not in seen:
            result.append(item)
            seen.add(item)
    return result


def own_most_bought(
    orders: sp.csr_matrix, last_bought: sp.csr_matrix, user: int, k: int
) -> list[int]:
    """The user's items by number of orders, then most recently bought, then index."""
    start, stop = orders.indptr[user], orders.indptr[user + 1]
    items = orders.indices[start:stop]
    counts = orders.data[start:stop]
    recency = np.asarray(last_bought[user, items].todense()).ravel() if items.size else counts
    order = np.lexsort((items, -recency, -counts))
    return [int(item) for item in items[order][:k]]


class Implicit:
    """implicit's models behind one small call, threads limited, its warnings kept quiet (it
    warns about BLAS threads, which ``threadpool_limits`` has already dealt with)."""

    def __init__(self, model: object) -> None:
        self.model = model

    @classmethod
    def als(cls, interactions: sp.csr_matrix, params: AlsParams, threads: int) -> Implicit:
        from implicit.cpu.als import AlternatingLeastSquares

        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = AlternatingLeastSquares(
                factors=params.factors,
                regularization=params.regularization,
                alpha=params.alpha,
                iterations=params.iterations,
                random_state=params.random_state,
                num_threads=threads,
            )
            model.fit(interactions, show_progress=False)
        return cls(model)

    @classmethod
    def bm25(cls, interactions: sp.csr_matrix, params: Bm25Params, threads: int) -> Implicit:
        from implicit.nearest_neighbours import BM25Recommender

        model = BM25Recommender(K=params.neighbours, K1=params.k1, B=params.b, num_threads=threads)
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(interactions, show_progress=False)
        return cls(model)

    def recommend(
        self,
        rows: sp.csr_matrix,
        *,
        users: IndexArray | None,
        k: int,
        filter_seen: bool,
    ) -> list[list[int]]:
        """Top ``k`` items for each row of ``rows``: known users (``users``, their training
        rows) or, with ``users`` None, new rows folded in (baskets)."""
        n = rows.shape[0]
        if n == 0:
            return []
        ids = users if users is not None else np.arange(n)
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found, _ = self.model.recommend(  # type: ignore[attr-defined]
                ids,
                rows,
                N=k,
                filter_already_liked_items=filter_seen,
                recalculate_user=users is None and _is_factor_model(self.model),
            )
        return [[int(item) for item in row if item >= 0] for row in np.atleast_2d(found)]


def _is_factor_model(model: object) -> bool:
    return hasattr(model, "item_factors")
