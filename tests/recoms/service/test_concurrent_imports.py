"""Imports beside each other and beside live traffic: nothing is lost, nobody waits for long."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from recoms.domain import Identity
from recoms.errors import Busy
from recoms.service import RecomsService
from tests.recoms.service.conftest import OpenService

CUSTOMERS = 20_000
# A hang guard, not a timing claim: without short import transactions the tracker waits for
# the whole import (and here the import waits for the test), so it never answers.
GUARD = 20.0


def orders_file(path: Path, lines: int, customers: int) -> Path:
    """``lines`` order lines, one order each, of ``customers`` customers known by email."""
    with path.open("w", encoding="utf-8") as out:
        out.write("order_id,product_id,quantity,price,ordered_at,email\n")
        for n in range(lines):
            out.write(f"{n},p{n % 50},1,2.00,2025-06-01 10:00:00,c{n % customers}@example.com\n")
    return path


def event(n: int, name: str = "ProductPage") -> dict[str, Any]:
    info = {"eventName": name, "user_email": f"c{n}@example.com", "datetime": 1750000000000 + n}
    return {"GeneralInfo": info, name: {"Product": {"productKey": f"p{n % 50}"}}}


class Pause:
    """A progress callback that holds the import's reading thread at ``at`` lines read
    until released: the import is then half way, between two batches."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.count = 0
        self.loop = asyncio.get_running_loop()
        self.reached = asyncio.Event()
        self.release = threading.Event()

    def __call__(self, count: int) -> None:
        before, self.count = self.count, self.count + count
        if before < self.at <= self.count:
            self.loop.call_soon_threadsafe(self.reached.set)
            self.release.wait(60)


async def test_events_import_beside_an_orders_import_stores_every_event(
    service: RecomsService, open_another: OpenService, tmp_path: Path
) -> None:
    # Both create the same 20,000 customers (by email) at the same time.
    orders = orders_file(tmp_path / "orders.csv", CUSTOMERS, CUSTOMERS)
    lines = [json.dumps(event(n)) for n in range(CUSTOMERS)]
    other = await open_another()
    order_report, event_report = await asyncio.gather(
        service.import_orders(orders), other.import_events(lines)
    )
    assert (event_report.read, event_report.created, event_report.rejected) == (
        CUSTOMERS,
        CUSTOMERS,
        [],
    )
    assert order_report.created == CUSTOMERS
    stats = await service.stats()
    assert (stats.contacts, stats.orders) == (CUSTOMERS, CUSTOMERS)
    profile = await service.contact_profile(Identity(email="c777@example.com"))
    assert [order.number for order in profile.last_orders] == ["777"]
    assert list(profile.recently_viewed) == ["p27"]


async def test_events_posted_during_a_long_order_import_are_stored_at_once(
    service: RecomsService, open_another: OpenService, tmp_path: Path
) -> None:
    # Held past the first 20,000 lines: an import writing in one transaction has written
    # them, uncommitted, by then.
    orders = orders_file(tmp_path / "orders.csv", 60_000, 5_000)
    pause = Pause(at=50_000)
    importer = await open_another()
    importing = asyncio.create_task(importer.import_orders(orders, progress=pause))
    try:
        await asyncio.wait_for(pause.reached.wait(), 60)
        # Customers the import has written, and customers it has yet to write.
        for n in (1, 2, 3, 4, 4_998, 4_999, 6_000, 6_001, 6_002, 6_003):
            await asyncio.wait_for(service.track(event(n)), GUARD)
        assert not importing.done()
    finally:
        pause.release.set()
    report = await importing
    assert report.created == 60_000
    stats = await service.stats()
    assert stats.contacts == 5_004
    for n in (4, 4_999, 6_003):
        profile = await service.contact_profile(Identity(email=f"c{n}@example.com"))
        assert list(profile.recently_viewed) == [f"p{n % 50}"]


def paused(lines: list[str], pause: Pause) -> Any:
    """``lines``, read through ``pause`` (in the import's reading thread)."""
    for line in lines:
        pause(1)
        yield line


@pytest.mark.parametrize("kind", ["orders", "events"])
async def test_a_second_import_of_the_same_kind_is_refused_while_one_runs(
    service: RecomsService, open_another: OpenService, tmp_path: Path, kind: str
) -> None:
    orders = orders_file(tmp_path / "orders.csv", 12_000, 100)
    events = [json.dumps(event(n % 100)) for n in range(6_000)]
    pause = Pause(at=5_000)
    importer = await open_another()
    if kind == "orders":
        first = asyncio.create_task(importer.import_orders(orders, progress=pause))
    else:
        first = asyncio.create_task(importer.import_events(paused(events, pause)))
    try:
        await asyncio.wait_for(pause.reached.wait(), 60)
        second = (
            service.import_orders(orders) if kind == "orders" else service.import_events(events)
        )
        with pytest.raises(Busy) as refused:
            await second
        singular = "order" if kind == "orders" else "event"
        assert refused.value.message == (
            f"another {singular} import is running on this database; "
            "try again when it has finished"
        )
        # An import of another kind is not held up.
        small = orders_file(tmp_path / "small.csv", 10, 10)
        if kind == "orders":
            assert (await service.import_events(events[:10])).created == 10
        else:
            assert (await service.import_orders(small)).lines == 10
    finally:
        pause.release.set()
    await first
