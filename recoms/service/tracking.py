"""Tracker events applied to contacts, carts and orders, and kept in the event log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import CartLine, IdentityKey, OrderLine, ProductId
from recoms.importing.events import (
    CartStatus,
    CategoryView,
    CustomerData,
    EventPayload,
    PageView,
    ProductView,
    SearchRequest,
    TrackerEvent,
    WishlistAdd,
    WishlistRemove,
    read_events,
)
from recoms.importing.events import Purchase as TrackedPurchase
from recoms.service.answers import NOTHING, Change
from recoms.service.batches import Work, take_in_thread, write
from recoms.service.contacts import Contacts, Identifiers, clean_external_id, clean_name
from recoms.service.freshness import Freshness
from recoms.service.reports import ImportReport, Progress
from recoms.storage.database import Database
from recoms.storage.repositories import (
    CartRepository,
    EventRepository,
    NewOrder,
    OrderRepository,
)

# Events written at a time, each batch in a transaction of its own: short enough that a
# tracker event waiting for it is answered within a second.
EVENT_BATCH = 500

VISITOR_ONLY = (
    "with the public key an event names the visitor by webId (the sc cookie) only; an email, "
    "phone, externalCustomerId or contact id, and CustomerData events, need the admin key "
    "(RECOMS_API_KEY), sent from the shop's backend once the customer has logged in"
)


async def import_events(
    database: Database,
    lines: Iterable[str],
    *,
    received_at: datetime,
    identifiers: Identifiers,
    progress: Progress | None,
    freshness: Freshness,
) -> ImportReport:
    """See ``RecomsService.import_events``: each batch of :data:`EVENT_BATCH` events in a
    transaction of its own, tried again when a concurrent writer got in its way; what each
    batch changed is told to every serving process (``freshness``) with it."""
    report = ImportReport()
    events = read_events(lines, received_at=received_at)
    while batch := await take_in_thread(events, EVENT_BATCH):
        good = [item for item in batch if isinstance(item, TrackerEvent)]
        report.rejected += [item for item in batch if not isinstance(item, TrackerEvent)]
        report.read += len(batch)
        written, change = await write(database.sessions, _recorded(good, identifiers, freshness))
        freshness.applied(change)
        report.add(written)
        if progress is not None:
            progress(len(batch))
    return report


def _recorded(
    events: list[TrackerEvent], identifiers: Identifiers, freshness: Freshness
) -> Work[tuple[ImportReport, Change]]:
    async def work(session: AsyncSession) -> tuple[ImportReport, Change]:
        report = ImportReport()
        change = await EventRecorder(session, identifiers, report).record_all(events)
        await freshness.publish(session, change)
        return report, change

    return work


class EventRecorder:
    """Applies tracker events within the caller's session, counting what it does in ``report``."""

    def __init__(
        self, session: AsyncSession, identifiers: Identifiers, report: ImportReport
    ) -> None:
        self.session = session
        self.identifiers = identifiers
        self.report = report
        self.contacts = Contacts(session, identifiers)
        self._linked = False

    async def record_all(self, events: Sequence[TrackerEvent]) -> Change:
        """Apply and log ``events`` in order, as :meth:`record` one after another would;
        what they changed. A run of plain events (:func:`_plain`: only a web id names the
        visitor, and nothing but the event log changes) takes one query for the contacts of
        its web ids and one insert."""
        change = NOTHING
        run: list[TrackerEvent] = []
        for event in events:
            if _plain(event):
                run.append(event)
                continue
            change |= await self._record_plain(run)
            run = []
            change |= await self.record(event)
        return change | await self._record_plain(run)

    async def _record_plain(self, events: list[TrackerEvent]) -> Change:
        if not events:
            return NOTHING
        web_ids = [event.web_id for event in events if event.web_id]
        owners = await self.contacts.repository.ids_of_web_ids(web_ids) if web_ids else {}
        contacts = [owners.get(event.web_id or "") for event in events]
        await EventRepository(self.session).add_many(
            [_log_row(event, contact) for event, contact in zip(events, contacts, strict=True)]
        )
        self.report.created += len(events)
        return Change.of(contacts, web_ids)

    async def record(self, event: TrackerEvent) -> Change:
        """Apply and log ``event``; what it changed for the lists answered before it."""
        contact_id = await self._contact(event)
        payload = event.payload
        if isinstance(payload, CartStatus) and (contact_id is not None or event.web_id):
            await CartRepository(self.session).replace(
                payload.lines, contact_id=contact_id, web_id=event.web_id, now=event.occurred_at
            )
        elif isinstance(payload, TrackedPurchase):
            await self._purchase(payload, event.occurred_at, contact_id)
        await EventRepository(self.session).add_many([_log_row(event, contact_id)])
        self.report.created += 1
        # Identifiers given may have been filled in or created, and a web id linked: who an
        # identity names may differ now.
        named = bool(event.external_id or event.email or event.phone)
        linked = self._linked
        self._linked = False
        return Change.of([contact_id], [event.web_id], identities=named or linked)

    async def _contact(self, event: TrackerEvent) -> int | None:
        """The contact the event is about: found or created from its identifiers, else the
        one its contact id names, else the contact its web id is linked to. A web id newly
        linked brings its earlier anonymous events and its cart along. A contact id no
        contact has is passed over (it may be another system's)."""
        external = clean_external_id(event.external_id)
        email = self.identifiers.email(event.email)
        phone = self.identifiers.phone(event.phone)
        contact_id: int | None = None
        if event.contact_id is not None and not (external or email or phone):
            named = await self.contacts.repository.get(event.contact_id)
            contact_id = None if named is None else named.id
        if external or email or phone:
            name = event.payload.name if isinstance(event.payload, CustomerData) else None
            contact, created = await self.contacts.upsert(
                now=event.occurred_at,
                external_id=external,
                email=email,
                phone=phone,
                name=clean_name(name),
            )
            contact_id = contact.id
            self.report.contacts_created += created
        if not event.web_id:
            return contact_id
        contacts = self.contacts.repository
        if contact_id is None:
            linked = await contacts.find_by(IdentityKey.WEB_ID, event.web_id)
            return None if linked is None else linked.id
        if await contacts.link_web_id(event.web_id, contact_id):
            self._linked = True
            await EventRepository(self.session).attribute(event.web_id, contact_id)
            await CartRepository(self.session).adopt(event.web_id, contact_id)
        return contact_id

    async def _purchase(
        self, purchase: TrackedPurchase, occurred_at: datetime, contact_id: int | None
    ) -> None:
        """Store the order unless its number is stored already (trackers resend)."""
        orders = OrderRepository(self.session)
        if await orders.ids_by_number([purchase.order_number]):
            self.report.skip("order already recorded")
            return
        (order_id,) = await orders.insert_orders(
            [NewOrder(purchase.order_number, occurred_at, contact_id, purchase.currency)]
        )
        await orders.insert_lines(
            [(order_id, line.product_id, line.quantity, line.price) for line in purchase.lines]
        )
        self.report.lines += len(purchase.lines)


def _plain(event: TrackerEvent) -> bool:
    """Whether ``event`` names nobody but by its web id and changes only the event log (no
    contact, cart or order): what ``EventRecorder.record_all`` writes in bulk."""
    return (
        isinstance(event.payload, PLAIN_PAYLOADS)
        and event.contact_id is None
        and not (event.external_id or event.email or event.phone)
    )


PLAIN_PAYLOADS = (ProductView, CategoryView, WishlistAdd, SearchRequest, PageView)


def _log_row(event: TrackerEvent, contact_id: int | None) -> dict[str, Any]:
    """The event log's row of ``event``, about ``contact_id``."""
    product_id, details = _logged(event.payload)
    if event.site_id:
        details["site_id"] = event.site_id
    return {
        "name": event.name,
        "contact_id": contact_id,
        "web_id": event.web_id,
        "occurred_at": event.occurred_at,
        "product_id": product_id,
        "payload": {key: value for key, value in details.items() if value is not None},
    }


def _logged(payload: EventPayload) -> tuple[ProductId | None, dict[str, Any]]:
    """The product an event is about, if any, and what else the event log keeps of it."""
    match payload:
        case ProductView():
            return payload.product_id, {
                "price": _json_number(payload.price),
                "currency": payload.currency,
                "in_stock": payload.in_stock,
            }
        case WishlistAdd() | WishlistRemove():
            return payload.product_id, {}
        case CategoryView():
            return None, {"category": payload.category}
        case SearchRequest():
            return None, {"query": payload.query}
        case CartStatus():
            return None, {"lines": _json_lines(payload.lines), "guid": payload.guid}
        case TrackedPurchase():
            return None, {
                "order_number": payload.order_number,
                "lines": _json_lines(payload.lines),
            }
        case CustomerData():
            return None, {"name": payload.name} if payload.name else {}
        case PageView():
            return None, {}


def _json_number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _json_lines(lines: Iterable[CartLine | OrderLine]) -> list[dict[str, str | None]]:
    return [
        {
            "productKey": line.product_id,
            "quantity": str(line.quantity),
            "price": _json_number(line.price),
        }
        for line in lines
    ]
