"""Rebuild speed and memory: ``build_model`` on the shared orders file and on synthetic orders.

Each case runs in a child process of its own, so that the peak RSS printed is that case's:
the whole process (the order history, the catalogue view and the build), as in the service.
Targets (issue 3): the shared file in 10 s, 100k products x 1M order lines in 60 s within
1.5 GB. ``--quick`` uses 10k products x 100k lines instead of the large synthetic case.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recoms.algorithms import CatalogView, OrderHistory, build_model
from recoms.domain import ContactId, Product, ProductId
from recoms.evaluation.data import load_orders, training_set

ROOT = Path(__file__).resolve().parent.parent
SHARED_ORDERS = ROOT.parent / "shared" / "data" / "online_retail_II_2009_2010.csv.gz"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _shared(path: Path) -> tuple[OrderHistory, CatalogView, str]:
    log = load_orders(path)
    training = training_set(log)
    return training.history, training.catalog, path.name


def _synthetic(
    n_products: int, n_lines: int, seed: int = 0
) -> tuple[OrderHistory, CatalogView, str]:
    """Orders with skewed popularity and themes: most of a basket comes from one theme of a
    hundred related products, the rest from the shop's popular products."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_products + 1) ** 0.9
    popularity /= popularity.sum()
    rank_of = rng.permutation(n_products)  # popularity is not ordered by product id
    sizes = np.clip(rng.geometric(0.1, size=n_lines // 5), 1, 60)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n_lines)) + 1]
    n_orders = sizes.size
    order_index = np.repeat(np.arange(n_orders), sizes)[:n_lines]
    n_lines = order_index.size
    theme_size = 100
    n_themes = max(n_products // theme_size, 1)
    theme = rng.choice(n_themes, size=n_orders, p=_normalised(1.0 / np.arange(1, n_themes + 1)))
    from_theme = rng.random(n_lines) < 0.7
    in_theme = (theme_size * rng.random(n_lines) ** 2).astype(np.int64)
    product = np.where(
        from_theme,
        np.minimum(theme[order_index] * theme_size + in_theme, n_products - 1),
        rank_of[rng.choice(n_products, size=n_lines, p=popularity)],
    )
    n_customers = max(n_orders // 4, 1)
    customer = rng.integers(0, n_customers, size=n_orders)
    customer[rng.random(n_orders) < 0.2] = -1  # guests
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    when = np.sort(rng.integers(start, start + 365 * 86_400, size=n_orders))
    product_ids = [ProductId(f"P{i:06d}") for i in range(n_products)]
    history = OrderHistory(
        product_ids=product_ids,
        contact_ids=[ContactId(i) for i in range(n_customers)],
        order_index=order_index.astype(np.int64),
        product_index=product.astype(np.int32),
        contact_index=customer[order_index].astype(np.int32),
        timestamp=when[order_index].astype(np.int64),
        quantity=np.ones(n_lines, dtype=np.float32),
    )
    words = ["mug", "lamp", "candle", "frame", "bag", "cushion", "tin", "card", "clock", "bowl"]
    colours = ["red", "blue", "green", "pink", "white", "black", "gold", "silver"]
    catalog = CatalogView.from_products(
        Product(
            id=pid,
            title=f"{colours[i % 8]} {words[(i // 100) % 10]} {words[i % 7]} no {i}",
            description=f"A {words[(i // 100) % 10]} from collection {i // 100}.",
            price=Decimal(int(100 + (i * 7919) % 5000)) / 100,
            category=(f"Department {i // 10_000}", f"Collection {i // 100}"),
        )
        for i, pid in enumerate(product_ids)
    )
    return history, catalog, f"synthetic {n_products:,} products x {n_lines:,} lines"


def _normalised(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def run_case(case: str, quick: bool) -> dict[str, object]:
    """Prepare one case's data, then time the build; runs in the child process."""
    prepared = time.perf_counter()
    if case == "shared":
        history, catalog, name = _shared(SHARED_ORDERS)
    else:
        n_products, n_lines = (10_000, 100_000) if quick else (100_000, 1_000_000)
        history, catalog, name = _synthetic(n_products, n_lines)
    prepare_seconds = time.perf_counter() - prepared
    before_mb = _peak_mb()
    started = time.perf_counter()
    model = build_model(history, catalog, now=datetime.now(UTC))
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    size = len(model.to_bytes())
    store_seconds = time.perf_counter() - started
    return {
        "name": name,
        "lines": history.n_lines,
        "products": len(catalog),
        "prepare_seconds": prepare_seconds,
        "build_seconds": build_seconds,
        "store_seconds": store_seconds,
        "model_mb": size / 1e6,
        "peak_before_build_mb": before_mb,
        "peak_mb": _peak_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k x 100k synthetic case")
    parser.add_argument("--case", choices=("shared", "synthetic"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.quick)))
        return
    cases = ["synthetic"]
    if SHARED_ORDERS.exists():
        cases.insert(0, "shared")
    else:
        print(f"rebuild: {SHARED_ORDERS} not found, shared-file case skipped")
    for case in cases:
        child = subprocess.run(
            [sys.executable, __file__, "--case", case, *(["--quick"] if args.quick else [])],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"rebuild {result['name']}: {result['lines']:,} lines, {result['products']:,} "
            f"products: build_model {result['build_seconds']:.1f} s, to_bytes "
            f"{result['store_seconds']:.1f} s ({result['model_mb']:.0f} MB); peak RSS "
            f"{result['peak_mb']:,.0f} MB ({result['peak_before_build_mb']:,.0f} MB before "
            f"the build, holding the history and catalogue view)"
        )


if __name__ == "__main__":
    main()
