"""Order history import: CSV lines grouped into orders, with their customers and products,
written in bulk (the hot path of a large import: every per-line cost counts)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import CONTACT_KEYS, Availability, Product, ProductId, Rejected
from recoms.errors import InvalidRequest
from recoms.importing.orders import OrderRow, Skipped, check_orders, read_orders
from recoms.service.answers import EVERYTHING
from recoms.service.batches import Work, batches, write
from recoms.service.catalogue import CATALOG_COUNTER
from recoms.service.contacts import Identifiers
from recoms.service.freshness import Freshness
from recoms.service.reports import ImportReport, Progress
from recoms.storage.database import Database
from recoms.storage.repositories import (
    ContactRepository,
    CounterRepository,
    NewOrder,
    OrderRepository,
    ProductRepository,
)

T = TypeVar("T")

# Lines parsed and written at a time, each batch in a transaction of its own: short enough
# that a tracker event waiting for it is answered within a second.
BATCH = 2_000


async def import_orders(
    database: Database,
    path: Path,
    *,
    columns: Mapping[str, str] | None,
    before: date | None,
    currency: str | None,
    encoding: str,
    identifiers: Identifiers,
    now: datetime,
    progress: Progress | None,
    freshness: Freshness | None = None,
) -> ImportReport:
    """See ``RecomsService.import_orders``: the file is read through once first, then
    written in batches of :data:`BATCH` lines, each in a short transaction of its own that
    tells every serving process (``freshness``) to drop the lists it keeps."""
    await asyncio.to_thread(check_orders, path, columns, encoding=encoding)
    cutoff = None if before is None else datetime.combine(before, dt_time(), tzinfo=UTC)
    report = ImportReport()
    writer = OrderWriter(identifiers=identifiers, now=now, currency=currency)
    rows = read_orders(path, columns, encoding=encoding, progress=progress)
    async with contextlib.aclosing(batches(rows, BATCH)) as parsed:
        async for batch in parsed:
            report.read += len(batch)
            kept = _kept(batch, report, cutoff)
            report.add(
                await write(
                    database.sessions,
                    _told(writer.batch(kept), freshness),
                    on_conflict=writer.forget,
                )
            )
            if freshness is not None:
                freshness.applied(EVERYTHING)
    await write(database.sessions, writer.finish)
    return report


def _told(work: Work[T], freshness: Freshness | None) -> Work[T]:
    """``work``, then the notification that lists kept anywhere may be wrong now."""

    async def told(session: AsyncSession) -> T:
        result = await work(session)
        if freshness is not None:
            await freshness.publish(session, EVERYTHING)
        return result

    return told


def _kept(
    batch: Sequence[OrderRow | Skipped | Rejected], report: ImportReport, cutoff: datetime | None
) -> list[OrderRow]:
    """The lines to store; the others are counted in ``report`` as skipped or rejected."""
    kept: list[OrderRow] = []
    late = None if cutoff is None else f"ordered on or after {cutoff.date()}"
    for item in batch:
        if isinstance(item, OrderRow):
            if cutoff is not None and item.ordered_at >= cutoff:
                report.skip(str(late))
            else:
                kept.append(item)
        elif isinstance(item, Rejected):
            report.rejected.append(item)
        else:
            report.skip(item.reason)
    return kept


def currency_code(value: str | None) -> str | None:
    """``value`` as an upper-case three-letter code (None stays None).

    Raises ``InvalidRequest`` for anything else."""
    if value is None:
        return None
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidRequest(f"currency must be a three-letter code such as EUR, not {value!r}")
    return code


class OrderWriter:
    """Writes parsed order lines a batch at a time, each batch in the transaction it is
    given, remembering across batches what the import has found and created."""

    def __init__(self, *, identifiers: Identifiers, now: datetime, currency: str | None) -> None:
        self.identifiers = identifiers
        self.now = now
        self.currency = currency
        # Identifier value -> contact id, for every value seen in this import.
        self.by_key: dict[str, dict[str, int]] = {key: {} for key in CONTACT_KEYS}
        # What each contact seen in this import holds: id -> {field: value or None}.
        self.held: dict[int, dict[str, str | None]] = {}
        self.absent: dict[str, set[str]] = {key: set() for key in CONTACT_KEYS}
        # Raw (external id, email, phone) of a line -> contact id (or None: no usable id).
        self.by_raw: dict[tuple[str | None, str | None, str | None], int | None] = {}
        self.known_products: set[ProductId] = set()
        # Products created from this file: id -> (ordered_at, title, price, currency) latest.
        self.created_products: dict[ProductId, tuple[datetime, str, Decimal | None, str | None]]
        self.created_products = {}
        # Order number -> id for orders created by this import (lines may come later).
        self.created_orders: dict[str, int] = {}
        self.phone_cache: dict[str, str | None] = {}
        self.email_cache: dict[str, str | None] = {}
        # What the batch being written added to the two above, to forget if it fails.
        self.batch_orders: list[str] = []
        self.batch_products: list[ProductId] = []

    def _bind(self, session: AsyncSession) -> None:
        """Write within ``session`` from now on, counting into a report of its own."""
        self.report = ImportReport()
        self.contacts = ContactRepository(session)
        self.orders = OrderRepository(session)
        self.products = ProductRepository(session)

    def batch(self, rows: Sequence[OrderRow]) -> Work[ImportReport]:
        """The transaction's work that stores ``rows`` and reports what it added."""

        async def work(session: AsyncSession) -> ImportReport:
            self._bind(session)
            self.batch_orders, self.batch_products = [], []
            await self.write(rows)
            return self.report

        return work

    def forget(self) -> None:
        """Forget what a batch that was rolled back found and created: look it up again."""
        for number in self.batch_orders:
            self.created_orders.pop(number, None)
        for pid in self.batch_products:
            self.created_products.pop(pid, None)
        self.known_products.clear()
        self.by_key = {key: {} for key in CONTACT_KEYS}
        self.held.clear()
        self.absent = {key: set() for key in CONTACT_KEYS}
        self.by_raw.clear()

    async def write(self, rows: Sequence[OrderRow]) -> None:
        """Store a batch of lines: new products, then new contacts, then new orders."""
        # One pass over the lines; everything after it works per order or per product.
        groups: dict[str, list[OrderRow]] = {}
        latest: dict[ProductId, OrderRow] = {}
        for row in rows:
            group = groups.get(row.order_id)
            if group is None:
                groups[row.order_id] = [row]
            else:
                group.append(row)
            seen = latest.get(row.product_id)
            if seen is None or row.ordered_at >= seen.ordered_at:
                latest[row.product_id] = row
        if groups:
            await self._products(latest)
            await self._orders(groups)

    async def finish(self, session: AsyncSession) -> None:
        """Give products created from the file their latest name and price."""
        self._bind(session)
        if self.created_products:
            await self.products.update_prices(
                {
                    pid: (title, price, currency)
                    for pid, (_, title, price, currency) in self.created_products.items()
                },
                self.now,
            )
            await CounterRepository(session).bump(CATALOG_COUNTER)

    async def _products(self, latest: Mapping[ProductId, OrderRow]) -> None:
        unknown = [pid for pid in latest if pid not in self.known_products]
        if unknown:
            existing = await self.products.existing_ids(unknown)
            self.known_products.update(existing)
            new = [pid for pid in unknown if pid not in existing]
            await self.products.insert_new(
                [
                    Product(
                        id=pid,
                        title=_title(latest[pid]),
                        price=latest[pid].price,
                        currency=latest[pid].currency or self.currency,
                        availability=Availability.IN_STOCK,
                    )
                    for pid in new
                ],
                self.now,
            )
            self.known_products.update(new)
            self.report.products_created += len(new)
            self.batch_products += new
            for pid in new:
                self.created_products[pid] = _latest_entry(latest[pid], self.currency)
        for pid, row in latest.items():
            entry = self.created_products.get(pid)
            if entry is not None and row.ordered_at >= entry[0]:
                self.created_products[pid] = _latest_entry(row, self.currency)

    def _normal(self, row: OrderRow) -> tuple[str | None, str | None, str | None]:
        email: str | None = None
        if row.email:
            if row.email not in self.email_cache:
                self.email_cache[row.email] = self.identifiers.email(row.email)
            email = self.email_cache[row.email]
        phone: str | None = None
        if row.phone:
            if row.phone not in self.phone_cache:
                self.phone_cache[row.phone] = self.identifiers.phone(row.phone)
            phone = self.phone_cache[row.phone]
        return row.external_customer_id, email, phone

    async def _contacts(self, rows: Sequence[OrderRow]) -> list[int | None]:
        """The contact of each row (None for an anonymous line), creating new contacts.

        The same external id, email or phone means the same contact; identifiers a contact
        lacks are filled in from later lines unless another contact holds them."""
        raws = [(row.external_customer_id, row.email, row.phone) for row in rows]
        first_row = dict(zip(raws, rows, strict=True))
        pending = [raw for raw in first_row if raw not in self.by_raw]
        if not pending:
            return [self.by_raw[raw] for raw in raws]
        normals = {raw: self._normal(first_row[raw]) for raw in pending}
        await self._load_known(list(normals.values()))
        # New contacts of this batch, named by placeholders -1, -2, ... until inserted.
        new: list[dict[str, str | None]] = []
        fills: dict[int, dict[str, str | None]] = {}
        resolved: dict[tuple[str | None, str | None, str | None], int | None] = {}
        for raw in pending:
            values: dict[str, str | None] = dict(zip(CONTACT_KEYS, normals[raw], strict=True))
            contact_id = next(
                (
                    self.by_key[key][value]
                    for key, value in values.items()
                    if value is not None and value in self.by_key[key]
                ),
                None,
            )
            if contact_id is None:
                if not any(values.values()):
                    resolved[raw] = None
                    continue
                new.append(dict.fromkeys(CONTACT_KEYS))
                contact_id = -len(new)
            held = new[-1 - contact_id] if contact_id < 0 else self.held[contact_id]
            for key, value in values.items():
                if value is not None and held[key] is None and value not in self.by_key[key]:
                    held[key] = value
                    self.by_key[key][value] = contact_id
                    if contact_id >= 0:
                        fills.setdefault(contact_id, {})[key] = value
            resolved[raw] = contact_id
        ids = await self.contacts.create_many(new, self.now)
        self.report.contacts_created += len(ids)
        for values, contact_id in zip(new, ids, strict=True):
            self.held[contact_id] = dict(values)
            for key, value in values.items():
                if value is not None:
                    self.by_key[key][value] = contact_id
        for raw, contact_id in resolved.items():
            if contact_id is not None and contact_id < 0:
                contact_id = ids[-1 - contact_id]
            self.by_raw[raw] = contact_id
        for contact_id, values in fills.items():
            await self.contacts.update(contact_id, **values)
        return [self.by_raw[raw] for raw in raws]

    async def _load_known(
        self, normals: Sequence[tuple[str | None, str | None, str | None]]
    ) -> None:
        """Look up identifiers not seen yet in this import, with all that their contacts hold."""
        for position, key in enumerate(CONTACT_KEYS):
            wanted = list(
                dict.fromkeys(
                    value
                    for normal in normals
                    if (value := normal[position]) is not None
                    and value not in self.by_key[key]
                    and value not in self.absent[key]
                )
            )
            if not wanted:
                continue
            for contact_id, *held in await self.contacts.identifiers_by(key, wanted):
                self.held[contact_id] = dict(zip(CONTACT_KEYS, held, strict=True))
                for other, value in zip(CONTACT_KEYS, held, strict=True):
                    if value is not None:
                        self.by_key[other][value] = contact_id
            self.absent[key].update(value for value in wanted if value not in self.by_key[key])

    async def _orders(self, groups: Mapping[str, Sequence[OrderRow]]) -> None:
        unseen = [number for number in groups if number not in self.created_orders]
        existing = await self.orders.ids_by_number(unseen) if unseen else {}
        new_numbers: list[str] = []
        buyers: list[OrderRow] = []
        for number, group in groups.items():
            if number in existing:
                self.report.skip("already imported", len(group))
            elif number not in self.created_orders:
                new_numbers.append(number)
                # The order's customer: the first of its lines that names one.
                buyers.append(
                    next(
                        (
                            row
                            for row in group
                            if row.external_customer_id or row.email or row.phone
                        ),
                        group[0],
                    )
                )
        if new_numbers:
            contact_of = await self._contacts(buyers)
            ids = await self.orders.insert_orders(
                [
                    NewOrder(
                        number=number,
                        ordered_at=min(row.ordered_at for row in groups[number]),
                        contact_id=contact_id,
                        currency=groups[number][0].currency or self.currency,
                    )
                    for number, contact_id in zip(new_numbers, contact_of, strict=True)
                ]
            )
            self.created_orders.update(zip(new_numbers, ids, strict=True))
            self.batch_orders += new_numbers
            self.report.created += len(ids)
        lines: list[tuple[int, str, Decimal, Decimal | None]] = []
        for number, group in groups.items():
            order_id = self.created_orders.get(number)
            if order_id is not None:
                lines += [(order_id, row.product_id, row.quantity, row.price) for row in group]
        await self.orders.insert_lines(lines)
        self.report.lines += len(lines)


def _title(row: OrderRow) -> str:
    return str(row.product_name or row.product_id)[:500]


def _latest_entry(
    row: OrderRow, currency: str | None
) -> tuple[datetime, str, Decimal | None, str | None]:
    return (row.ordered_at, _title(row), row.price, row.currency or currency)
