"""Offline evaluation: learn from the orders before a date, recommend, and score the lists
against what customers bought in the days after it, beside reference recommenders."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recoms.algorithms import (
    DEFAULTS,
    Aligned,
    align,
    build_model,
)
from recoms.domain import Algorithm
from recoms.evaluation.baselines import (
    AlsParams,
    Bm25Params,
    Implicit,
    fill,
    own_most_bought,
    popularity_ranking,
)
from recoms.evaluation.data import (
    OrderLog,
    contact_histories,
    load_orders,
    training_set,
)
from recoms.evaluation.metrics import Scores, mean_scores
from recoms.evaluation.protocol import (
    BasketCase,
    Customers,
    basket_cases,
    catalogue_index,
    data_source,
    ranked_lists,
)
from recoms.evaluation.tuning import Budget, Tuning, untuned
from recoms.evaluation.tuning import tune as tune_settings

ALL_ITEMS = "all items"
NEW_ITEMS = "new items"
HIDDEN_ITEM = "hidden item"


@dataclass(frozen=True)
class Row:
    """One method's scores on one kind of target. ``baseline`` rows are reference methods."""

    method: str
    targets: str
    scores: Scores
    baseline: bool = False


@dataclass(frozen=True)
class EvaluationReport:
    """Scores of every algorithm and baseline on one split, and what they were scored on;
    with tuning, the settings it chose and the target lists' scores with the built-in
    settings (``untuned``)."""

    path: Path
    split_date: date
    test_days: int
    k: int
    train_lines: int
    test_lines: int
    products: int
    customers: int
    baskets: int
    rows: tuple[Row, ...]
    build_seconds: float
    seconds: float
    notes: tuple[str, ...] = field(default=())
    tuning: Tuning | None = None
    untuned: tuple[Row, ...] = ()

    def score(self, method: str, targets: str) -> Scores:
        """The scores of ``method`` on ``targets``; raises ``KeyError`` when not measured."""
        for row in self.rows:
            if row.method == method and row.targets == targets:
                return row.scores
        raise KeyError((method, targets))


PERSONAL = "personal"
PERSONAL_NEW = "personal exclude_purchased"
BESTSELLERS = "bestsellers"
ALSO_BOUGHT = "also_bought"
UPSELL = "you_may_also_like"
ALTERNATIVES = "alternatives"
POPULARITY = "popularity"
OWN_MOST_BOUGHT = "own most-bought"
ALS = "implicit ALS"
BM25 = "implicit BM25 item-kNN"


def evaluate(
    path: Path,
    *,
    split_date: date,
    columns: Mapping[str, str] | None = None,
    test_days: int = 30,
    k: int = 10,
    baselines: bool = True,
    seed: int = 0,
    threads: int = 2,
    tune: bool = True,
    als_params: AlsParams | None = None,
    bm25_params: Bm25Params | None = None,
    log: OrderLog | None = None,
) -> EvaluationReport:
    """Split the orders at the start of ``split_date`` (UTC): the engine learns from the lines
    before it and is scored on each customer's purchases in the ``test_days`` after it.

    Lists are ranked over the whole catalogue (every product ordered before the split, all in
    stock); targets are products of that catalogue. Customers need orders on both sides. Each
    test order with two or more such products has one product hidden (chosen with ``seed``)
    to be found from the rest, for the product-based lists. ``log`` reuses orders already
    read from ``path``.

    With ``tune`` the engine's settings are tuned first, as a rebuild at the split would
    tune them (on the training lines only, their own last month held out), and the lists
    the targets are about are scored with the built-in settings too (``untuned``)."""
    started = time.perf_counter()
    als_params = als_params or AlsParams()
    bm25_params = bm25_params or Bm25Params()
    log = log if log is not None else load_orders(path, columns)
    split_at = datetime(split_date.year, split_date.month, split_date.day, tzinfo=UTC)
    end_at = split_at + timedelta(days=test_days)
    split_ts, end_ts = int(split_at.timestamp()), int(end_at.timestamp())
    train = log.select(log.timestamp < split_ts)
    test = log.select((log.timestamp >= split_ts) & (log.timestamp < end_ts))
    if train.n_lines == 0 or test.n_lines == 0:
        raise ValueError(
            f"the split at {split_date} leaves {train.n_lines} lines to learn from and "
            f"{test.n_lines} to test on; choose a date inside the orders"
        )

    training = training_set(train)
    catalog = training.catalog
    tuning = (
        tune_settings(training.history, budget=Budget(seed=seed)) if tune else untuned("--no-tune")
    )
    build_started = time.perf_counter()
    model = build_model(training.history, catalog, now=split_at, settings=tuning.settings)
    build_seconds = time.perf_counter() - build_started

    to_catalog = catalogue_index(log, training)
    n_items = len(catalog)
    baskets = _incidence(train.order, to_catalog[train.product], n_items, len(log.order_ids))
    popular = popularity_ranking(baskets)

    customers = Customers.of(train, test, to_catalog, n_items)
    aligned = align(model, catalog)
    rows = _customer_rows(aligned, train, customers, split_at, k)
    cases = basket_cases(test, to_catalog, seed)
    rows += _basket_rows(aligned, cases, split_at, k)
    untuned_rows: list[Row] = []
    if tune:
        defaults = align(
            build_model(training.history, catalog, now=split_at, settings=DEFAULTS), catalog
        )
        untuned_rows = _target_rows(defaults, train, customers, cases, split_at, k)
    if baselines:
        als = Implicit.als(customers.orders, als_params, threads)
        rows += _customer_baselines(
            customers, popular, k, als, Implicit.bm25(customers.orders, bm25_params, threads)
        )
        rows += _basket_baselines(
            cases, popular, n_items, k, als, Implicit.bm25(baskets, bm25_params, threads)
        )
    return EvaluationReport(
        path=path,
        split_date=split_date,
        test_days=test_days,
        k=k,
        train_lines=train.n_lines,
        test_lines=test.n_lines,
        products=n_items,
        customers=customers.ids.size,
        baskets=len(cases),
        rows=tuple(rows),
        tuning=tuning,
        untuned=tuple(untuned_rows),
        build_seconds=build_seconds,
        seconds=time.perf_counter() - started,
        notes=(
            (
                f"ALS: {als_params.factors} factors, regularization "
                f"{als_params.regularization}, alpha {als_params.alpha}, "
                f"{als_params.iterations} iterations; BM25 item-kNN: K={bm25_params.neighbours}, "
                f"K1={bm25_params.k1}, B={bm25_params.b} (customers: customer x product "
                "orders; baskets: order x product). Baseline lists are filled with popularity "
                "to the full length, as the engine's are.",
            )
            if baselines
            else ()
        ),
    )


def _incidence(
    rows: npt.NDArray[np.int64], items: npt.NDArray[np.int64], n_items: int, n_rows: int
) -> sp.csr_matrix:
    """Rows x items, value = number of distinct (row, item, order) lines, here: orders."""
    keep = items >= 0
    matrix = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], items[keep])),
        shape=(n_rows, n_items),
    )
    matrix.sum_duplicates()
    return matrix


def _customer_rows(
    aligned: Aligned,
    train: OrderLog,
    customers: Customers,
    now: datetime,
    k: int,
) -> list[Row]:
    histories = contact_histories(train, customers.ids)
    sources = {
        PERSONAL: data_source(Algorithm.PERSONAL, k),
        PERSONAL_NEW: data_source(Algorithm.PERSONAL, k, exclude_purchased=True),
        BESTSELLERS: data_source(Algorithm.BESTSELLERS, k),
    }
    rows: list[Row] = []
    for method, source in sources.items():
        lists = ranked_lists(aligned, source, now, ((history, ()) for history in histories))
        if method != PERSONAL_NEW:
            rows.append(Row(method, ALL_ITEMS, mean_scores(lists, customers.targets, k)))
        rows.append(Row(method, NEW_ITEMS, mean_scores(lists, customers.new_targets, k)))
    return rows


# The lists the quality targets are about, and what each is scored on.
TARGETS = ((PERSONAL, ALL_ITEMS), (PERSONAL_NEW, NEW_ITEMS), (ALSO_BOUGHT, HIDDEN_ITEM))


def _target_rows(
    aligned: Aligned,
    train: OrderLog,
    customers: Customers,
    cases: list[BasketCase],
    now: datetime,
    k: int,
) -> list[Row]:
    """The target lists' scores over ``aligned`` (personal all items and new items, also
    bought)."""
    histories = contact_histories(train, customers.ids)
    asks = [(history, ()) for history in histories]
    rows = []
    for method, exclude, targets in (
        (PERSONAL, False, customers.targets),
        (PERSONAL_NEW, True, customers.new_targets),
    ):
        source = data_source(Algorithm.PERSONAL, k, exclude_purchased=exclude)
        lists = ranked_lists(aligned, source, now, asks)
        kind = NEW_ITEMS if exclude else ALL_ITEMS
        rows.append(Row(method, kind, mean_scores(lists, targets, k)))
    product_ids = aligned.catalog.product_ids
    source = data_source(Algorithm.ALSO_BOUGHT, k)
    lists = ranked_lists(
        aligned, source, now, ((None, [product_ids[i] for i in c.given]) for c in cases)
    )
    rows.append(Row(ALSO_BOUGHT, HIDDEN_ITEM, mean_scores(lists, [{c.hidden} for c in cases], k)))
    return rows


def _customer_baselines(
    customers: Customers,
    popular: npt.NDArray[np.int64],
    k: int,
    als: Implicit,
    bm25: Implicit,
) -> list[Row]:
    """Baselines for customers: ALS and BM25 learned from customers' distinct orders."""
    rows: list[Row] = []
    targets, new_targets, bought = customers.targets, customers.new_targets, customers.bought
    pop_all = [fill([], popular, k) for _ in bought]
    pop_new = [fill([], popular, k, seen) for seen in bought]
    rows.append(Row(POPULARITY, ALL_ITEMS, mean_scores(pop_all, targets, k), True))
    rows.append(Row(POPULARITY, NEW_ITEMS, mean_scores(pop_new, new_targets, k), True))
    own = [
        fill(own_most_bought(customers.orders, customers.last_bought, int(user), k), popular, k)
        for user in customers.ids.tolist()
    ]
    rows.append(Row(OWN_MOST_BOUGHT, ALL_ITEMS, mean_scores(own, targets, k), True))
    rows.append(Row(OWN_MOST_BOUGHT, NEW_ITEMS, mean_scores(own, new_targets, k), True))
    user_rows = sp.csr_matrix(customers.orders[customers.ids])
    for method, model in ((ALS, als), (BM25, bm25)):
        found = model.recommend(user_rows, users=customers.ids, k=k, filter_seen=False)
        lists = [fill(items, popular, k) for items in found]
        rows.append(Row(method, ALL_ITEMS, mean_scores(lists, targets, k), True))
        found = model.recommend(user_rows, users=customers.ids, k=k, filter_seen=True)
        lists = [fill(items, popular, k, seen) for items, seen in zip(found, bought, strict=True)]
        rows.append(Row(method, NEW_ITEMS, mean_scores(lists, new_targets, k), True))
    return rows


def _basket_rows(aligned: Aligned, cases: list[BasketCase], now: datetime, k: int) -> list[Row]:
    product_ids = aligned.catalog.product_ids
    rows = []
    for method, algorithm in (
        (ALSO_BOUGHT, Algorithm.ALSO_BOUGHT),
        (UPSELL, Algorithm.YOU_MAY_ALSO_LIKE),
        (ALTERNATIVES, Algorithm.ALTERNATIVES),
    ):
        source = data_source(algorithm, k)
        asks = ((None, [product_ids[i] for i in case.given]) for case in cases)
        lists = ranked_lists(aligned, source, now, asks)
        rows.append(Row(method, HIDDEN_ITEM, mean_scores(lists, [{c.hidden} for c in cases], k)))
    return rows


def _basket_baselines(
    cases: list[BasketCase],
    popular: npt.NDArray[np.int64],
    n_items: int,
    k: int,
    als: Implicit,
    bm25: Implicit,
) -> list[Row]:
    """Baselines for baskets: BM25 item-kNN learned from baskets (what also-bought learns
    from); ALS learned from customers, the basket folded in as a new user."""
    hidden = [{case.hidden} for case in cases]
    given = [set(case.given) for case in cases]
    rows = [
        Row(
            POPULARITY,
            HIDDEN_ITEM,
            mean_scores([fill([], popular, k, g) for g in given], hidden, k),
            True,
        )
    ]
    lengths = [len(case.given) for case in cases]
    query = sp.csr_matrix(
        (
            np.ones(sum(lengths), dtype=np.float32),
            np.fromiter((i for case in cases for i in case.given), dtype=np.int64),
            np.r_[0, np.cumsum(lengths)],
        ),
        shape=(len(cases), n_items),
    )
    for method, model in ((BM25, bm25), (ALS, als)):
        found = model.recommend(query, users=None, k=k, filter_seen=True)
        lists = [fill(items, popular, k, g) for items, g in zip(found, given, strict=True)]
        rows.append(Row(method, HIDDEN_ITEM, mean_scores(lists, hidden, k), True))
    return rows


def format_report(report: EvaluationReport) -> str:
    """The report as a plain-text table, methods as rows, one block per kind of task."""
    lines = [
        f"Orders {report.path.name}: learned from {report.train_lines:,} lines before "
        f"{report.split_date}, scored on {report.test_lines:,} lines of the next "
        f"{report.test_days} days; {report.products:,} products ranked, top {report.k}.",
        f"Model built in {report.build_seconds:.1f} s; evaluation took {report.seconds:.0f} s.",
        *report.notes,
        "",
    ]
    if report.tuning is not None:
        lines += ["Settings: " + report.tuning.lines()[0], *report.tuning.lines()[1:], ""]
    lines += _target_table(report)
    k = report.k
    metric_header = "".join(f"{name + '@' + str(k):>9}" for name in ("HR", "P", "R", "NDCG"))

    def cells(scores: Scores) -> str:
        return "".join(
            f"{value:>9.4f}"
            for value in (scores.hit_rate, scores.precision, scores.recall, scores.ndcg)
        )

    width = 34
    by_key = {(row.method, row.targets): row for row in report.rows}
    methods = list(dict.fromkeys(row.method for row in report.rows))
    for title, kinds in (
        ("Customers: their purchases after the split", (ALL_ITEMS, NEW_ITEMS)),
        ("Baskets: one product of each order hidden, found from the rest", (HIDDEN_ITEM,)),
    ):
        present = [m for m in methods if any((m, kind) in by_key for kind in kinds)]
        if not present:
            continue
        lines.append(title)
        header = " " * width + "".join(
            f"{kind + ' (n=' + str(_cases(report, kind)) + ')':<36}" for kind in kinds
        )
        lines.append(header.rstrip())
        lines.append(f"{'method':<{width}}" + metric_header * len(kinds))
        for method in present:
            row_cells = []
            baseline = False
            for kind in kinds:
                row = by_key.get((method, kind))
                baseline = baseline or (row is not None and row.baseline)
                row_cells.append(cells(row.scores) if row else f"{'-':>9}" * 4)
            label = ("  baseline: " if baseline else "") + method
            lines.append(f"{label:<{width}}" + "".join(row_cells))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _target_table(report: EvaluationReport) -> list[str]:
    """The quality targets: each target list tuned, with ``--no-tune`` settings and against
    the best baseline on its metric (empty without tuning or baselines)."""
    plain = {(row.method, row.targets): row for row in report.untuned}
    best: dict[str, Row] = {}
    for row in report.rows:
        if row.baseline and (row.targets not in best or _metric(row) > _metric(best[row.targets])):
            best[row.targets] = row
    if not plain or not best:
        return []
    lines = [
        f"Targets: {'list':<28}{'metric':<20}{'tuned':>8}{'--no-tune':>11}"
        f"{'best baseline':>15}  ratio",
    ]
    for method, kind in TARGETS:
        tuned = report.score(method, kind)
        baseline = best[kind]
        metric = ("HR" if kind == HIDDEN_ITEM else "NDCG") + f"@{report.k}"
        ratio = _metric_of(tuned, kind) / max(_metric(baseline), 1e-12)
        lines.append(
            f"         {method:<28}{kind + ' ' + metric:<20}{_metric_of(tuned, kind):>8.4f}"
            f"{_metric_of(plain[(method, kind)].scores, kind):>11.4f}"
            f"{_metric(baseline):>15.4f}  {ratio:.2f}x {baseline.method}"
        )
    return [*lines, ""]


def _metric_of(scores: Scores, kind: str) -> float:
    """What a target is measured by: HR for a hidden item, NDCG for customers."""
    return scores.hit_rate if kind == HIDDEN_ITEM else scores.ndcg


def _metric(row: Row) -> float:
    return _metric_of(row.scores, row.targets)


def _cases(report: EvaluationReport, kind: str) -> int:
    return max((row.scores.cases for row in report.rows if row.targets == kind), default=0)


__all__ = [
    "ALL_ITEMS",
    "HIDDEN_ITEM",
    "NEW_ITEMS",
    "EvaluationReport",
    "Row",
    "evaluate",
    "format_report",
]
