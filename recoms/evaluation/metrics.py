"""Ranking metrics at a cut-off: plain functions over a ranked list and a set of targets."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass


def hits(ranked: Sequence[Hashable], targets: Collection[Hashable], k: int) -> int:
    """How many of the first ``k`` ranked items are targets (repeats in ``ranked`` count once)."""
    return len(set(ranked[:k]) & set(targets))


def hit_rate(ranked: Sequence[Hashable], targets: Collection[Hashable], k: int) -> float:
    """1.0 when any of the first ``k`` items is a target, else 0.0."""
    return 1.0 if hits(ranked, targets, k) else 0.0


def precision(ranked: Sequence[Hashable], targets: Collection[Hashable], k: int) -> float:
    """Targets among the first ``k`` items, divided by ``k`` (a short list is not rewarded)."""
    return hits(ranked, targets, k) / k


def recall(ranked: Sequence[Hashable], targets: Collection[Hashable], k: int) -> float:
    """Targets among the first ``k`` items, divided by the number of targets (0 without any)."""
    return hits(ranked, targets, k) / len(targets) if targets else 0.0


def ndcg(ranked: Sequence[Hashable], targets: Collection[Hashable], k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance: the gain of a target at
    position ``i`` (0-based) is ``1 / log2(i + 2)``, divided by the gain of a perfect list
    of ``min(k, len(targets))`` targets."""
    wanted = set(targets)
    if not wanted:
        return 0.0
    seen: set[Hashable] = set()
    gain = 0.0
    for position, item in enumerate(ranked[:k]):
        if item in wanted and item not in seen:
            gain += 1.0 / math.log2(position + 2)
        seen.add(item)
    ideal = sum(1.0 / math.log2(position + 2) for position in range(min(k, len(wanted))))
    return gain / ideal


@dataclass(frozen=True)
class Scores:
    """Mean metrics over ``cases`` (customers, or baskets with one hidden item)."""

    cases: int
    hit_rate: float
    precision: float
    recall: float
    ndcg: float


def mean_scores(
    lists: Iterable[Sequence[Hashable]], targets: Iterable[Collection[Hashable]], k: int
) -> Scores:
    """Average the four metrics over the cases: ``lists[i]`` ranked for ``targets[i]``.
    Cases without targets are left out (nothing could be found for them)."""
    cases = 0
    totals = [0.0, 0.0, 0.0, 0.0]
    for ranked, wanted in zip(lists, targets, strict=True):
        if not wanted:
            continue
        cases += 1
        totals[0] += hit_rate(ranked, wanted, k)
        totals[1] += precision(ranked, wanted, k)
        totals[2] += recall(ranked, wanted, k)
        totals[3] += ndcg(ranked, wanted, k)
    if cases == 0:
        return Scores(0, 0.0, 0.0, 0.0, 0.0)
    return Scores(cases, *(total / cases for total in totals))
