"""``RecomsService``: every use case the API, the CLI and the bot may ask of the engine.

Each public method opens the session or the transaction it needs and hands the work to the
module that does it (``catalogue``, ``orders``, ``tracking``, ``contacts``, ``datasources``,
``recommendations``, ``serving``, ``stats``); those modules never commit, except the imports
(``catalogue``, ``orders``, ``tracking``), which parse in a worker thread and write a batch at
a time, each batch in a short transaction of its own, so that events and orders arriving
meanwhile are stored at once. A file that cannot be read is refused before anything of it
is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import (
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.algorithms import ContactHistory, rank
from recoms.algorithms.textmatch import rank_boosts
from recoms.clicks import ClickLink
from recoms.config import RecomsSettings
from recoms.domain import (
    MAX_LIMIT,
    Algorithm,
    Contact,
    ContactId,
    ContactProfile,
    DataSource,
    DataSourceId,
    DataSourceParams,
    ForgottenLink,
    Identity,
    IdentityKey,
    Product,
    ProductId,
    TelegramLink,
)
from recoms.errors import Busy, Forbidden, InvalidRequest, RecomsError, Unavailable
from recoms.importing import fetch
from recoms.importing.events import TrackerEvent, parse_event
from recoms.runtime import locks
from recoms.service import (
    answers,
    catalogue,
    clicks,
    datasources,
    orders,
    recommendations,
    tracking,
)
from recoms.service.answers import EVERYTHING, Change, Keys, Subject, Ticket
from recoms.service.batches import retrying, write
from recoms.service.contacts import (
    Contacts,
    Identifiers,
    clean_external_id,
    clean_name,
    lookup_keys,
)
from recoms.service.eventqueue import EventQueue
from recoms.service.freshness import Freshness
from recoms.service.intake import Intake
from recoms.service.jobs import FeedJob, FeedJobs
from recoms.service.reports import ImportReport, ModelFigures, Progress, RebuildReport, Stats
from recoms.service.serving import Serving, ServingModel
from recoms.service.stats import read_stats
from recoms.storage.database import (
    Database,
    create_database,
    migrate,
    refresh_statistics,
    schema_is_current,
)
from recoms.storage.repositories import (
    Buyer,
    BuyerRepository,
    ContactRepository,
    DataSourceRepository,
    ListEventRepository,
    ListFigures,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

NOBODY = Identity()
SEARCH_BOOST_SOURCE = DataSource(
    DataSourceId(0),
    "search boosts",
    Algorithm.PERSONAL,
    DataSourceParams(limit=MAX_LIMIT, in_stock_only=False),
)
"""The personal ranking that raises a contact's search matches: out-of-stock items too, as
search finds them."""
MAX_PROFILE_ORDERS = 100
# What an order import fills: the tables a contact's history is read from.
ORDER_TABLES = ("contacts", "orders", "order_lines", "products")
FEED_IMPORT = "feed import"
# Buyers whose lists are computed ahead in one session.
WARM_BATCH = 200
MIN_NAME_QUERY = 2


def utc_now() -> datetime:
    return datetime.now(UTC)


# What a database that cannot be reached raises: SQLAlchemy wraps what the driver says about
# the connection (OperationalError, InterfaceError, a pool that waited too long), but a host
# that refuses or does not answer comes through as the socket's own OSError. The files an
# import reads do not get here as OSError: the importers raise FeedError or ImportFileError.
UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout, OSError)
Service = TypeVar("Service", bound=type)


def _unavailable_when_unreachable(cls: Service) -> Service:
    """Every public coroutine method of ``cls`` raises ``Unavailable`` in place of the
    errors of a database that cannot be reached, so callers catch the engine's errors only."""
    for name, method in list(vars(cls).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(method):
            setattr(cls, name, _reaching(method))
    return cls


def _reaching(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    @functools.wraps(method)
    async def reaching(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except UNREACHABLE as error:
            reason = getattr(error, "orig", None) or error
            log.warning("database unreachable in %s: %s", method.__name__, reason)
            # The reason stays in the log: it names hosts and ports, not for API callers.
            raise Unavailable("the database cannot be reached; try again later") from error

    return reaching


@_unavailable_when_unreachable
class RecomsService:
    """Everything the API, the CLI and the bot's embedded adapter may ask of the engine.

    Any method raises ``Unavailable`` when the database cannot be reached."""

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
        self._identifiers = Identifiers(settings.default_region)
        self._serving = ServingModel(
            database,
            refresh_seconds=settings.model_refresh_seconds,
            clock=self._now,
            tune=settings.tune,
            answers=settings.answer_cache_size,
        )
        self._freshness = Freshness(database, self.changed)
        self._warming: set[asyncio.Task[int]] = set()
        self._fetch_policy = fetch.FetchPolicy(
            max_bytes=settings.feed_max_bytes,
            deadline=settings.feed_timeout_seconds,
            allow_private=settings.feed_allow_private,
            allowed_networks=fetch.parse_networks(settings.feed_allow_networks),
        )
        self._feed_jobs = FeedJobs(clock=self._now)
        self._events = EventQueue(database, self._identifiers, self._freshness)
        self.intake = Intake()
        """What this process took in: events and imports, for metrics."""
        self._click_key: bytes | None = None

    async def close(self) -> None:
        """Stop running feed imports (what they wrote stays) and close the database."""
        await self._feed_jobs.close()
        await self._events.close()
        for warming in list(self._warming):
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming
        await self._freshness.close()
        await self.database.dispose()

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    def _contacts(self, session: AsyncSession) -> Contacts:
        return Contacts(session, self._identifiers)

    # --- catalogue ---------------------------------------------------------------------
    async def import_feed(
        self,
        source: str | Path,
        *,
        full: bool = True,
        progress: Progress | None = None,
        received: Progress | None = None,
    ) -> ImportReport:
        """Import a Google Merchant feed from a file path or an http(s) URL.

        A URL is fetched first into a temporary file: public addresses only, on every
        redirect, unless the settings allow more (``feed_allow_private``,
        ``feed_allow_networks``), within ``feed_timeout_seconds`` and ``feed_max_bytes``.
        The file is then read whole once: malformed or hostile XML, or more than
        ``feed_max_bytes`` once gunzipped, raises ``FeedError`` with nothing written. Then
        it is written in batches, each in a short transaction of its own, so that events
        and orders arriving meanwhile are stored at once.

        With ``full`` the feed is the whole catalogue: active products absent from it are
        deactivated at the end (a feed without a single good item deactivates nothing: it
        is more likely broken than a shop closing down). An import that stops part-way
        keeps the batches written and deactivates nothing; importing the feed again
        finishes it. One feed import at a time per database: ``Busy`` otherwise.

        ``progress`` gets the number of items written, ``received`` the bytes fetched."""
        async with self._exclusive(FEED_IMPORT):
            return await self._import_feed(source, full=full, progress=progress, received=received)

    async def start_feed_import(
        self, source: str | Path, *, full: bool = True, remove_after: bool = False
    ) -> FeedJob:
        """Start importing a feed (as ``import_feed`` does) in the background and return its
        job, which reports progress and, at the end, the report or the error.

        Raises ``Busy`` at once when another feed import runs on this database. With
        ``remove_after`` the file ``source`` is removed when the job ends (or could not
        start): a request body spooled for the job, which the job calls "request body"."""

        async def work(job: FeedJob) -> ImportReport:
            return await self._import_feed(
                source, full=full, progress=job.wrote, received=job.received
            )

        def cleanup() -> None:
            if remove_after:
                Path(source).unlink(missing_ok=True)

        shown = "request body" if remove_after else _shown(source)
        return await self._feed_jobs.start(
            shown, work, lock=self._exclusive(FEED_IMPORT), cleanup=cleanup
        )

    def feed_job(self, job_id: str) -> FeedJob:
        """A feed import started by ``start_feed_import``. Raises ``NotFound``."""
        return self._feed_jobs.get(job_id)

    async def _import_feed(
        self,
        source: str | Path,
        *,
        full: bool,
        progress: Progress | None,
        received: Progress | None,
    ) -> ImportReport:
        shown = _shown(source)
        try:
            async with catalogue.local_feed(source, self._fetch_policy, progress=received) as path:
                report = await catalogue.import_feed(
                    self.database,
                    path,
                    full=full,
                    now=self._now(),
                    max_bytes=self.settings.feed_max_bytes,
                    progress=progress,
                )
        finally:
            self._serving.expire()
        log.info(
            "feed %s: %d read, %d created, %d updated, %d deactivated, %d rejected, %d cut",
            shown,
            report.read,
            report.created,
            report.updated,
            report.deactivated,
            len(report.rejected),
            len(report.trimmed),
        )
        return report

    @contextlib.asynccontextmanager
    async def _exclusive(self, kind: str) -> AsyncIterator[None]:
        """Hold the database's lock for ``kind`` (e.g. ``"feed import"``) for the block.

        Raises ``Busy`` at once when another process (or task) holds it. Counts the import
        in ``intake`` by how it ended."""
        counted = kind.removesuffix(" import")
        async with contextlib.AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(locks.exclusive(self.database.engine, kind))
            except locks.Taken:
                self.intake.imports[counted, "busy"] += 1
                raise Busy(
                    f"another {kind} is running on this database; try again when it has finished"
                ) from None
            try:
                yield
            except BaseException:
                self.intake.imports[counted, "failed"] += 1
                raise
            self.intake.imports[counted, "done"] += 1

    async def get_product(self, product_id: ProductId) -> Product:
        """Raises ``NotFound``."""
        async with self.database.sessions() as session:
            return await catalogue.get_product(session, product_id)

    async def get_products(self, product_ids: Sequence[ProductId]) -> list[Product]:
        """Known products in the order asked; unknown ids are left out."""
        async with self.database.sessions() as session:
            return await catalogue.get_products(session, product_ids)

    async def search_products(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        identity: Identity = NOBODY,
    ) -> list[Product]:
        """Active products matching ``query``, in stock or not (each says its availability),
        at most ``limit`` (up to ``MAX_LIMIT``) from the ``offset``-th on.

        A query of fewer than three characters matches literally: products whose id, title
        or brand holds it (any case; ``_`` and ``%`` are plain characters), by title. A longer
        one is ranked by text match over name, brand, category and id with typo tolerance
        (``recoms.algorithms.textmatch``: "choclate" finds "Chocolate"), its best
        ``catalogue.SEARCH_CANDIDATES`` only; the product whose id it is comes first. For a
        contact with a history (``identity``), matches among their personal list's top
        ``MAX_LIMIT`` rise, the higher the more (a match never appears because of it). Ties:
        in stock first, then by title and id; the same query gives the same pages."""
        boosts = None
        if len(query.strip()) >= catalogue.MIN_INDEXED_QUERY and not identity.is_empty():
            boosts = await self._personal_boosts(identity)
        async with self.database.sessions() as session:
            return await catalogue.search_products(
                session, query, limit=limit, offset=offset, boosts=boosts
            )

    async def _personal_boosts(self, identity: Identity) -> dict[ProductId, float] | None:
        """The contact's personal ranking as search boosts; None for nobody with a history."""
        async with self.database.sessions() as session:
            history = await recommendations.history(session, self._identifiers, identity)
        if history is None:
            return None
        serving = await self._serving.current()
        request = serving.request(
            SEARCH_BOOST_SOURCE, history=history, products=(), category=None, now=self._now()
        )
        return rank_boosts(rank(request))

    # --- orders and events -------------------------------------------------------------
    async def import_orders(
        self,
        path: Path,
        *,
        columns: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        before: date | None = None,
        currency: str | None = None,
        encoding: str = "utf-8",
    ) -> ImportReport:
        """Import an order CSV (or .csv.gz) in ``encoding``. ``columns`` maps our names to
        the file's headers.

        Lines are grouped into orders by order id. An order number already stored is left
        alone (its lines count as skipped ``already imported``), so importing a file twice adds
        nothing. ``before`` keeps only lines ordered before that day (UTC), e.g. to import the
        training part of a history. Customers are found or created by external id, email and
        phone; products missing from the catalogue are created from the lines (name, latest
        price, ``currency`` or else the default currency setting when the file has none).

        The file is read through once first: ``ImportFileError`` when it cannot be read (its
        columns, its encoding, a broken gzip), and then nothing is written. Then it is
        written in batches, each in a short transaction of its own, tried again when a
        concurrent writer (a tracker event creating the same customer) got in its way. One
        order import at a time per database: ``Busy`` otherwise."""
        currency = orders.currency_code(currency or self.settings.default_currency)
        async with self._exclusive("order import"):
            report = await orders.import_orders(
                self.database,
                path,
                columns=columns,
                before=before,
                currency=currency,
                encoding=encoding,
                identifiers=self._identifiers,
                now=self._now(),
                progress=progress,
                freshness=self._freshness,
            )
        self._serving.expire()
        if report.created:
            await refresh_statistics(self.database, ORDER_TABLES)
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
        """Import tracker events, one JSON object per line, in batches of short transactions
        (tried again when a concurrent writer got in their way). Bad lines are rejected with
        their line number; ``created`` counts the events stored. One event import at a time
        per database: ``Busy`` otherwise."""
        async with self._exclusive("event import"):
            report = await tracking.import_events(
                self.database,
                lines,
                received_at=self._now(),
                identifiers=self._identifiers,
                progress=progress,
                freshness=self._freshness,
            )
        return report

    async def track(self, payload: Mapping[str, Any], *, visitor_only: bool = False) -> None:
        """Record one tracker event (the HTTP ``POST`` body). Raises ``InvalidRequest``.

        ``visitor_only`` is for callers holding the public key, which every page shows: the
        event may name the visitor by the ``sc`` cookie only. One that names a person (see
        ``TrackerEvent.names_a_person``) would link anyone's cookie to that person's contact
        and lists; it raises ``Forbidden``, and nothing is recorded. Either refusal counts as
        a rejected event in ``intake``.

        Returns once the event is committed. Events recorded at the same time (other requests)
        are committed together, a group a transaction (``recoms.service.eventqueue``)."""
        await self._events.record(self._parsed(payload, visitor_only=visitor_only))
        self.intake.events["accepted"] += 1

    async def track_many(
        self, payloads: Sequence[object], *, visitor_only: bool = False
    ) -> list[RecomsError | None]:
        """Record several tracker events (a JSON array's), each standing alone: for each, in
        order, None once it is committed or the refusal (as ``track`` raises it) that kept it
        out. They are committed together, so an array costs about one transaction."""
        outcomes: list[RecomsError | None] = []
        waiting: list[tuple[int, asyncio.Future[None]]] = []
        for index, payload in enumerate(payloads):
            try:
                if not isinstance(payload, Mapping):
                    self.intake.events["rejected"] += 1
                    raise InvalidRequest("an event must be a JSON object")
                event = self._parsed(payload, visitor_only=visitor_only)
            except RecomsError as refusal:
                outcomes.append(refusal)
                continue
            outcomes.append(None)
            waiting.append((index, await self._events.submit(event)))
        results = await asyncio.gather(*(done for _, done in waiting), return_exceptions=True)
        for (index, _), result in zip(waiting, results, strict=True):
            if isinstance(result, RecomsError):
                outcomes[index] = result
            elif isinstance(result, BaseException):
                raise result
            else:
                self.intake.events["accepted"] += 1
        return outcomes

    def _parsed(self, payload: Mapping[str, Any], *, visitor_only: bool) -> TrackerEvent:
        try:
            event = parse_event(payload, received_at=self._now())
            if visitor_only and event.names_a_person:
                raise Forbidden(tracking.VISITOR_ONLY)
        except (InvalidRequest, Forbidden):
            self.intake.events["rejected"] += 1
            raise
        return event

    # --- click-through of the chat's lists ----------------------------------------------
    async def click_key(self) -> bytes:
        """The key that signs shop links (``recoms.clicks``): ``RECOMS_CLICK_SECRET``'s, else
        the one this database keeps (made on first use)."""
        if self._click_key is None:
            secret = self.settings.click_secret
            self._click_key = (
                clicks.configured_key(secret.get_secret_value())
                if secret is not None
                else await clicks.stored_key(self.database, self._now())
            )
        return self._click_key

    async def sign_click(self, link: ClickLink) -> str:
        """The signed query string of ``link`` (``recoms.clicks.ClickLink.query``). Raises
        ``InvalidRequest`` for a link that could not be followed (a list name, UTM tag or
        contact id not as links spell them)."""
        return clicks.checked(link).query(await self.click_key())

    async def follow_click(self, link: ClickLink, signature: str) -> str:
        """Record a followed shop link and say where it forwards: the catalogue's URL of the
        product with the link's UTM tags. The click counts for its list, and as a ProductPage
        view of the contact it names (when that contact still exists).

        Raises ``Forbidden`` for a signature that does not match the link (altered or made
        up), ``NotFound`` for a product the catalogue lacks or has no web address for, and
        ``InvalidRequest`` for a malformed link; nothing is recorded then."""
        key = await self.click_key()

        async def work(session: AsyncSession) -> tuple[str, int | None]:
            return await clicks.follow(session, link, signature, key, self._now())

        target, contact_id = await write(self.database.sessions, work)
        if contact_id is not None:
            await self.track(
                {
                    "GeneralInfo": {
                        "eventName": "ProductPage",
                        "siteId": "telegram",
                        "user_es_contact_id": contact_id,
                    },
                    "ProductPage": {"Product": {"productKey": link.product_id}},
                }
            )
        return target

    async def record_shown(
        self, list_name: str, product_id: str, *, contact_id: int | None = None
    ) -> None:
        """Count a card of ``list_name`` shown in the chat (to the contact, when given and
        known). Raises ``InvalidRequest`` for a list name not as links spell it."""

        async def work(session: AsyncSession) -> None:
            await clicks.shown(
                session,
                list_name=list_name,
                product_id=product_id,
                contact_id=contact_id,
                now=self._now(),
            )

        await write(self.database.sessions, work)

    async def list_figures(self, *, days: int | None = None) -> list[ListFigures]:
        """Cards shown and shop links followed per list over the last ``days`` (all time:
        None), by list name."""
        since = None if days is None else self._now() - timedelta(days=days)
        async with self.database.sessions() as session:
            return await ListEventRepository(session).figures(since)

    # --- contacts ----------------------------------------------------------------------
    async def find_contact(self, identity: Identity) -> Contact | None:
        """The contact ``identity`` names (the first of its keys, in ``IdentityKey`` order,
        that names one), or None."""
        async with self.database.sessions() as session:
            return await self._contacts(session).find(identity)

    async def contacts_named(self, text: str, *, limit: int = 10) -> list[Contact]:
        """Contacts whose name contains ``text`` (any case; first, last or full name), by
        name, at most ``limit`` (up to ``MAX_LIMIT``). Raises ``InvalidRequest`` for fewer
        than :data:`MIN_NAME_QUERY` letters: one letter would list half the customers."""
        text = " ".join(text.split())
        if len(text) < MIN_NAME_QUERY:
            raise InvalidRequest(f"give at least {MIN_NAME_QUERY} characters of the name")
        async with self.database.sessions() as session:
            return await ContactRepository(session).named(text, max(1, min(limit, MAX_LIMIT)))

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
        normal_email = self._identifiers.checked_email(email)
        normal_phone = self._identifiers.checked_phone(phone)
        external = clean_external_id(external_id)
        if not (external or normal_email or normal_phone):
            raise InvalidRequest("an external id, email or phone is required")

        async def upsert() -> Contact:
            async with self.database.sessions.begin() as session:
                contact, _ = await self._contacts(session).upsert(
                    now=self._now(),
                    external_id=external,
                    email=normal_email,
                    phone=normal_phone,
                    name=clean_name(name),
                )
                change = Change.of([contact.id], identities=True)
                await self._freshness.publish(session, change)
                return contact

        contact = await retrying(upsert)
        self._freshness.applied(Change.of([contact.id], identities=True))
        return contact

    async def link_telegram(
        self,
        identity: Identity,
        telegram_user_id: int,
        *,
        own_contact_share: bool = False,
        name: str | None = None,
    ) -> TelegramLink:
        """Link a Telegram user to the contact named by ``identity``, creating the contact when
        the identity carries a phone or external id that is not known yet. A Telegram user is
        linked to one contact at most: their earlier link is moved.

        A contact linked to another Telegram user is moved only by ``own_contact_share``: the
        phone in ``identity`` came from Telegram's own-contact share (the sharer's own number,
        checked by Telegram) and is the number on file; otherwise ``Conflict``. An own number
        the shop does not know joins the contact the user is linked to when it has no phone.
        ``name`` fills in a contact without one. What the link adds is remembered, so that
        ``forget_telegram`` removes exactly that.

        Raises ``NotFound`` when the identity names no contact and cannot create one, and
        ``InvalidRequest`` for an empty identity, an unreadable phone or email, or an
        own-contact share without a phone."""
        if identity.is_empty():
            raise InvalidRequest("name the contact to link")
        if own_contact_share and not identity.phone:
            raise InvalidRequest("an own-contact share links by the phone number it carries")
        self._identifiers.checked_phone(identity.phone)
        self._identifiers.checked_email(identity.email)

        async def link() -> TelegramLink:
            async with self.database.sessions.begin() as session:
                linked = await self._contacts(session).link_telegram(
                    identity,
                    telegram_user_id,
                    own_contact_share=own_contact_share,
                    name=name,
                    now=self._now(),
                )
                await self._freshness.publish(session, EVERYTHING)
                return linked

        linked = await retrying(link)
        self._freshness.applied(EVERYTHING)
        if linked.previous_telegram_user_id is not None:
            log.info(
                "contact %s moved from telegram user %s to %s by its own phone",
                linked.contact.id,
                linked.previous_telegram_user_id,
                telegram_user_id,
            )
        log.info("telegram user %s linked to contact %s", telegram_user_id, linked.contact.id)
        return linked

    async def unlink_telegram(self, telegram_user_id: int) -> None:
        async with self.database.sessions.begin() as session:
            await ContactRepository(session).clear_telegram(telegram_user_id)
            await self._freshness.publish(session, EVERYTHING)
        self._freshness.applied(EVERYTHING)

    async def forget_telegram(self, telegram_user_id: int) -> ForgottenLink | None:
        """Unlink the Telegram user and remove what their links added: a contact a link
        created is deleted unless the shop's own data (orders, events, cart, web ids) has
        reached it since; from any other contact the fields the links added (phone, name)
        are removed. The shop's own data stays. None when the user is not linked."""
        async with self.database.sessions.begin() as session:
            forgotten = await self._contacts(session).forget_telegram(telegram_user_id)
            await self._freshness.publish(session, EVERYTHING)
        self._freshness.applied(EVERYTHING)
        if forgotten is not None:
            log.info(
                "telegram user %s forgotten: contact %s %s",
                telegram_user_id,
                forgotten.contact_id,
                "deleted" if forgotten.deleted else f"kept, removed {list(forgotten.removed)}",
            )
        return forgotten

    async def contact_profile(self, identity: Identity, *, orders: int = 5) -> ContactProfile:
        """The contact, their last ``orders`` orders (newest first, at most 100), cart and
        recently viewed products. Raises ``NotFound`` for an unknown contact."""
        orders = max(0, min(orders, MAX_PROFILE_ORDERS))
        async with self.database.sessions() as session:
            return await self._contacts(session).profile(identity, orders=orders)

    # --- data sources and recommendations ----------------------------------------------
    async def list_data_sources(self) -> list[DataSource]:
        """Every data source, by id."""
        async with self.database.sessions() as session:
            return await DataSourceRepository(session).list()

    async def get_data_source(self, data_source_id: DataSourceId) -> DataSource:
        """Raises ``NotFound``."""
        async with self.database.sessions() as session:
            return await datasources.get(session, data_source_id)

    async def create_data_source(
        self, name: str, algorithm: Algorithm, params: DataSourceParams
    ) -> DataSource:
        """Raises ``InvalidRequest`` for an empty name or params out of range."""
        async with self.database.sessions.begin() as session:
            created = await datasources.create(session, name, algorithm, params)
        self._serving.expire()
        return created

    async def update_data_source(
        self,
        data_source_id: DataSourceId,
        *,
        name: str | None = None,
        params: DataSourceParams | None = None,
    ) -> DataSource:
        """Raises ``NotFound`` and ``InvalidRequest`` (as ``create_data_source``)."""
        async with self.database.sessions.begin() as session:
            updated = await datasources.update(session, data_source_id, name=name, params=params)
        self._serving.expire()
        return updated

    async def recommend(
        self,
        data_source_id: DataSourceId,
        identity: Identity = NOBODY,
        *,
        products: Sequence[ProductId] = (),
        category: str | None = None,
        categories: Sequence[str] = (),
    ) -> list[Product]:
        """The data source's list for this request, best first: ``answer``'s, as a list of
        the caller's own."""
        return list(
            await self.answer(
                data_source_id,
                identity,
                products=products,
                category=category,
                categories=categories,
            )
        )

    async def answer(
        self,
        data_source_id: DataSourceId,
        identity: Identity = NOBODY,
        *,
        products: Sequence[ProductId] = (),
        category: str | None = None,
        categories: Sequence[str] = (),
    ) -> tuple[Product, ...]:
        """The data source's list for this request, best first; while it is answered from
        memory, the same tuple at each ask (a caller may keep what it makes of it, such as
        its JSON, by the tuple's identity). ``categories`` narrow the
        bestsellers, alternatives and you-may-also-like lists to products in any of them (as
        Yespo's ``category`` array), ``category`` to one; a category the catalogue lacks gives
        an empty list. The other lists do not take a category.

        Raises ``NotFound`` for an unknown data source and ``InvalidRequest`` when the
        algorithm needs products and none are given. An unknown contact is not an error.
        The contact's purchases, cart and views are read at each call, so what they just did
        counts at once; item-to-item structures change with the next rebuild."""
        products = recommendations.reference_products(products)
        serving = await self._serving.current()
        source = serving.data_sources.get(data_source_id)
        if source is None:
            # Created in another process since the last refresh, or unknown (NotFound).
            async with self.database.sessions() as session:
                source = await recommendations.data_source_for(session, data_source_id, products)
        recommendations.check_products(source, products)
        now = self._now()
        day = now.date()
        narrowed = _categories(category, categories)
        # Answered from memory only while this process hears of every change (see
        # ``recoms.service.freshness``); until then each list is computed.
        await self._freshness.start()
        trusted = self._freshness.trusted()
        cache = serving.answers
        reads_history = recommendations.reads_history(source)
        keys: Keys | None = None
        subject: Subject = None
        if reads_history:
            keys = tuple(lookup_keys(identity, self._identifiers))
        if trusted:
            self._start_warming(serving)
            known, subject = cache.subject(keys) if keys is not None else (True, None)
            if known:
                found = cache.get((source.id, subject, tuple(products), narrowed), day)
                if found is not None:
                    return found
        ticket = cache.begin(keys)
        try:
            history = None
            if keys is not None:
                asked = identity
                if ticket.resolved and subject is not None and subject[0] == "c":
                    asked = Identity(contact_id=ContactId(int(subject[1])))
                async with self.database.sessions() as session:
                    subject, history = await recommendations.subject_history(
                        session,
                        self._identifiers,
                        asked,
                        everything_bought=source.params.exclude_purchased,
                    )
            answer = await self._ranked(serving, source, history, products, narrowed, now)
            if trusted:
                cache.resolve(ticket, subject)
                cache.store(ticket, (source.id, subject, tuple(products), narrowed), answer, day)
        finally:
            cache.end(ticket)
        return answer

    async def _ranked(
        self,
        serving: Serving,
        source: DataSource,
        history: ContactHistory | None,
        products: Sequence[ProductId],
        category: str | tuple[str, ...] | None,
        now: datetime,
    ) -> tuple[Product, ...]:
        request = serving.request(
            source, history=history, products=products, category=category, now=now
        )
        ranked = rank(request)
        shown = serving.catalogue.shown
        wanted = list(dict.fromkeys(ranked))
        if missing := [pid for pid in wanted if pid not in shown]:
            shown.update((product.id, product) for product in await self.get_products(missing))
        return tuple(shown[pid] for pid in wanted if pid in shown)

    def changed(self, change: Change) -> None:
        """Drop the lists ``change`` may have made wrong, here and (through the database's
        notifications) in every process serving the same database."""
        serving = self._serving.loaded()
        if serving is not None:
            serving.answers.apply(change)

    async def warm(self) -> int:
        """Compute the personal lists (those of data sources that read the asker's history
        and need no products) of the latest buyers, then of the other contacts, newest first
        (``RECOMS_WARM_BUYERS`` in all, within ``RECOMS_ANSWER_CACHE_SIZE``), ahead of their
        first ask, and return how many contacts were done. Each serving snapshot does
        this once in the background from its first ask; this waits for that to finish (or
        does it now)."""
        await self._freshness.start()
        serving = await self._serving.current()
        if not self._freshness.trusted():
            return 0
        task = self._start_warming(serving)
        return 0 if task is None else await asyncio.shield(task)

    def _start_warming(self, serving: Serving) -> asyncio.Task[int] | None:
        cache = serving.answers
        if cache.warming is None and cache.size > 0:
            task = asyncio.create_task(self._warm(serving), name="recoms warm-up")
            cache.warming = task
            self._warming.add(task)
            task.add_done_callback(self._warming.discard)
        return cache.warming

    async def _warm(self, serving: Serving) -> int:
        cache = serving.answers
        sources = [
            source
            for source in serving.data_sources.values()
            if recommendations.reads_history(source) and not source.algorithm.needs_products
        ]
        done = 0
        try:
            if not sources:
                return 0
            async with self.database.sessions() as session:
                count = min(self.settings.warm_buyers, cache.size // len(sources))
                buyers = await BuyerRepository(session).latest(count) if count > 0 else []
            for start in range(0, len(buyers), WARM_BATCH):
                if self._serving.loaded() is not serving or not self._freshness.trusted():
                    break
                done += await self._warm_batch(
                    serving, sources, buyers[start : start + WARM_BATCH]
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            # Warming is an optimisation: lists are computed at their first ask instead.
            log.exception("computing personal lists ahead failed after %d buyers", done)
        finally:
            cache.warmed.set()
            log.info("personal lists of %d buyers computed ahead of their asks", done)
        return done

    async def _warm_batch(
        self, serving: Serving, sources: Sequence[DataSource], buyers: Sequence[Buyer]
    ) -> int:
        """The lists of ``buyers`` in one session: opening one per buyer would cost as much
        as reading the history. A session may read from one snapshot throughout (SQLite
        does), so every buyer's ticket is open before the first read: a change committed
        meanwhile spoils the lists it concerns."""
        cache = serving.answers
        tickets = []
        for buyer in buyers:
            ticket = cache.begin(((IdentityKey.CONTACT_ID, buyer.contact_id),))
            ticket.subject, ticket.resolved = answers.contact(buyer.contact_id), True
            tickets.append(ticket)
        done = 0
        try:
            async with self.database.sessions() as session:
                for buyer, ticket in zip(buyers, tickets, strict=True):
                    if self._serving.loaded() is not serving:
                        break
                    await self._warm_buyer(session, serving, sources, buyer, ticket)
                    done += 1
                    # Requests go first: one buyer at a time between them.
                    await asyncio.sleep(0)
        finally:
            for ticket in tickets:
                cache.end(ticket)
        return done

    async def _warm_buyer(
        self,
        session: AsyncSession,
        serving: Serving,
        sources: Sequence[DataSource],
        buyer: Buyer,
        ticket: Ticket,
    ) -> None:
        cache = serving.answers
        aliases: list[Keys] = [
            ((key, value),)
            for key, value in (
                (IdentityKey.EXTERNAL_ID, buyer.external_id),
                (IdentityKey.EMAIL, buyer.email),
                (IdentityKey.PHONE, buyer.phone),
                (IdentityKey.TELEGRAM_USER_ID, buyer.telegram_user_id),
            )
            if value is not None
        ]
        subject, history = await recommendations.subject_history(
            session,
            self._identifiers,
            Identity(contact_id=buyer.contact_id),
            # The lists that leave out what the buyer bought need all of it (they alone read it).
            everything_bought=any(source.params.exclude_purchased for source in sources),
        )
        cache.resolve(ticket, subject, *aliases)
        for source in sources:
            now = self._now()
            answer = await self._ranked(serving, source, history, (), None, now)
            cache.store(ticket, (source.id, subject, (), None), answer, now.date())

    # --- model and figures -------------------------------------------------------------
    async def rebuild(self, *, tune: bool | None = None) -> RebuildReport:
        """Recompute the item-to-item structures from stored orders and swap them in, with
        settings tuned on the shop's latest orders when ``tune`` (default: ``RECOMS_TUNE``).

        The build runs in a worker thread; requests keep being answered from the previous
        model until the new one is stored and swapped in."""
        return await self._serving.rebuild(tune=tune)

    async def not_ready(self) -> str | None:
        """Why this engine cannot serve yet (None when it can): the database unreachable, a
        migration pending, or the catalogue and model not in memory. Loads them when they
        are not, so a starting process is ready once this says so, and starts computing the
        latest buyers' personal lists in the background (``warm``)."""
        if not await schema_is_current(self.database):
            return "the schema is not at the newest migration"
        serving = await self._serving.current()
        await self._freshness.start()
        if self._freshness.trusted():
            # Ready meanwhile: lists not computed yet are computed at their first ask.
            self._start_warming(serving)
        return None

    def model_figures(self) -> ModelFigures | None:
        """The model and catalogue this process serves from memory, read without IO; None
        until a request (or a readiness check) loaded them. A rebuild in another process
        shows here once this one has picked the new model up."""
        serving = self._serving.loaded()
        if serving is None:
            return None
        model = serving.model
        return ModelFigures(
            built_at=None if serving.model_version is None else model.built_at,
            products=model.n_products,
            basket_pairs=int(model.basket_neighbours.nnz),
            customer_pairs=int(model.customer_neighbours.nnz),
            factors=int(model.item_factors.shape[1]),
            catalogue_products=len(serving.catalog),
        )

    async def stats(self) -> Stats:
        async with self.database.sessions() as session:
            return await read_stats(session, now=self._now())


async def open_service(
    settings: RecomsSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    pool_size: int | None = None,
) -> RecomsService:
    """Open the database named by the settings, migrate it to the newest schema, and wrap it
    in a service. The caller closes the service. ``pool_size``: PostgreSQL connections held
    (SQLAlchemy's default when None); sessions beyond them wait for one."""
    database = create_database(settings.database_url, pool_size=pool_size)
    try:
        await migrate(database)
    except BaseException:
        await database.dispose()
        raise
    return RecomsService(database, settings, clock=clock)


def _shown(source: str | Path) -> str:
    """A feed's source as logs and job reports may show it."""
    return fetch.redact(str(source)) if catalogue.is_url(source) else str(source)


def _categories(category: str | None, categories: Sequence[str]) -> str | tuple[str, ...] | None:
    """What narrows a list: one category, several (any of them) or none."""
    if not (category or categories):
        return None
    wanted = tuple(dict.fromkeys(c.strip() for c in (category or "", *categories) if c.strip()))
    return wanted[0] if len(wanted) == 1 else wanted or None
