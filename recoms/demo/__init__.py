"""The demo store: a product feed and a generated order history, loaded in one call."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from recoms.demo.generate import END, FEED, ORDERS
from recoms.domain import DataSourceId, ProductId
from recoms.service import RecomsService

__all__ = ["CURATED", "FEED", "ORDERS", "load_demo"]

CURATED = tuple(
    ProductId(pid)
    for pid in (
        "premium-overthinking-blanket",
        "tiny-dopamine-pack",
        "consent-banner-stress-ball",
        "im-fine-care-parcel",
        "monday-survival-kit",
    )
)
"""The demo's hand-picked list, set on the default ``other`` data source (id 6)."""


async def load_demo(service: RecomsService, *, today: date | None = None) -> None:
    """Import the demo feed and orders, with order dates moved so that the latest generated
    order falls on the day before ``today`` (default: the current UTC day), name Olena, fill
    the curated list and build the model."""
    today = today or datetime.now(UTC).date()
    shift = (today - timedelta(days=1)) - END
    await service.import_feed(FEED)
    with tempfile.TemporaryDirectory(prefix="recoms-demo-") as folder:
        shifted = Path(folder) / "orders.csv"
        await asyncio.to_thread(_shift_dates, ORDERS, shifted, shift)
        await service.import_orders(shifted)
    await service.upsert_contact(external_id="olena-001", name="Olena")
    source = await service.get_data_source(DataSourceId(6))
    if not source.params.product_ids:
        await service.update_data_source(
            source.id, params=dataclasses.replace(source.params, product_ids=CURATED)
        )
    await service.rebuild()


def _shift_dates(source: Path, target: Path, shift: timedelta) -> None:
    with (
        source.open(encoding="utf-8", newline="") as infile,
        target.open("w", encoding="utf-8", newline="") as outfile,
    ):
        reader = csv.DictReader(infile)
        assert reader.fieldnames is not None
        writer = csv.DictWriter(outfile, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        for row in reader:
            moment = datetime.fromisoformat(row["ordered_at"]) + shift
            row["ordered_at"] = moment.strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow(row)
