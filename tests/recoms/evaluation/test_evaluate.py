"""The offline evaluation end to end on a tiny orders export whose right answers are known."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from recoms.evaluation import evaluate, format_report
from recoms.evaluation.evaluate import (
    ALL_ITEMS,
    ALSO_BOUGHT,
    HIDDEN_ITEM,
    OWN_MOST_BOUGHT,
    PERSONAL,
    POPULARITY,
)

SPLIT = date(2024, 3, 1)
HEADER = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
]


def write_orders(path: Path) -> Path:
    """Before the split: four customers each buy their own staple weekly; guests buy water
    with one filler product, bread with butter, and thirty fillers alone. After it: each
    customer buys their staple again and two guests buy bread with butter."""
    rows: list[list[str]] = []
    number = 1000

    def order(at: datetime, customer: str, *items: str) -> None:
        nonlocal number
        number += 1
        for item in items:
            rows.append(
                [str(number), item, f"{item} item", "2", at.isoformat(" "), "1.5", customer, "UK"]
            )

    start = datetime(2024, 1, 1, 10)
    for customer in range(1, 5):
        for week in range(4):
            order(
                start + timedelta(weeks=week, days=customer), str(12340 + customer), f"S{customer}"
            )
    for i in range(10):
        order(start + timedelta(days=3 * i), "", "WATER", f"F{i:02d}")
    for i in range(8):
        order(start + timedelta(days=4 * i, hours=1), "", "BREAD", "BUTTER")
    for i in range(10, 40):
        order(start + timedelta(days=i), "", f"F{i:02d}")
    # A cancellation after the split must not count as a purchase.
    rows.append(["C2000", "F05", "F05 item", "-2", "2024-03-03 10:00:00", "1.5", "12341", "UK"])
    after = datetime(2024, 3, 4, 9)
    for customer in range(1, 5):
        order(after + timedelta(days=customer), str(12340 + customer), f"S{customer}")
    order(after, "", "BREAD", "BUTTER")
    order(after + timedelta(days=1), "", "BUTTER", "BREAD")
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_orders(tmp_path_factory.mktemp("orders") / "orders.csv")


def test_known_answers(orders: Path) -> None:
    report = evaluate(orders, split_date=SPLIT, k=3, threads=1)
    assert report.customers == 4
    assert report.baskets == 2
    assert report.products == 47  # four staples, water, bread, butter and forty fillers
    # Each customer buys their staple again: the personal list and their own most-bought
    # items put it first; popularity (water, bread, butter) never finds it.
    for method in (PERSONAL, OWN_MOST_BOUGHT):
        scores = report.score(method, ALL_ITEMS)
        assert (scores.cases, scores.hit_rate) == (4, 1.0)
        assert scores.ndcg == pytest.approx(1.0)
        assert scores.precision == pytest.approx(1 / 3)
    assert report.score(POPULARITY, ALL_ITEMS).hit_rate == 0.0
    # Bread and butter are bought together: hide one, and also-bought finds it first;
    # popularity finds it second, after water.
    also = report.score(ALSO_BOUGHT, HIDDEN_ITEM)
    assert (also.cases, also.hit_rate) == (2, 1.0)
    assert also.ndcg == pytest.approx(1.0)
    assert report.score(POPULARITY, HIDDEN_ITEM).ndcg == pytest.approx(0.6309, abs=1e-4)


def test_report_is_a_table_of_every_method(orders: Path) -> None:
    report = evaluate(orders, split_date=SPLIT, k=3, threads=1)
    text = format_report(report)
    for label in (
        "personal",
        "also_bought",
        "baseline: popularity",
        "baseline: implicit ALS",
        "baseline: implicit BM25 item-kNN",
        "NDCG@3",
        "all items (n=4)",
    ):
        assert label in text
    personal_line = next(line for line in text.splitlines() if line.startswith("personal "))
    assert personal_line.split()[1:5] == ["1.0000", "0.3333", "1.0000", "1.0000"]
    # Four customers are too few to tune on: the defaults, said so, and the targets beside.
    assert "Settings: not tuned: the orders from 2024-01-30 on hold too few" in text
    targets = next(line for line in text.splitlines() if "also_bought" in line and "HR@3" in line)
    assert targets.split()[4:7] == ["1.0000", "1.0000", "1.0000"]
    assert targets.split()[7] == "1.00x"


def test_without_tuning_only_the_defaults_are_scored(orders: Path) -> None:
    report = evaluate(orders, split_date=SPLIT, k=3, baselines=False, tune=False)
    assert report.untuned == ()
    assert report.tuning is not None
    assert report.tuning.note == "--no-tune"
    assert "Targets:" not in format_report(report)


def test_without_baselines_only_the_engine_is_scored(orders: Path) -> None:
    report = evaluate(orders, split_date=SPLIT, k=3, baselines=False)
    assert not [row for row in report.rows if row.baseline]
    with pytest.raises(KeyError):
        report.score(POPULARITY, ALL_ITEMS)


def test_a_split_outside_the_orders_is_refused(orders: Path) -> None:
    with pytest.raises(ValueError, match="choose a date inside the orders"):
        evaluate(orders, split_date=date(2030, 1, 1))
