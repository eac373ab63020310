"""The engine's use cases; the one place that opens sessions and owns transactions.

Imports parse in a worker thread (batch by batch, so the event loop keeps serving) and write
in one transaction each: a feed or order file that fails half way leaves nothing behind.

Serving keeps an immutable snapshot (model, catalogue view) and swaps it whole. A process
looks for a newer model snapshot or catalogue in the database at most every
``settings.model_refresh_seconds``, so ``recoms rebuild`` or an import run elsewhere takes
effect without a restart. Without any stored model yet, the first request that needs one
builds it from the stored orders (an empty database builds instantly; a large history
should be rebuilt with ``recoms rebuild`` after importing).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.algorithms import (
    CatalogView,
    ContactHistory,
    Model,
    OrderHistory,
    Purchase,
    build_model,
)
from recoms.algorithms import recommend as rank
from recoms.config import RecomsSettings
from recoms.domain import (
    MAX_LIMIT,
    Algorithm,
    Availability,
    CartLine,
    Contact,
    ContactProfile,
    DataSource,
    DataSourceId,
    DataSourceParams,
    Identity,
    OrderLine,
    Product,
    ProductId,
    Rejected,
)
from recoms.errors import InvalidRequest, NotFound
from recoms.importing.events import (
    CartStatus,
    CategoryView,
    CustomerData,
    ProductView,
    SearchRequest,
    TrackerEvent,
    WishlistAdd,
    parse_event,
    read_events,
)
from recoms.importing.events import Purchase as TrackedPurchase
from recoms.importing.feed import open_feed, parse_feed
from recoms.importing.identifiers import mask_email, mask_phone, normalise_email, normalise_phone
from recoms.importing.orders import OrderRow, read_orders
from recoms.storage.database import Database, create_database, migrate
from recoms.storage.repositories import (
    CartRepository,
    ContactRepository,
    CounterRepository,
    DataSourceRepository,
    EventRepository,
    NewOrder,
    OrderRepository,
    ProductRepository,
    SnapshotRepository,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class ImportReport:
    """Summary of one import. ``skipped`` counts records left out on purpose, by reason
    (e.g. ``{"cancellation": 9288, "no customer": 107927}``); ``rejected`` lists bad records.

    ``read`` counts records read (feed items, order lines, events); ``created`` and
    ``updated`` count products for a feed, orders for an order file and events stored for
    an event file. ``lines``, ``contacts_created`` and ``products_created`` say what else an
    order or event import added."""

    read: int = 0
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    lines: int = 0
    contacts_created: int = 0
    products_created: int = 0

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count


@dataclass(frozen=True)
class RebuildReport:
    version: int
    built_at: datetime
    orders: int
    lines: int
    products: int
    seconds: float


@dataclass(frozen=True)
class Stats:
    products: int
    products_in_stock: int
    contacts: int
    telegram_linked: int
    events_last_24h: int
    orders: int
    model_built_at: datetime | None


Progress = Callable[[int], None]
"""Called with the number of records (or bytes) processed since the previous call."""

CATALOG_COUNTER = "catalog"
CONTACT_KEYS = ("external_id", "email", "phone")
# Records handed from the parsing thread to the event loop at a time.
BATCH = 20_000
FEED_BATCH = 1_000
# A contact's latest order lines and views read for each personal list.
HISTORY_PURCHASES = 2_000
HISTORY_VIEWS = 200
RECENTLY_VIEWED = 20
VIEW_EVENTS = ("ProductPage",)
WISHLIST_EVENTS = ("AddToWishlist",)
MAX_NAME = 200
NOBODY = Identity()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, eq=False)
class _Serving:
    """What serving reads, swapped as a whole: never a new model with a stale catalogue."""

    model: Model
    model_version: int | None
    catalog: CatalogView
    catalog_version: int


class RecomsService:
    """Everything the API, the CLI and the bot's embedded adapter may ask of the engine."""

    def __init__(
        self,
        database: Database,
        settings: RecomsSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.settings = settings
        self._clock = clock
        self._serving: _Serving | None = None
        self._checked_at = -math.inf
        self._refresh_lock = asyncio.Lock()
        self._rebuild_lock = asyncio.Lock()

    async def close(self) -> None:
        await self.database.dispose()

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    # --- catalogue ---------------------------------------------------------------------
    async def import_feed(
        self, source: str | Path, *, full: bool = True, progress: Progress | None = None
    ) -> ImportReport:
        """Import a Google Merchant feed from a file path or an http(s) URL, streaming.

        With ``full`` the feed is the whole catalogue: active products absent from it are
        deactivated (a feed without a single good item deactivates nothing: it is more likely
        broken than a shop closing down). Raises ``FeedError`` when the XML is hostile or
        unreadable; then nothing is written."""
        report = ImportReport()
        now = self._now()
        seen: set[ProductId] = set()
        async with self.database.sessions.begin() as session:
            products = ProductRepository(session)
            with await asyncio.to_thread(_enter, open_feed(source)) as stream:
                items = parse_feed(stream)
                while batch := await asyncio.to_thread(_take, items, FEED_BATCH):
                    good: list[Product] = []
                    for item in batch:
                        report.read += 1
                        if isinstance(item, Rejected):
                            report.rejected.append(item)
                        else:
                            good.append(item)
                            seen.add(item.id)
                    created, updated = await products.upsert(good, now)
                    report.created += created
                    report.updated += updated
                    if progress is not None:
                        progress(len(batch))
            if full and seen:
                report.deactivated = await products.deactivate_except(seen, now)
            await CounterRepository(session).bump(CATALOG_COUNTER)
        self._expire_serving()
        log.info(
            "feed %s: %d read, %d created, %d updated, %d deactivated, %d rejected",
            source,
            report.read,
            report.created,
            report.updated,
            report.deactivated,
            len(report.rejected),
        )
        return report

    async def get_product(self, product_id: ProductId) -> Product:
        """Raises ``NotFound``."""
        async with self.database.sessions() as session:
            found = await ProductRepository(session).get_many([product_id])
        if product_id not in found:
            raise NotFound("product", product_id)
        return found[product_id]

    async def get_products(self, product_ids: Sequence[ProductId]) -> list[Product]:
        """Known products in the order asked; unknown ids are left out."""
        async with self.database.sessions() as session:
            found = await ProductRepository(session).get_many(product_ids)
        return [found[pid] for pid in dict.fromkeys(product_ids) if pid in found]

    async def search_products(self, query: str, *, limit: int = 10) -> list[Product]:
        """Active products whose id, title or brand contains ``query`` (case-insensitive),
        by title."""
        query = query.strip()
        if not query:
            return []
        limit = max(1, min(limit, MAX_LIMIT))
        async with self.database.sessions() as session:
            return await ProductRepository(session).search(query, limit)

    # --- orders and events -------------------------------------------------------------
    async def import_orders(
        self,
        path: Path,
        *,
        columns: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        before: date | None = None,
        currency: str | None = None,
    ) -> ImportReport:
        """Import an order CSV (or .csv.gz). ``columns`` maps our names to the file's headers.

        Lines are grouped into orders by order id. An order number already stored is left
        alone (its lines count as skipped ``already imported``), so importing a file twice adds
        nothing. ``before`` keeps only lines ordered before that day (UTC), e.g. to import the
        training part of a history. Customers are found or created by external id, email and
        phone; products missing from the catalogue are created from the lines (name, latest
        price, ``currency`` or else the default currency setting when the file has none).
        Raises ``ImportFileError`` when the file cannot be read; then nothing is written."""
        currency = currency or self.settings.default_currency
        if currency is not None:
            currency = _currency(currency)
        cutoff = None if before is None else datetime.combine(before, dt_time(), tzinfo=UTC)
        report = ImportReport()
        now = self._now()
        async with self.database.sessions.begin() as session:
            writer = _OrderWriter(self, session, report, now=now, currency=currency)
            rows = read_orders(path, columns, progress=progress)
            async with contextlib.aclosing(_batches(rows, BATCH)) as batches:
                async for batch in batches:
                    good: list[OrderRow] = []
                    for item in batch:
                        report.read += 1
                        if isinstance(item, OrderRow):
                            if cutoff is not None and item.ordered_at >= cutoff:
                                report.skip(f"ordered on or after {before}")
                            else:
                                good.append(item)
                        elif isinstance(item, Rejected):
                            report.rejected.append(item)
                        else:
                            report.skip(item.reason)
                    await writer.write(good)
            await writer.finish()
        self._expire_serving()
        log.info(
            "orders %s: %d lines read, %d orders created (%d lines), %d contacts and %d "
            "products created, skipped %s, %d rejected",
            path.name,
            report.read,
            report.created,
            report.lines,
            report.contacts_created,
            report.products_created,
            report.skipped,
            len(report.rejected),
        )
        return report

    async def import_events(
        self, lines: Iterable[str], *, progress: Progress | None = None
    ) -> ImportReport:
        """Import tracker events, one JSON object per line, in one transaction. Bad lines are
        rejected with their line number; ``created`` counts the events stored."""
        report = ImportReport()
        received = self._now()
        async with self.database.sessions.begin() as session:
            recorder = _EventRecorder(self, session, report)
            events = read_events(lines, received_at=received)
            while batch := await asyncio.to_thread(_take, events, 2_000):
                for item in batch:
                    report.read += 1
                    if isinstance(item, TrackerEvent):
                        await recorder.record(item)
                    else:
                        report.rejected.append(item)
                if progress is not None:
                    progress(len(batch))
        return report

    async def track(self, payload: Mapping[str, Any]) -> None:
        """Record one tracker event (the HTTP ``POST`` body). Raises ``InvalidRequest``."""
        event = parse_event(payload, received_at=self._now())

        async def record() -> None:
            async with self.database.sessions.begin() as session:
                await _EventRecorder(self, session, ImportReport()).record(event)

        await _retry_on_conflict(record)

    # --- contacts ----------------------------------------------------------------------
    async def find_contact(self, identity: Identity) -> Contact | None:
        """The contact ``identity`` names (lookup order: contact id, external id, email,
        phone, web id, Telegram user id; the first that matches wins), or None."""
        async with self.database.sessions() as session:
            return await self._find(session, identity)

    async def _find(self, session: AsyncSession, identity: Identity) -> Contact | None:
        contacts = ContactRepository(session)
        if identity.contact_id is not None:
            found = await contacts.get(identity.contact_id)
            if found is not None:
                return found
        if identity.external_id:
            found = await contacts.find_by("external_id", identity.external_id.strip())
            if found is not None:
                return found
        email = self._email(identity.email)
        if email is not None:
            found = await contacts.find_by("email", email)
            if found is not None:
                return found
        phone = self._phone(identity.phone)
        if phone is not None:
            found = await contacts.find_by("phone", phone)
            if found is not None:
                return found
        if identity.web_id:
            found = await contacts.find_by_web_id(identity.web_id)
            if found is not None:
                return found
        if identity.telegram_user_id is not None:
            return await contacts.find_by("telegram_user_id", identity.telegram_user_id)
        return None

    def _email(self, raw: str | None) -> str | None:
        return None if not raw else normalise_email(raw)

    def _phone(self, raw: str | None) -> str | None:
        return None if not raw else normalise_phone(raw, self.settings.default_region)

    async def upsert_contact(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
        name: str | None = None,
    ) -> Contact:
        """Find by external id, email or phone (normalised) and fill in what is new; else create.

        Raises ``InvalidRequest`` when no identifier is given or one cannot be read."""
        normal_email = self._email(email)
        if email and normal_email is None:
            raise InvalidRequest(f"not an email address: {_mask_email(email)}")
        normal_phone = self._phone(phone)
        if phone and normal_phone is None:
            raise InvalidRequest(f"not a phone number: {_mask_phone(phone)}")
        external = (external_id or "").strip() or None
        if not (external or normal_email or normal_phone):
            raise InvalidRequest("an external id, email or phone is required")

        async def upsert() -> Contact:
            async with self.database.sessions.begin() as session:
                contact, _ = await _upsert_contact(
                    session,
                    now=self._now(),
                    external_id=external,
                    email=normal_email,
                    phone=normal_phone,
                    name=(name or "").strip()[:MAX_NAME] or None,
                )
                return contact

        return await _retry_on_conflict(upsert)

    async def link_telegram(self, identity: Identity, telegram_user_id: int) -> Contact:
        """Link a Telegram user to the contact named by ``identity``, creating the contact when
        the identity carries a phone or external id that is not known yet. A Telegram user is
        linked to one contact at most: an earlier link is moved.

        Raises ``NotFound`` when the identity names no contact and cannot create one, and
        ``InvalidRequest`` for an empty identity or an unreadable phone or email."""
        if identity.is_empty():
            raise InvalidRequest("name the contact to link")
        if identity.phone and self._phone(identity.phone) is None:
            raise InvalidRequest(f"not a phone number: {_mask_phone(identity.phone)}")
        if identity.email and self._email(identity.email) is None:
            raise InvalidRequest(f"not an email address: {_mask_email(identity.email)}")
        linked = await _retry_on_conflict(lambda: self._link_telegram(identity, telegram_user_id))
        log.info("telegram user %s linked to contact %s", telegram_user_id, linked.id)
        return linked

    async def _link_telegram(self, identity: Identity, telegram_user_id: int) -> Contact:
        lookup = dataclasses.replace(identity, telegram_user_id=None)
        async with self.database.sessions.begin() as session:
            contacts = ContactRepository(session)
            contact = await self._find(session, lookup) if not lookup.is_empty() else None
            if contact is None:
                external = (identity.external_id or "").strip() or None
                phone = self._phone(identity.phone)
                if not (external or phone):
                    raise NotFound("contact", _describe(identity))
                contact, _ = await _upsert_contact(
                    session,
                    now=self._now(),
                    external_id=external,
                    email=self._email(identity.email),
                    phone=phone,
                    name=None,
                )
            if contact.telegram_user_id != telegram_user_id:
                await contacts.clear_telegram(telegram_user_id)
                # The unique index must not see two rows with this id, even for a moment.
                await session.flush()
                await contacts.update(contact.id, telegram_user_id=telegram_user_id)
            linked = await contacts.get(contact.id)
        assert linked is not None
        return linked

    async def unlink_telegram(self, telegram_user_id: int) -> None:
        async with self.database.sessions.begin() as session:
            await ContactRepository(session).clear_telegram(telegram_user_id)

    async def contact_profile(self, identity: Identity, *, orders: int = 5) -> ContactProfile:
        """Raises ``NotFound`` for an unknown contact."""
        orders = max(0, min(orders, 100))
        async with self.database.sessions() as session:
            contact = await self._find(session, identity)
            if contact is None:
                raise NotFound("contact", _describe(identity))
            last_orders = await OrderRepository(session).last_orders(contact.id, orders)
            cart = await CartRepository(session).get(contact_id=contact.id, web_id=None)
            viewed = await EventRepository(session).products(
                VIEW_EVENTS, contact_id=contact.id, web_id=None, limit=HISTORY_VIEWS
            )
        recent = list(dict.fromkeys(reversed(viewed)))[:RECENTLY_VIEWED]
        return ContactProfile(
            contact=contact,
            last_orders=tuple(last_orders),
            cart=tuple(cart),
            recently_viewed=tuple(recent),
        )

    # --- data sources and recommendations ----------------------------------------------
    async def list_data_sources(self) -> list[DataSource]:
        async with self.database.sessions() as session:
            return await DataSourceRepository(session).list()

    async def get_data_source(self, data_source_id: DataSourceId) -> DataSource:
        """Raises ``NotFound``."""
        async with self.database.sessions() as session:
            source = await DataSourceRepository(session).get(data_source_id)
        if source is None:
            raise NotFound("data source", data_source_id)
        return source

    async def create_data_source(
        self, name: str, algorithm: Algorithm, params: DataSourceParams
    ) -> DataSource:
        """Raises ``InvalidRequest`` for an empty name or params out of range."""
        name = _validate_name(name)
        try:
            algorithm = Algorithm(algorithm)
        except ValueError:
            known = ", ".join(str(item) for item in Algorithm)
            raise InvalidRequest(f"unknown algorithm {algorithm!r}; known: {known}") from None
        validate_params(params)
        async with self.database.sessions.begin() as session:
            return await DataSourceRepository(session).create(name, algorithm, params)

    async def update_data_source(
        self,
        data_source_id: DataSourceId,
        *,
        name: str | None = None,
        params: DataSourceParams | None = None,
    ) -> DataSource:
        """Raises ``NotFound`` and ``InvalidRequest`` (as ``create_data_source``)."""
        if name is not None:
            name = _validate_name(name)
        if params is not None:
            validate_params(params)
        async with self.database.sessions.begin() as session:
            source = await DataSourceRepository(session).update(
                data_source_id, name=name, params=params
            )
        if source is None:
            raise NotFound("data source", data_source_id)
        return source

    async def recommend(
        self,
        data_source_id: DataSourceId,
        identity: Identity = NOBODY,
        *,
        products: Sequence[ProductId] = (),
        category: str | None = None,
    ) -> list[Product]:
        """The data source's list for this request, best first.

        Raises ``NotFound`` for an unknown data source and ``InvalidRequest`` when the
        algorithm needs products and none are given. An unknown contact is not an error.
        The contact's purchases, cart and views are read at each call, so what they just did
        counts at once; item-to-item structures change with the next rebuild."""
        products = list(dict.fromkeys(ProductId(pid.strip()) for pid in products if pid.strip()))
        async with self.database.sessions() as session:
            source = await DataSourceRepository(session).get(data_source_id)
            if source is None:
                raise NotFound("data source", data_source_id)
            if source.algorithm.needs_products and not products:
                raise InvalidRequest(
                    f"data source {source.id} ({source.algorithm}) needs products: give the "
                    "ids of the products to recommend for"
                )
            history = await self._history(session, identity)
        # Outside the session: a refresh may load a model, which must not hold a connection.
        serving = await self._current()
        ranked = rank(
            serving.model,
            serving.catalog,
            source,
            history=history,
            products=products,
            category=category.strip() if category and category.strip() else None,
            now=self._now(),
        )
        return await self.get_products(ranked)

    async def _history(self, session: AsyncSession, identity: Identity) -> ContactHistory | None:
        """The contact's history, a visitor's (web id only) or None for nobody known."""
        if identity.is_empty():
            return None
        contact = await self._find(session, identity)
        events = EventRepository(session)
        carts = CartRepository(session)
        if contact is None:
            if not identity.web_id:
                return None
            web_id = identity.web_id
            viewed = await events.products(
                VIEW_EVENTS, contact_id=None, web_id=web_id, limit=HISTORY_VIEWS
            )
            cart = await carts.get(contact_id=None, web_id=web_id)
            if not viewed and not cart:
                return None
            return ContactHistory(viewed=viewed, cart=[line.product_id for line in cart])
        purchases = await OrderRepository(session).purchases(contact.id, HISTORY_PURCHASES)
        viewed = await events.products(
            VIEW_EVENTS, contact_id=contact.id, web_id=None, limit=HISTORY_VIEWS
        )
        wishlist = await events.products(
            WISHLIST_EVENTS, contact_id=contact.id, web_id=None, limit=HISTORY_VIEWS
        )
        cart = await carts.get(contact_id=contact.id, web_id=None)
        return ContactHistory(
            purchases=[Purchase(pid, at, quantity) for pid, at, quantity in purchases],
            viewed=viewed,
            cart=[line.product_id for line in cart],
            wishlist=wishlist,
        )

    # --- model -------------------------------------------------------------------------
    async def rebuild(self) -> RebuildReport:
        """Recompute the item-to-item structures from stored orders and swap them in.

        The build runs in a worker thread; requests keep being answered from the previous
        model until the new one is stored and swapped in."""
        async with self._rebuild_lock:
            started = time.perf_counter()
            now = self._now()
            async with self.database.sessions() as session:
                catalog_version = await CounterRepository(session).get(CATALOG_COUNTER)
                columns = await OrderRepository(session).history()
                products = await ProductRepository(session).all(active_only=True)
            catalog = await asyncio.to_thread(CatalogView.from_products, products)
            del products
            history = OrderHistory(
                product_ids=columns.product_ids,
                contact_ids=columns.contact_ids,
                order_index=columns.order_index,
                product_index=columns.product_index,
                contact_index=columns.contact_index,
                timestamp=columns.timestamp,
                quantity=columns.quantity,
            )
            model = await asyncio.to_thread(build_model, history, catalog, now=now)
            data = await asyncio.to_thread(model.to_bytes)
            async with self.database.sessions.begin() as session:
                version = await SnapshotRepository(session).add(
                    data, built_at=now, orders=columns.orders, lines=history.n_lines
                )
            self._serving = _Serving(model, version, catalog, catalog_version)
            self._checked_at = time.monotonic()
            report = RebuildReport(
                version=version,
                built_at=now,
                orders=columns.orders,
                lines=history.n_lines,
                products=len(catalog),
                seconds=time.perf_counter() - started,
            )
        log.info(
            "model %d built from %d orders (%d lines) over %d products in %.1f s",
            report.version,
            report.orders,
            report.lines,
            report.products,
            report.seconds,
        )
        return report

    def _expire_serving(self) -> None:
        """Make the next request look for a newer catalogue (this process just changed it)."""
        self._checked_at = -math.inf

    def _fresh(self) -> _Serving | None:
        serving = self._serving
        if serving is None:
            return None
        if time.monotonic() - self._checked_at < self.settings.model_refresh_seconds:
            return serving
        # Another request is loading what is newer: keep answering from what we have.
        return serving if self._refresh_lock.locked() else None

    async def _current(self) -> _Serving:
        """The serving snapshot, refreshed from the database when it may be stale."""
        serving = self._fresh()
        if serving is not None:
            return serving
        async with self._refresh_lock:
            serving = self._serving
            if (
                serving is not None
                and time.monotonic() - self._checked_at < self.settings.model_refresh_seconds
            ):
                return serving
            checked = time.monotonic()
            async with self.database.sessions() as session:
                model_version = await SnapshotRepository(session).latest_version()
                catalog_version = await CounterRepository(session).get(CATALOG_COUNTER)
            if serving is not None and (serving.model_version, serving.catalog_version) == (
                model_version,
                catalog_version,
            ):
                self._checked_at = checked
                return serving
            model: Model | None = None
            if serving is not None and serving.model_version == model_version:
                model = serving.model
            elif model_version is not None:
                model, model_version = await self._load_model()
            if model is None:
                # No model stored yet (or an unreadable one): build it now; rebuild() installs
                # it with a catalogue view of its own.
                await self.rebuild()
                assert self._serving is not None
                return self._serving
            if serving is not None and serving.catalog_version == catalog_version:
                catalog = serving.catalog
            else:
                async with self.database.sessions() as session:
                    products = await ProductRepository(session).all(active_only=True)
                catalog = await asyncio.to_thread(CatalogView.from_products, products)
            self._serving = _Serving(model, model_version, catalog, catalog_version)
            self._checked_at = checked
            return self._serving

    async def _load_model(self) -> tuple[Model | None, int | None]:
        """The newest stored model and its version; (None, None) when it cannot be read."""
        async with self.database.sessions() as session:
            snapshot = await SnapshotRepository(session).latest()
        if snapshot is None:
            return None, None
        try:
            model = await asyncio.to_thread(Model.from_bytes, snapshot.data)
        except ValueError as error:
            log.error(
                "stored model %d cannot be read (%s); building a new one", snapshot.version, error
            )
            return None, None
        log.info("model %d loaded", snapshot.version)
        return model, snapshot.version

    async def stats(self) -> Stats:
        async with self.database.sessions() as session:
            products, in_stock = await ProductRepository(session).counts()
            contacts, linked = await ContactRepository(session).counts()
            events = await EventRepository(session).count_since(self._now() - timedelta(days=1))
            orders = await OrderRepository(session).count()
            built_at = await SnapshotRepository(session).latest_built_at()
        return Stats(
            products=products,
            products_in_stock=in_stock,
            contacts=contacts,
            telegram_linked=linked,
            events_last_24h=events,
            orders=orders,
            model_built_at=built_at,
        )


async def open_service(
    settings: RecomsSettings, *, clock: Callable[[], datetime] = utc_now
) -> RecomsService:
    """Open the database named by the settings, migrate it to the newest schema, and wrap it
    in a service. The caller closes the service."""
    database = create_database(settings.database_url)
    try:
        await migrate(database)
    except BaseException:
        await database.dispose()
        raise
    return RecomsService(database, settings, clock=clock)


# --- validation ----------------------------------------------------------------------------


def _validate_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidRequest("the name must not be empty")
    if len(name) > MAX_NAME:
        raise InvalidRequest(f"the name is too long (at most {MAX_NAME} characters)")
    return name


def validate_params(params: DataSourceParams) -> None:
    """Raises ``InvalidRequest`` naming the first parameter out of range."""
    if not 1 <= params.limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}, not {params.limit}")
    if not 1 <= params.window_days <= 3650:
        raise InvalidRequest(f"window_days must be between 1 and 3650, not {params.window_days}")
    for name in ("price_ratio_min", "price_ratio_max"):
        value = getattr(params, name)
        if not (math.isfinite(value) and 0 < value <= 100):
            raise InvalidRequest(f"{name} must be a number above 0 and at most 100, not {value}")
    if params.price_ratio_min > params.price_ratio_max:
        raise InvalidRequest("price_ratio_min must not be above price_ratio_max")
    if len(params.product_ids) > 1000:
        raise InvalidRequest("product_ids may hold at most 1000 ids")
    for pid in params.product_ids:
        if not pid.strip() or len(pid) > 200:
            raise InvalidRequest(f"bad product id {pid[:40]!r} in product_ids")


def _currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidRequest(f"currency must be a three-letter code such as EUR, not {value!r}")
    return code


def _describe(identity: Identity) -> str:
    """An identity for messages and logs, with phones and emails masked."""
    parts = []
    if identity.contact_id is not None:
        parts.append(f"contactId={identity.contact_id}")
    if identity.external_id:
        parts.append(f"externalCustomerId={identity.external_id}")
    if identity.email:
        parts.append(f"email={_mask_email(identity.email)}")
    if identity.phone:
        parts.append(f"phone={_mask_phone(identity.phone)}")
    if identity.web_id:
        parts.append(f"webId={identity.web_id}")
    if identity.telegram_user_id is not None:
        parts.append(f"telegramUserId={identity.telegram_user_id}")
    return ", ".join(parts) or "nobody"


def _mask_email(value: str) -> str:
    return mask_email(value)


def _mask_phone(value: str) -> str:
    return mask_phone(value)


# --- helpers -------------------------------------------------------------------------------


async def _retry_on_conflict(operation: Callable[[], Awaitable[T]]) -> T:
    """Run a short write transaction, once more if a concurrent one took a unique key first
    (two events creating the same new contact, a tracker resending an order): the second
    run finds what the first one created."""
    try:
        return await operation()
    except IntegrityError:
        log.info("write conflict with a concurrent request; trying once more")
        return await operation()


def _take(items: Iterator[T], count: int) -> list[T]:
    """Up to ``count`` next items (runs in a worker thread: parsing happens here)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= count:
            break
    return batch


async def _batches(items: Iterator[T], size: int) -> AsyncGenerator[list[T], None]:
    """Batches of ``items``, parsed in a worker thread one batch ahead of the consumer, so
    parsing the next batch overlaps writing this one."""
    pending = asyncio.ensure_future(asyncio.to_thread(_take, items, size))
    try:
        while batch := await pending:
            pending = asyncio.ensure_future(asyncio.to_thread(_take, items, size))
            yield batch
    finally:
        if not pending.done():
            # The worker thread cannot be interrupted; wait so the file is not closed under it.
            with contextlib.suppress(Exception):
                await asyncio.shield(pending)


def _enter(manager: Any) -> Any:
    """Enter a context manager in a worker thread (opening a URL blocks) and return it entered."""
    return _Entered(manager, manager.__enter__())


class _Entered:
    def __init__(self, manager: Any, value: Any) -> None:
        self._manager = manager
        self._value = value

    def __enter__(self) -> Any:
        return self._value

    def __exit__(self, *exc: object) -> None:
        self._manager.__exit__(*exc)


async def _upsert_contact(
    session: AsyncSession,
    *,
    now: datetime,
    external_id: str | None,
    email: str | None,
    phone: str | None,
    name: str | None,
) -> tuple[Contact, bool]:
    """Find the contact by external id, then email, then phone (all already normalised), fill
    in identifiers it lacks that no other contact holds, or create it. Returns (contact,
    created). Two contacts that each hold one of the identifiers are not merged: the first by
    that order wins and the other keeps its own."""
    contacts = ContactRepository(session)
    found: Contact | None = None
    for key, value in (("external_id", external_id), ("email", email), ("phone", phone)):
        if value is not None:
            found = await contacts.find_by(key, value)
            if found is not None:
                break
    if found is None:
        created = await contacts.create(
            now=now, external_id=external_id, email=email, phone=phone, name=name
        )
        return created, True
    missing: dict[str, Any] = {}
    for key, value in (("external_id", external_id), ("email", email), ("phone", phone)):
        if value is not None and getattr(found, key) is None:
            holder = await contacts.find_by(key, value)
            if holder is None:
                missing[key] = value
    if name and not found.name:
        missing["name"] = name
    if missing:
        await contacts.update(found.id, **missing)
        found = dataclasses.replace(found, **missing)
    return found, False


# --- bulk order import ---------------------------------------------------------------------


class _OrderWriter:
    """Writes parsed order lines batch by batch within the caller's transaction."""

    def __init__(
        self,
        service: RecomsService,
        session: AsyncSession,
        report: ImportReport,
        *,
        now: datetime,
        currency: str | None,
    ) -> None:
        self.service = service
        self.session = session
        self.report = report
        self.now = now
        self.currency = currency
        self.contacts = ContactRepository(session)
        self.orders = OrderRepository(session)
        self.products = ProductRepository(session)
        # Identifier value -> contact id, for every value seen in this import.
        self.by_key: dict[str, dict[str, int]] = {"external_id": {}, "email": {}, "phone": {}}
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

    async def finish(self) -> None:
        """Give products created from the file their latest name and price."""
        if self.created_products:
            await self.products.update_prices(
                {
                    pid: (title, price, currency)
                    for pid, (_, title, price, currency) in self.created_products.items()
                },
                self.now,
            )
            await CounterRepository(self.session).bump(CATALOG_COUNTER)

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
                self.email_cache[row.email] = self.service._email(row.email)
            email = self.email_cache[row.email]
        phone: str | None = None
        if row.phone:
            if row.phone not in self.phone_cache:
                self.phone_cache[row.phone] = self.service._phone(row.phone)
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
            values = dict(zip(CONTACT_KEYS, normals[raw], strict=True))
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


# --- events --------------------------------------------------------------------------------


class _EventRecorder:
    """Applies tracker events to contacts, carts, orders and the event log."""

    def __init__(self, service: RecomsService, session: AsyncSession, report: ImportReport):
        self.service = service
        self.session = session
        self.report = report
        self.contacts = ContactRepository(session)

    async def record(self, event: TrackerEvent) -> None:
        contact_id = await self._contact(event)
        payload = event.payload
        product_id: ProductId | None = None
        details: dict[str, Any] = {}
        if isinstance(payload, ProductView):
            product_id = payload.product_id
            details = {"price": _json_number(payload.price), "in_stock": payload.in_stock}
        elif isinstance(payload, WishlistAdd):
            product_id = payload.product_id
        elif isinstance(payload, CategoryView):
            details = {"category": payload.category}
        elif isinstance(payload, SearchRequest):
            details = {"query": payload.query}
        elif isinstance(payload, CartStatus):
            details = {"lines": _json_lines(payload.lines), "guid": payload.guid}
            if contact_id is not None or event.web_id:
                await CartRepository(self.session).replace(
                    payload.lines,
                    contact_id=contact_id,
                    web_id=event.web_id,
                    now=event.occurred_at,
                )
        elif isinstance(payload, TrackedPurchase):
            details = {"order_number": payload.order_number, "lines": _json_lines(payload.lines)}
            await self._purchase(payload, event.occurred_at, contact_id)
        elif isinstance(payload, CustomerData):
            details = {"name": payload.name} if payload.name else {}
        if event.site_id:
            details["site_id"] = event.site_id
        await EventRepository(self.session).add_many(
            [
                {
                    "name": event.name,
                    "contact_id": contact_id,
                    "web_id": event.web_id,
                    "occurred_at": event.occurred_at,
                    "product_id": product_id,
                    "payload": {key: value for key, value in details.items() if value is not None},
                }
            ]
        )
        self.report.created += 1

    async def _contact(self, event: TrackerEvent) -> int | None:
        """The contact the event is about: found or created from its identifiers, else the
        contact its web id is linked to. A web id newly linked brings its earlier anonymous
        events and its cart along."""
        service = self.service
        external = (event.external_id or "").strip() or None
        email = service._email(event.email)
        phone = service._phone(event.phone)
        name = event.payload.name if isinstance(event.payload, CustomerData) else None
        contact_id: int | None = None
        if external or email or phone:
            contact, created = await _upsert_contact(
                self.session,
                now=event.occurred_at,
                external_id=external,
                email=email,
                phone=phone,
                name=(name or "").strip()[:MAX_NAME] or None,
            )
            contact_id = contact.id
            self.report.contacts_created += created
        if event.web_id:
            if contact_id is None:
                linked = await self.contacts.find_by_web_id(event.web_id)
                return None if linked is None else linked.id
            if await self.contacts.link_web_id(event.web_id, contact_id):
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
            [NewOrder(purchase.order_number, occurred_at, contact_id, None)]
        )
        await orders.insert_lines(
            [(order_id, line.product_id, line.quantity, line.price) for line in purchase.lines]
        )
        self.report.lines += len(purchase.lines)


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
