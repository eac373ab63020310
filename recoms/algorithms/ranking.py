"""Shared steps of every algorithm: gathering neighbours, filtering, ordering, filling up."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.model import taste
from recoms.algorithms.request import Request
from recoms.algorithms.sparse import row_entries
from recoms.domain import MAX_LIMIT, ProductId

IndexArray = npt.NDArray[np.int64]
ScoreArray = npt.NDArray[np.float64]


# ``Scores.combined`` counts into a dense array when the indices span at most this many
# slots per candidate.
_DENSE_SPAN = 4


def clamp_limit(limit: int) -> int:
    return max(0, min(limit, MAX_LIMIT))


@dataclass(frozen=True)
class Scores:
    """Candidate catalogue indices with scores; an index may repeat (its scores add up)."""

    index: IndexArray
    score: ScoreArray

    @classmethod
    def empty(cls) -> Scores:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0))

    @classmethod
    def concat(cls, parts: Iterable[Scores]) -> Scores:
        parts = list(parts)
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([part.index for part in parts]),
            np.concatenate([part.score for part in parts]),
        )

    def combined(self) -> Scores:
        """Each index once, its scores summed."""
        if self.index.size == 0:
            return self
        span = int(self.index.max()) + 1
        if span <= _DENSE_SPAN * self.index.size:
            # Many candidates over a short range of indices: counting into a dense array is
            # linear where sorting is not. Both add each index's scores in candidate order.
            present = np.bincount(self.index, minlength=span) > 0
            total = np.bincount(self.index, weights=self.score, minlength=span)
            unique = np.flatnonzero(present)
            return Scores(unique, total[unique].astype(np.float64))
        unique, inverse = np.unique(self.index, return_inverse=True)
        return Scores(unique, np.bincount(inverse, weights=self.score).astype(np.float64))

    def scaled(self, factor: float) -> Scores:
        return Scores(self.index, self.score * factor)

    def normalised(self) -> Scores:
        """Combined, then divided by the best score (so the best is 1)."""
        combined = self.combined()
        if combined.score.size == 0:
            return combined
        top = float(combined.score.max())
        return combined if top <= 0 else combined.scaled(1.0 / top)


def gather(
    neighbours: sp.csr_matrix,
    seeds: IndexArray,
    weights: ScoreArray,
    to_catalog: IndexArray,
) -> Scores:
    """Neighbours of the model products ``seeds``, each scaled by its seed's weight, in
    catalogue indices; neighbours absent from the catalogue are dropped."""
    if seeds.size == 0:
        return Scores.empty()
    offsets, lengths = row_entries(neighbours.indptr, seeds)
    if offsets.size == 0:
        return Scores.empty()
    index = to_catalog[neighbours.indices[offsets]]
    score = neighbours.data[offsets].astype(np.float64) * np.repeat(weights, lengths)
    known = index >= 0
    return Scores(index[known], score[known])


def taste_scores(
    request: Request,
    product_ids: Sequence[ProductId],
    orders: ScoreArray,
    found: Scores,
    weight: float,
) -> Scores:
    """The factor model's scores for someone who bought ``product_ids`` in ``orders``
    distinct orders each (a customer, or a basket as one order of each), clipped at 0 and
    scaled so that the best is ``weight``; empty at weight 0 or without factors.

    Scored are the products ``found`` by neighbours and the shop's ``POPULAR_HEAD``
    bestsellers: a large catalogue's every product would cost a millisecond per request,
    for products that could hardly make a list."""
    aligned = request.aligned
    items = aligned.model_indices(product_ids)
    known = items >= 0
    if weight <= 0 or not np.any(known) or aligned.model.item_factors.shape[1] == 0:
        return Scores.empty()
    head = request.popularity.head
    extra = found.index
    if head.size:
        position = np.minimum(np.searchsorted(head, extra), head.size - 1)
        extra = extra[head[position] != extra]
    pool = np.concatenate((head, extra))
    among = aligned.to_model[pool]
    pool, among = pool[among >= 0], among[among >= 0]
    with request.single_threaded():
        scores = taste(aligned, items[known], orders[known], among)
    positive = scores > 0
    if not np.any(positive):
        return Scores.empty()
    chosen = scores[positive]
    return Scores(pool[positive], chosen / chosen.max() * weight)


def select(
    catalog: CatalogView,
    scores: Scores,
    *,
    limit: int,
    in_stock_only: bool,
    exclude: Iterable[int] = (),
    fill: Sequence[IndexArray | Callable[[], IndexArray]] = (),
    within: npt.NDArray[np.bool_] | None = None,
) -> list[ProductId]:
    """The ``limit`` best positive-scored candidates, best first, ties by product id; then,
    while the list is short, the next products of each ``fill`` ranking in turn (a callable
    ranking is computed only when it is needed).

    Excluded products, (with ``in_stock_only``) products out of stock and, given ``within``
    (a mask over the catalogue), products outside it never appear."""
    limit = clamp_limit(limit)
    if limit == 0:
        return []
    excluded = np.zeros(len(catalog), dtype=np.bool_)
    excluded[np.fromiter(exclude, dtype=np.int64)] = True
    if in_stock_only:
        excluded |= ~catalog.in_stock
    if within is not None:
        excluded |= ~within
    chosen: list[int] = []
    combined = scores.combined()
    if combined.index.size:
        allowed = ~excluded[combined.index] & (combined.score > 0)
        index, score = combined.index[allowed], combined.score[allowed]
        if index.size > 4 * limit:
            # Keep the head (and everything tied with its last) before sorting.
            threshold = np.partition(score, index.size - limit)[index.size - limit]
            head = score >= threshold
            index, score = index[head], score[head]
        order = np.lexsort((index, -score))[:limit]
        chosen = index[order].tolist()
        excluded[index[order]] = True
    for filler in fill:
        if len(chosen) >= limit:
            break
        ranking = filler() if callable(filler) else filler
        position = 0
        while len(chosen) < limit and position < ranking.size:
            # Look at growing slices so that a long ranking costs little when the head suffices.
            chunk = ranking[position : position + 4 * limit]
            position += chunk.size
            fresh = chunk[~excluded[chunk]]
            fresh = fresh[: limit - len(chosen)]
            excluded[fresh] = True
            chosen.extend(fresh.tolist())
    return [catalog.product_ids[i] for i in chosen]
