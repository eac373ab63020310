"""The serving model's lifecycle: built from stored orders, stored, loaded and swapped whole.

A process looks for a newer model, catalogue or data source list in the database at most every
``refresh_seconds``, so ``recoms rebuild``, an import or a data source edit run elsewhere takes
effect without a restart. The snapshot keeps the catalogue view, the data sources and the
products answers showed in memory, so a request reads only the asker's own history from the
database. Without any stored model yet, the first request that needs one builds it from the
stored orders (an empty database builds instantly; a large history should be rebuilt with
``recoms rebuild`` after importing).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from threadpoolctl import ThreadpoolController

from recoms.algorithms import (
    Aligned,
    CatalogView,
    ContactHistory,
    Model,
    OrderHistory,
    Popularity,
    Request,
    align,
    build_model,
    list_window,
    popularity,
    popularity_key,
)
from recoms.domain import DataSource, DataSourceId, Product, ProductId
from recoms.evaluation.tuning import tune as tune_settings
from recoms.evaluation.tuning import untuned
from recoms.service.answers import AnswerCache
from recoms.service.catalogue import CATALOG_COUNTER
from recoms.service.datasources import DATA_SOURCES_COUNTER
from recoms.service.reports import RebuildReport
from recoms.storage.database import Database
from recoms.storage.repositories import (
    CounterRepository,
    DataSourceRepository,
    HistoryColumns,
    OrderRepository,
    ProductRepository,
    SnapshotRepository,
)

log = logging.getLogger(__name__)

# Bestseller rankings kept per snapshot: one per (window, day) in use.
POPULARITY_CACHE = 16


# Products a catalogue keeps whole from its load (a few kB each): at most this many, so that
# no list waits for the database to show them; a larger catalogue keeps what lists showed.
SHOWN_AHEAD = 20_000


@dataclass(frozen=True, eq=False)
class Catalogue:
    """The active products as ranking reads them, of one version, and the products answers
    may show: all of a catalogue of up to ``SHOWN_AHEAD`` products, else those answers showed
    so far (read once per version: a popular product is not read at every request, and
    memory grows with what is recommended, not with the whole catalogue)."""

    view: CatalogView
    version: int
    shown: dict[ProductId, Product] = field(default_factory=dict)

    @classmethod
    def of(cls, products: list[Product], version: int) -> Catalogue:
        """Built in a worker thread: a large catalogue takes a while."""
        kept = {p.id: p for p in products} if len(products) <= SHOWN_AHEAD else {}
        return cls(CatalogView.from_products(products), version, kept)


@dataclass(frozen=True, eq=False)
class Serving:
    """What serving reads, swapped as a whole: never a new model with a stale catalogue.

    ``aligned`` is the model aligned to the catalogue view, made with the snapshot; the
    bestseller rankings of the windows asked for are made at the first request of each day
    and kept with the snapshot. Requests run on the event loop, one at a time, so the
    rankings need no lock."""

    model_version: int | None
    aligned: Aligned
    catalogue: Catalogue
    data_sources: Mapping[DataSourceId, DataSource]
    data_sources_version: int
    single_threaded: Callable[[], AbstractContextManager[object]]
    rankings: dict[tuple[int, int], Popularity] = field(default_factory=dict)
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(0))
    """The lists this snapshot answered (``recoms.service.answers``); a new snapshot starts
    with none."""

    @property
    def model(self) -> Model:
        return self.aligned.model

    @property
    def catalog(self) -> CatalogView:
        return self.catalogue.view

    def popularity(self, window_days: int, now: datetime) -> Popularity:
        """The bestseller ranking of ``window_days`` at ``now``, made once per day."""
        key = popularity_key(self.model, window_days=window_days, now=now)
        found = self.rankings.get(key)
        if found is None:
            if len(self.rankings) >= POPULARITY_CACHE:
                self.rankings.clear()
            found = popularity(self.aligned, window_days=window_days, now=now)
            self.rankings[key] = found
        return found

    def request(
        self,
        source: DataSource,
        *,
        history: ContactHistory | None,
        products: Sequence[ProductId],
        category: str | Sequence[str] | None,
        now: datetime,
    ) -> Request:
        """The request that ranks ``source``'s list from this snapshot."""
        return Request(
            source,
            self.aligned,
            self.popularity(list_window(self.model, source), now),
            now,
            history=history,
            products=products,
            category=category,
            single_threaded=self.single_threaded,
        )


class ServingModel:
    """Holds the current ``Serving`` of a process and knows when and how to renew it."""

    def __init__(
        self,
        database: Database,
        *,
        refresh_seconds: float,
        clock: Callable[[], datetime],
        tune: bool = True,
        answers: int = 0,
    ) -> None:
        """``answers``: how many lists each snapshot keeps in memory (0: none)."""
        self._database = database
        self._answers = answers
        self._tune = tune
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._serving: Serving | None = None
        self._checked_at = -math.inf
        self._refresh_lock = asyncio.Lock()
        self._rebuild_lock = asyncio.Lock()
        self._blas: ThreadpoolController | None = None

    def loaded(self) -> Serving | None:
        """What serves now, as it is (no refresh, no IO); None until a request loaded it."""
        return self._serving

    def expire(self) -> None:
        """Make the next request look for a newer catalogue (this process just changed it)."""
        self._checked_at = -math.inf

    async def current(self) -> Serving:
        """The serving snapshot, refreshed from the database when it may be stale.

        Call it outside any session: a refresh may load or build a model, which must not
        hold a connection meanwhile."""
        serving = self._serving
        if serving is not None and (self._checked_lately() or self._refresh_lock.locked()):
            # Checked lately, or another request is loading what is newer: keep answering
            # from what we have.
            return serving
        async with self._refresh_lock:
            return await self._refresh()

    async def rebuild(self, *, tune: bool | None = None) -> RebuildReport:
        """Recompute the model from stored orders, store it and swap it in; with ``tune``
        (default: the process's setting) its settings are first chosen on the latest orders
        held out (``recoms.evaluation.tuning``).

        The build runs in a worker thread; requests keep being answered from the previous
        model until the new one is stored and swapped in."""
        tune = self._tune if tune is None else tune
        async with self._rebuild_lock:
            started = time.perf_counter()
            now = self._clock()
            async with self._database.sessions() as session:
                counters = CounterRepository(session)
                catalog_version = await counters.get(CATALOG_COUNTER)
                sources_version = await counters.get(DATA_SOURCES_COUNTER)
                columns = await OrderRepository(session).history()
                products = await ProductRepository(session).all(active_only=True)
                sources = await DataSourceRepository(session).list()
            catalogue = await asyncio.to_thread(Catalogue.of, products, catalog_version)
            del products
            catalog = catalogue.view
            history = _order_history(columns)
            tuning = (
                await asyncio.to_thread(tune_settings, history)
                if tune
                else untuned("tuning is off (--no-tune or RECOMS_TUNE=false)")
            )
            model = await asyncio.to_thread(
                build_model, history, catalog, now=now, settings=tuning.settings
            )
            aligned = await asyncio.to_thread(align, model, catalog)
            data = await asyncio.to_thread(model.to_bytes)
            async with self._database.sessions.begin() as session:
                version = await SnapshotRepository(session).add(
                    data,
                    built_at=now,
                    orders=columns.orders,
                    lines=history.n_lines,
                    tuning=tuning.summary(),
                )
            serving = Serving(
                version,
                aligned,
                catalogue,
                _by_id(sources),
                sources_version,
                self._single_threaded,
                answers=AnswerCache(self._answers),
            )
            self._install(serving, time.monotonic())
            report = RebuildReport(
                version=version,
                built_at=now,
                orders=columns.orders,
                lines=history.n_lines,
                products=len(catalog),
                seconds=time.perf_counter() - started,
                tuning=tuning,
            )
        log.info(
            "model %d built from %d orders (%d lines) over %d products in %.1f s; %s",
            report.version,
            report.orders,
            report.lines,
            report.products,
            report.seconds,
            "; ".join(line.strip() for line in report.tuning.lines()),
        )
        return report

    def _checked_lately(self) -> bool:
        return time.monotonic() - self._checked_at < self._refresh_seconds

    def _install(self, serving: Serving, checked_at: float) -> Serving:
        self._serving = serving
        self._checked_at = checked_at
        return serving

    async def _refresh(self) -> Serving:
        """Under the refresh lock: reuse what is still current, load what is newer."""
        serving = self._serving
        if serving is not None and self._checked_lately():
            return serving
        checked = time.monotonic()
        async with self._database.sessions() as session:
            model_version = await SnapshotRepository(session).latest_version()
            catalog_version = await CounterRepository(session).get(CATALOG_COUNTER)
            sources_version = await CounterRepository(session).get(DATA_SOURCES_COUNTER)
        if serving is not None and (
            serving.model_version,
            serving.catalogue.version,
            serving.data_sources_version,
        ) == (model_version, catalog_version, sources_version):
            return self._install(serving, checked)
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
        if serving is not None and serving.catalogue.version == catalog_version:
            catalogue = serving.catalogue
        else:
            catalogue = await self._load_catalogue(catalog_version)
        if serving is not None and serving.data_sources_version == sources_version:
            sources = serving.data_sources
        else:
            async with self._database.sessions() as session:
                sources = _by_id(await DataSourceRepository(session).list())
        if serving is not None and serving.model is model and serving.catalogue is catalogue:
            # Only the data sources changed: the alignment and its rankings still hold.
            aligned, rankings = serving.aligned, serving.rankings
        else:
            aligned, rankings = await asyncio.to_thread(align, model, catalogue.view), {}
        renewed = Serving(
            model_version,
            aligned,
            catalogue,
            sources,
            sources_version,
            self._single_threaded,
            rankings,
            AnswerCache(self._answers),
        )
        return self._install(renewed, checked)

    def _single_threaded(self) -> AbstractContextManager[object]:
        """BLAS on one thread for the duration (the controller, slow to create, made once)."""
        if self._blas is None:
            self._blas = ThreadpoolController()
        return self._blas.limit(limits=1, user_api="blas")  # type: ignore[no-any-return]

    async def _load_catalogue(self, version: int) -> Catalogue:
        async with self._database.sessions() as session:
            products = await ProductRepository(session).all(active_only=True)
        return await asyncio.to_thread(Catalogue.of, products, version)

    async def _load_model(self) -> tuple[Model | None, int | None]:
        """The newest stored model and its version; (None, None) when it cannot be read."""
        async with self._database.sessions() as session:
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


def _by_id(sources: list[DataSource]) -> Mapping[DataSourceId, DataSource]:
    return {source.id: source for source in sources}


def _order_history(columns: HistoryColumns) -> OrderHistory:
    """Storage's column arrays as the model builder takes them (the two layers do not meet)."""
    return OrderHistory(
        product_ids=columns.product_ids,
        contact_ids=columns.contact_ids,
        order_index=columns.order_index,
        product_index=columns.product_index,
        contact_index=columns.contact_index,
        timestamp=columns.timestamp,
        quantity=columns.quantity,
    )
