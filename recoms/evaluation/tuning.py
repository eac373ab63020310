"""Self-tuning: the settings that rank a shop's own most recent orders best.

The last ``HOLDOUT_DAYS`` of the orders are held out (a ``SHORT_SHARE`` of the history when it
is shorter than ``HOLDOUT_DAYS / SHORT_SHARE``): models learn from the orders before and are
scored on the purchases after, with the protocol of ``recoms evaluate`` (whole-catalogue
ranking; all-item targets for personal lists, new-item targets for ``exclude_purchased``, one
hidden product of each basket for also-bought, all-item targets for the bestsellers list
everyone sees). Each list's candidates vary the settings that
real shops differ in (``SPACES``); successive halving scores them all on a few customers, the
better third on three times as many, and so on up to every case held out; the best of the last
rung replaces the incumbent only when it leads by ``MARGIN`` standard errors. The draws are
seeded, so the same orders give the same choice. The caller then fits the choice on every order.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from recoms.algorithms import (
    Aligned,
    BuildParams,
    FactorParams,
    ModelBuilder,
    NeighbourParams,
    OrderHistory,
    Settings,
    align,
)
from recoms.algorithms.settings import DEFAULTS, differences
from recoms.domain import Algorithm
from recoms.evaluation.data import contact_histories, order_log, training_set
from recoms.evaluation.metrics import hit_rate, ndcg
from recoms.evaluation.protocol import (
    Customers,
    basket_cases,
    catalogue_index,
    data_source,
    ranked_lists,
)

HOLDOUT_DAYS = 30
SHORT_SHARE = 0.25
# Customers (or baskets) a list needs in the holdout for its scores to mean something.
MIN_CASES = 20
# Baskets the first rung of also-bought scores each candidate on: a hit or a miss says less
# than a customer's list, and a basket's list costs little.
MIN_BASKETS = 40
K = 10
_DAY = 86_400

PERSONAL = "personal"
PERSONAL_NEW = "personal exclude_purchased"
ALSO_BOUGHT = "also_bought"
BESTSELLERS = "bestsellers"
METRICS = {
    PERSONAL: "all items NDCG@10",
    PERSONAL_NEW: "new items NDCG@10",
    ALSO_BOUGHT: "hidden item HR@10",
    BESTSELLERS: "all items NDCG@10",
}

SPACES: Mapping[str, Mapping[str, Sequence[Any]]] = {
    # New products only: how far to trust similar customers (and how fast what they bought
    # ages), the same baskets, the factor model and what is popular (lately, trending or
    # always); what the factor model learns.
    PERSONAL_NEW: {
        "personal_new.half_life_days": (30.0, 90.0, 180.0, 365.0, 730.0),
        "personal_new.factor_weight": (0.5, 1.0, 2.0),
        "personal_new.basket_weight": (0.0, 0.25, 0.5, 1.0),
        "personal_new.popularity_weight": (0.0, 0.1, 0.3, 1.0),
        "popularity.window_days": (14, 30, 90, 365),
        "popularity.trend_weight": (0.0, 1.0),
        # Each variant of a learned part costs a build of that part: few, far apart.
        "build.factors": (FactorParams(), FactorParams(factors=32, regularization=0.5)),
        "build.customer": (
            NeighbourParams(half_life_days=30.0),
            NeighbourParams(half_life_days=0.0),
        ),
    },
    # Repeat purchases: how much they weigh, how fast they age, how much the shop's repeat
    # habits and popularity count.
    PERSONAL: {
        "personal.repeat_weight": (0.5, 1.0, 2.0, 4.0, 8.0),
        "personal.half_life_days": (14.0, 30.0, 90.0, 180.0, 365.0, 730.0),
        "personal.repeat_rate_power": (0.0, 0.5, 1.0),
        "personal.popularity_weight": (0.0, 0.1, 0.3),
        "personal.factor_weight": (0.5, 1.0, 2.0),
    },
    # Cross-sell: basket neighbours, the default or many and specific, how much "bought by
    # the same customers" and the factor model's taste of the basket add, and whether one
    # strong pair outranks several weak ones.
    ALSO_BOUGHT: {
        "also_bought.customer_weight": (0.0, 0.1, 0.3, 1.0),
        "also_bought.factor_weight": (0.0, 0.15, 0.3),
        "also_bought.similarity_power": (1.0, 1.5, 2.0),
        "build.basket": (
            NeighbourParams(),
            NeighbourParams(neighbours=100, neighbour_power=0.75, shrink=8.0),
        ),
    },
    # Bestsellers: sold lately (new ranges, seasons) or over the data source's whole window.
    BESTSELLERS: {
        "bestsellers.window_days": (0, 7, 14, 30, 60),
    },
}


@dataclass(frozen=True)
class Budget:
    """How much a tuning may score: at most ``customers`` and ``baskets`` held-out cases
    (a seeded sample), ``candidates`` settings per list, each rung keeping ``1 / eta``."""

    customers: int = 150
    baskets: int = 500
    candidates: int = 9
    # Also-bought lists cost a fraction of a personal list's: they can try more.
    basket_candidates: int = 13
    eta: int = 3
    seed: int = 0


@dataclass(frozen=True)
class ListTuning:
    """One list's holdout scores (``metric`` over ``cases``): the defaults' and the chosen
    settings', and how many candidates were tried."""

    name: str
    metric: str
    cases: int
    default: float
    chosen: float
    tried: int


@dataclass(frozen=True)
class Tuning:
    """The settings chosen for a shop, and why: each list's holdout scores beside the
    defaults'. ``holdout_from`` is where the held-out orders start (None: nothing was held
    out, ``note`` says why and ``settings`` are the defaults)."""

    settings: Settings
    lists: tuple[ListTuning, ...] = ()
    holdout_from: datetime | None = None
    seconds: float = 0.0
    note: str = ""

    @property
    def changed(self) -> dict[str, Any]:
        """The chosen settings that differ from the defaults, by dotted name."""
        return differences(self.settings)

    def summary(self) -> dict[str, Any]:
        """What the snapshot keeps and the stats show, as plain JSON values."""
        return {
            "tuned": self.holdout_from is not None,
            "note": self.note,
            "holdout_from": None if self.holdout_from is None else self.holdout_from.isoformat(),
            "seconds": round(self.seconds, 1),
            "settings": {name: _plain(value) for name, value in self.changed.items()},
            "lists": [dataclasses.asdict(row) for row in self.lists],
        }

    def lines(self) -> list[str]:
        """The tuning for a person to read: what was chosen and the holdout scores."""
        if self.holdout_from is None:
            return [f"not tuned: {self.note}; default settings"]
        day = self.holdout_from.date()
        lines = [f"tuned on the orders from {day} (held out) in {self.seconds:.1f} s"]
        for row in self.lists:
            lines.append(
                f"  {row.name}: {row.metric} {row.chosen:.4f} (defaults {row.default:.4f}; "
                f"{row.cases} cases, {row.tried} candidates)"
            )
        changed = self.changed
        if not changed:
            lines.append("  the defaults fit best")
        for name, value in changed.items():
            lines.append(f"  {name} = {_plain(value)}")
        return lines


def untuned(note: str) -> Tuning:
    """The defaults, with the reason they were not tuned."""
    return Tuning(settings=DEFAULTS, note=note)


class Holdout:
    """A shop's orders split at ``split_at``: models learn from the orders before it, and
    lists are scored on the purchases from it on (a seeded sample of at most ``customers``
    returning customers and ``baskets`` baskets), as ``recoms evaluate`` scores them.
    Models are built once per build setting and kept."""

    def __init__(
        self,
        history: OrderHistory,
        split_at: datetime,
        *,
        customers: int,
        baskets: int,
        seed: int = 0,
    ) -> None:
        self.split_at = split_at
        split_ts = int(split_at.timestamp())
        log = order_log(history)
        train = log.select(log.timestamp < split_ts)
        test = log.select(log.timestamp >= split_ts)
        self._training = training = training_set(train)
        to_catalog = catalogue_index(log, training)
        returning = Customers.of(train, test, to_catalog, len(training.catalog))
        cases = basket_cases(test, to_catalog, seed)
        random = np.random.default_rng(seed)
        chosen = np.sort(random.permutation(returning.ids.size)[:customers]).tolist()
        chosen_cases = [cases[i] for i in sorted(random.permutation(len(cases))[:baskets])]
        self._histories = contact_histories(train, returning.ids[chosen])
        self._targets = {
            PERSONAL: [returning.targets[i] for i in chosen],
            PERSONAL_NEW: [returning.new_targets[i] for i in chosen],
        }
        product_ids = training.catalog.product_ids
        self._baskets = [[product_ids[i] for i in case.given] for case in chosen_cases]
        self._hidden = [{case.hidden} for case in chosen_cases]
        self._builder = ModelBuilder(training.history, training.catalog, now=split_at)
        self._aligned: dict[BuildParams, Aligned] = {}

    def size(self, name: str) -> int:
        """How many cases the list ``name`` is scored on (customers or baskets)."""
        return len(self._baskets) if name == ALSO_BOUGHT else len(self._histories)

    def cases(self, name: str) -> int:
        """How many of them have targets (customers with new purchases, for new items)."""
        if name == ALSO_BOUGHT:
            return len(self._baskets)
        targets = self._targets[PERSONAL if name == BESTSELLERS else name]
        return sum(1 for wanted in targets if wanted)

    def score(self, name: str, settings: Settings, n: int | None = None) -> float:
        """``METRICS[name]`` of the list ``name`` under ``settings`` over the first ``n``
        cases (all by default)."""
        return float(self.case_scores(name, settings, n).mean())

    def case_scores(
        self, name: str, settings: Settings, n: int | None = None
    ) -> npt.NDArray[np.float64]:
        """The metric of each of the first ``n`` cases that has targets, in case order."""
        aligned = self._model(settings)
        if name == ALSO_BOUGHT:
            source = data_source(Algorithm.ALSO_BOUGHT, K)
            asks = [(None, given) for given in self._baskets[:n]]
            lists = ranked_lists(aligned, source, self.split_at, asks)
            pairs = zip(lists, self._hidden, strict=False)
            return np.array([hit_rate(ranked, hidden, K) for ranked, hidden in pairs])
        if name == BESTSELLERS:
            # One list for everyone (it leaves nothing out), scored on each customer's
            # purchases.
            source = data_source(Algorithm.BESTSELLERS, K)
            (ranked,) = ranked_lists(aligned, source, self.split_at, [(None, ())])
            targets = self._targets[PERSONAL][:n]
            return np.array([ndcg(ranked, wanted, K) for wanted in targets if wanted])
        source = data_source(Algorithm.PERSONAL, K, exclude_purchased=name == PERSONAL_NEW)
        histories = self._histories[:n]
        lists = ranked_lists(aligned, source, self.split_at, ((h, ()) for h in histories))
        pairs = zip(lists, self._targets[name], strict=False)
        return np.array([ndcg(ranked, targets, K) for ranked, targets in pairs if targets])

    def _model(self, settings: Settings) -> Aligned:
        found = self._aligned.get(settings.build)
        if found is None:
            found = align(self._builder.build(settings), self._training.catalog)
            self._aligned[settings.build] = found
        return dataclasses.replace(
            found, model=dataclasses.replace(found.model, settings=settings)
        )


def holdout_start(history: OrderHistory) -> datetime | None:
    """Where a rebuild's holdout starts: ``HOLDOUT_DAYS`` before the latest order, or a
    ``SHORT_SHARE`` of the history's span when that is shorter; None when that is under a day."""
    if history.n_lines == 0:
        return None
    first, last = int(history.timestamp.min()), int(history.timestamp.max())
    held = min(HOLDOUT_DAYS * _DAY, (last - first) * SHORT_SHARE)
    if held < _DAY:
        return None
    return datetime.fromtimestamp(last - int(held), UTC)


def tune(history: OrderHistory, *, budget: Budget = Budget()) -> Tuning:
    """The settings that score best on the latest orders of ``history`` held out (see the
    module's docstring). Too little history (or too few customers and baskets on both sides)
    keeps the defaults, and the note says so. Lists are tuned in turn, each from the
    previous one's choice: new items (which also choose the learned parts and popularity),
    then all items, then also-bought, then the bestsellers window."""
    started = time.perf_counter()
    split_at = holdout_start(history)
    if split_at is None:
        return untuned("too little history to hold out its latest orders")
    holdout = Holdout(
        history, split_at, customers=budget.customers, baskets=budget.baskets, seed=budget.seed
    )
    if max(holdout.cases(name) for name in SPACES) < MIN_CASES:
        return untuned(
            f"the orders from {split_at.date()} on hold too few returning customers and "
            f"baskets (at least {MIN_CASES} are needed)"
        )
    random = np.random.default_rng(budget.seed)
    current = DEFAULTS
    rows: list[ListTuning] = []
    for name in SPACES:
        cases = holdout.cases(name)
        if cases < MIN_CASES:
            continue

        def score(settings: Settings, n: int, name: str = name) -> npt.NDArray[np.float64]:
            return holdout.case_scores(name, settings, n)

        n = holdout.size(name)
        count = budget.basket_candidates if name == ALSO_BOUGHT else budget.candidates
        candidates = _candidates(current, SPACES[name], count, random)
        least = MIN_BASKETS if name == ALSO_BOUGHT else MIN_CASES
        best, scores = _halving(candidates, score, n, budget.eta, least)
        default = scores.get(DEFAULTS)
        rows.append(
            ListTuning(
                name=name,
                metric=METRICS[name],
                cases=cases,
                default=default if default is not None else holdout.score(name, DEFAULTS, n),
                chosen=scores[best],
                tried=len(candidates),
            )
        )
        current = best
    return Tuning(
        settings=current,
        lists=tuple(rows),
        holdout_from=split_at,
        seconds=time.perf_counter() - started,
    )


def _candidates(
    current: Settings,
    space: Mapping[str, Sequence[Any]],
    count: int,
    random: np.random.Generator,
) -> list[Settings]:
    """``current`` first, then ``current`` with each other value of one setting alone:
    of each learned part (``build.*``), since those change the most and a draw that varies
    everything at once can hide a better part behind worse weights, and of every other
    setting too when that leaves a third of ``count`` for draws; then draws of ``space``
    applied to it, up to ``count`` in all (every combination when there are no more than
    that). The draws are a Latin hypercube: each setting's values take turns in a shuffled
    order, so that every value of every setting is tried even by a handful of candidates."""
    names = list(space)
    sizes = [len(space[name]) for name in names]
    combinations = math.prod(sizes)
    found = [current]

    def singles(chosen: list[str]) -> list[Settings]:
        variants = [_with(current, name, value) for name in chosen for value in space[name]]
        return [v for v in dict.fromkeys(variants) if v != current]

    found += singles([name for name in names if name.startswith("build.")])
    others = [v for v in singles(names) if v not in found]
    if len(found) + len(others) <= count - count // 3:
        found += others
    draws = max(count - len(found), 0)
    if combinations <= draws:
        picks = [tuple(int(p) for p in np.unravel_index(i, sizes)) for i in range(combinations)]
    else:
        columns = [
            np.resize(random.permutation(size), draws)[random.permutation(draws)] for size in sizes
        ]
        picks = [tuple(int(column[row]) for column in columns) for row in range(draws)]
    for pick in picks:
        candidate = current
        for name, position in zip(names, pick, strict=True):
            candidate = _with(candidate, name, space[name][position])
        if candidate not in found:
            found.append(candidate)
    return found


def _with(settings: Any, name: str, value: Any) -> Any:
    """``settings`` with the dotted field ``name`` set to ``value``."""
    head, _, rest = name.partition(".")
    if not rest:
        return dataclasses.replace(settings, **{head: value})
    return dataclasses.replace(settings, **{head: _with(getattr(settings, head), rest, value)})


# How many standard errors of the paired difference a challenger must lead the incumbent by
# on the last rung to replace it: a few hundred cases are noisy, and a setting that won by
# chance does worse on the next month than the one it replaced.
MARGIN = 2.0


def _halving(
    candidates: list[Settings],
    score: Callable[[Settings, int], npt.NDArray[np.float64]],
    n_cases: int,
    eta: int,
    least: int = MIN_CASES,
) -> tuple[Settings, dict[Settings, float]]:
    """Successive halving over ``candidates`` (the first is the incumbent and stays to the
    end): the best of the last rung, scored on every case, ties to the earlier candidate,
    if it leads the incumbent by ``MARGIN`` standard errors of their paired per-case
    difference, else the incumbent; and each survivor's mean score on every case."""
    rungs = math.ceil(math.log(max(len(candidates), 1), eta))
    size = max(n_cases // eta**rungs, min(least, n_cases))
    alive = list(range(len(candidates)))
    while True:
        size = min(size, n_cases)
        per_case = {i: score(candidates[i], size) for i in alive}
        scored = {i: float(per_case[i].mean()) if per_case[i].size else 0.0 for i in alive}
        ranked = sorted(alive, key=lambda i: (-scored[i], i))
        if size >= n_cases or len(alive) == 1:
            best = ranked[0]
            if best != 0 and not _leads(per_case[best], per_case[0]):
                best = 0
            return candidates[best], {candidates[i]: scored[i] for i in alive}
        keep = ranked[: max(math.ceil(len(alive) / eta), 1)]
        alive = sorted(set(keep) | {0})
        size *= eta


def _leads(challenger: npt.NDArray[np.float64], incumbent: npt.NDArray[np.float64]) -> bool:
    difference = challenger - incumbent
    if difference.size < 2:
        return False
    error = float(difference.std(ddof=1)) / math.sqrt(difference.size)
    return float(difference.mean()) > MARGIN * error


def _plain(value: Any) -> Any:
    """Settings values as JSON: parameter groups as objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value
