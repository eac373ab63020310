"""Item-to-item structures learned from orders: popularity by day and co-purchase neighbours."""

from __future__ import annotations

import dataclasses
import io
import itertools
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.history import OrderHistory
from recoms.algorithms.settings import DEFAULTS, FactorParams, NeighbourParams, Settings
from recoms.domain import Algorithm, DataSource, ProductId

_DAY = 86_400
_FORMAT = 3
# Models of format 2 carry no settings: they were built and are ranked with the defaults.
_READABLE = (2, 3)
# Bestsellers a personal list may draw from the factor model, besides products' neighbours.
POPULAR_HEAD = 5_000


@dataclass(frozen=True, eq=False)
class Model:
    """What ``recommend`` needs besides the catalogue and the contact's own history.

    ``product_ids`` are the products seen in orders (the model's own index). ``day_orders``
    counts distinct orders per day (row ``d`` is Unix day ``first_day + d``) and product.
    ``basket_neighbours`` (bought in the same order) and ``customer_neighbours`` (bought by the
    same customer) hold each product's most similar products, row-wise, similarity as data.
    ``repeat_rate`` is, per product, the share of its buyers who bought it in more than one
    order (smoothed towards the shop-wide share for products with few buyers).
    ``item_factors`` (products x factors, possibly no columns) place products in a space of
    tastes where a customer's own vector is solved from their purchases at request time.
    ``settings`` are what it was built with and what its lists rank with.
    """

    built_at: datetime
    product_ids: tuple[ProductId, ...]
    first_day: int
    day_orders: sp.csr_matrix
    basket_neighbours: sp.csr_matrix
    customer_neighbours: sp.csr_matrix
    repeat_rate: npt.NDArray[np.float32]
    item_factors: npt.NDArray[np.float32]
    settings: Settings = DEFAULTS

    @property
    def n_products(self) -> int:
        return len(self.product_ids)

    @property
    def last_day(self) -> int:
        """The Unix day of the latest order the model saw (``first_day - 1`` when none)."""
        return self.first_day + int(self.day_orders.shape[0]) - 1

    def to_bytes(self) -> bytes:
        """The model as an ``.npz`` archive (no pickle), for storing and loading elsewhere."""
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "format": np.array(_FORMAT),
            "built_at": np.array(self.built_at.isoformat()),
            "product_ids": np.array(self.product_ids, dtype=np.str_),
            "first_day": np.array(self.first_day),
            "repeat_rate": self.repeat_rate,
            "item_factors": self.item_factors,
            "settings": np.array(self.settings.to_json()),
        }
        for name in ("day_orders", "basket_neighbours", "customer_neighbours"):
            matrix: sp.csr_matrix = getattr(self, name)
            arrays[f"{name}_data"] = matrix.data
            arrays[f"{name}_indices"] = matrix.indices
            arrays[f"{name}_indptr"] = matrix.indptr
            arrays[f"{name}_shape"] = np.array(matrix.shape)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        """Load what ``to_bytes`` wrote. Raises ``ValueError`` for anything else."""
        try:
            archive = np.load(io.BytesIO(data), allow_pickle=False)
            version = int(archive["format"])
            if version not in _READABLE:
                raise ValueError(f"unsupported model format {version}")
            matrices = {}
            for name in ("day_orders", "basket_neighbours", "customer_neighbours"):
                matrices[name] = sp.csr_matrix(
                    (
                        archive[f"{name}_data"],
                        archive[f"{name}_indices"],
                        archive[f"{name}_indptr"],
                    ),
                    shape=tuple(int(x) for x in archive[f"{name}_shape"]),
                )
            return cls(
                built_at=datetime.fromisoformat(str(archive["built_at"])),
                product_ids=tuple(ProductId(str(x)) for x in archive["product_ids"]),
                first_day=int(archive["first_day"]),
                repeat_rate=archive["repeat_rate"],
                item_factors=archive["item_factors"],
                settings=_settings(archive, version),
                **matrices,
            )
        except (
            OSError,
            KeyError,
            IndexError,
            TypeError,
            ValueError,
            EOFError,
            zipfile.BadZipFile,
        ) as error:
            raise ValueError(f"not a model archive: {error}") from error


def _settings(archive: Mapping[str, npt.NDArray[np.generic]], version: int) -> Settings:
    if version >= 3:
        return Settings.from_json(str(archive["settings"]))
    factors = FactorParams(
        regularization=float(archive["factor_regularization"]),
        alpha=float(archive["factor_alpha"]),
    )
    return dataclasses.replace(
        DEFAULTS, build=dataclasses.replace(DEFAULTS.build, factors=factors)
    )


@dataclass(frozen=True, eq=False)
class Aligned:
    """A model and the catalogue it ranks over, with what every list derives from the two:
    ``to_catalog[model index]`` and ``to_model[catalogue index]`` (-1 where absent), the model
    index of each product id, each model product's distinct orders over the whole history,
    and the Gram matrix of the item factors. Made once per pair by ``align``; immutable."""

    model: Model
    catalog: CatalogView
    to_catalog: npt.NDArray[np.int64]
    to_model: npt.NDArray[np.int64]
    model_index: Mapping[ProductId, int]
    order_count: npt.NDArray[np.float64]
    gram: npt.NDArray[np.float64]

    def model_indices(self, product_ids: Iterable[ProductId]) -> npt.NDArray[np.int64]:
        """The model index of each of ``product_ids``, -1 for products no order contains."""
        index = self.model_index
        return np.fromiter((index.get(pid, -1) for pid in product_ids), dtype=np.int64)


def align(model: Model, catalog: CatalogView) -> Aligned:
    """``model`` aligned to ``catalog`` (a large catalogue takes a while: a worker thread's
    job)."""
    to_catalog = np.fromiter(
        (catalog.index.get(pid, -1) for pid in model.product_ids),
        dtype=np.int64,
        count=model.n_products,
    )
    to_model = np.full(len(catalog), -1, dtype=np.int64)
    known = to_catalog >= 0
    to_model[to_catalog[known]] = np.flatnonzero(known)
    factors = model.item_factors.astype(np.float64)
    return Aligned(
        model=model,
        catalog=catalog,
        to_catalog=to_catalog,
        to_model=to_model,
        model_index={pid: i for i, pid in enumerate(model.product_ids)},
        order_count=np.asarray(model.day_orders.sum(axis=0), dtype=np.float64).ravel(),
        gram=factors.T @ factors,
    )


@dataclass(frozen=True, eq=False)
class Popularity:
    """Bestseller ranking over the catalogue: ``ranking`` lists every index, best first, the
    first ``ordered`` of them ever ordered. ``prior`` is a popularity score in ``[0, 1]``
    made as the model's ``PopularityParams`` say: ``log(1 + recent + all_time_weight *
    total)`` over its maximum, plus ``trend_weight`` times the trending score over its
    maximum, the sum over its maximum. ``head`` holds the first
    ``POPULAR_HEAD`` ordered products of the ranking, sorted by index. ``key`` is
    ``popularity_key``'s: rankings of equal keys over one ``Aligned`` are equal."""

    key: tuple[int, int]
    recent: npt.NDArray[np.float64]
    total: npt.NDArray[np.float64]
    ranking: npt.NDArray[np.int64]
    ordered: int
    prior: npt.NDArray[np.float64]
    head: npt.NDArray[np.int64]


def popularity_key(model: Model, *, window_days: int, now: datetime) -> tuple[int, int]:
    """``(window_days, the window's last Unix day)``: what a bestseller ranking depends on
    besides the model and catalogue. The window ends at ``now`` or at the latest order seen,
    whichever is earlier, so that a shop whose order import lags (or a demo on old orders)
    still has bestsellers."""
    return window_days, min(utc_day(now), model.last_day)


def list_window(model: Model, source: DataSource) -> int:
    """The popularity window ``source``'s lists rank with: a bestsellers list's own, or the
    model's ``settings.bestsellers`` window when that is shorter; for every other list,
    which leans on popularity only as a prior and to fill up, the model's."""
    if source.algorithm is Algorithm.BESTSELLERS:
        bound = model.settings.bestsellers.window_days
        own = source.params.window_days
        return min(own, bound) if bound > 0 else own
    return model.settings.popularity.window_days


def popularity(aligned: Aligned, *, window_days: int, now: datetime) -> Popularity:
    """Distinct orders per catalogue product in the ``window_days`` before ``now`` (see
    ``popularity_key``), ranked."""
    model, catalog = aligned.model, aligned.catalog
    key = popularity_key(model, window_days=window_days, now=now)
    end_day = key[1]
    start = max(end_day - max(window_days, 1) + 1 - model.first_day, 0)
    stop = max(end_day + 1 - model.first_day, 0)
    window = np.asarray(model.day_orders[start:stop].sum(axis=0), dtype=np.float64).ravel()
    recent = np.zeros(len(catalog))
    total = np.zeros(len(catalog))
    known = aligned.to_catalog >= 0
    recent[aligned.to_catalog[known]] = window[known]
    total[aligned.to_catalog[known]] = aligned.order_count[known]
    # Recent orders first, then all-time orders, then product id (the catalogue order).
    ranking = np.lexsort((np.arange(len(catalog)), -total, -recent))
    shape = model.settings.popularity
    prior = _unit(np.log1p(recent + shape.all_time_weight * total))
    if shape.trend_weight > 0:
        # Orders the window would hold at the product's long-run daily rate; what runs above
        # it is trending.
        days = max(end_day + 1 - model.first_day, 1)
        expected = total * min(max(window_days, 1), days) / days
        prior = _unit(
            prior + shape.trend_weight * _unit(np.log1p(np.maximum(recent - expected, 0)))
        )
    return Popularity(
        key=key,
        recent=recent,
        total=total,
        ranking=ranking,
        ordered=int(np.count_nonzero(total)),
        prior=prior,
        head=np.sort(ranking[: min(int(np.count_nonzero(total)), POPULAR_HEAD)]),
    )


def _unit(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``values`` over their maximum (unchanged when none is positive)."""
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def taste(
    aligned: Aligned,
    items: npt.NDArray[np.int64],
    orders: npt.NDArray[np.float64],
    among: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.float64]:
    """Scores of the model products ``among`` (default: all) for a customer who bought
    model products ``items`` in ``orders`` distinct orders each: their factor vector solved
    as one more ALS user (the least-squares step implicit takes for a new user), dotted with
    each product's. Empty when the model has no factors.

    The products are small: run it with BLAS on one thread (``Request.single_threaded``)."""
    model = aligned.model
    factors = model.item_factors
    if factors.shape[1] == 0 or items.size == 0:
        return np.zeros(0)
    chosen = factors[items].astype(np.float64)
    # implicit's convention: confidence is alpha x count, preference 1 where bought.
    fitted = model.settings.build.factors
    confidence = fitted.alpha * orders
    matrix = aligned.gram + (chosen.T * (confidence - 1.0)) @ chosen
    matrix += fitted.regularization * np.eye(factors.shape[1])
    user = np.linalg.solve(matrix, chosen.T @ confidence).astype(np.float32)
    scored = factors if among is None else factors[among]
    return np.asarray(scored @ user, dtype=np.float64)


def build_model(
    history: OrderHistory,
    catalog: CatalogView,
    *,
    now: datetime,
    settings: Settings = DEFAULTS,
) -> Model:
    """Learn popularity and neighbours from ``history`` with ``settings.build``; the model
    ranks with the rest of ``settings``.

    Neighbour lists keep only products the catalogue offers (when the catalogue is not empty),
    so that deactivated products do not take places in them."""
    return ModelBuilder(history, catalog, now=now).build(settings)


class ModelBuilder:
    """Builds models of one order history under several settings: what they share (daily
    popularity, repeat rates, the basket and customer incidence) is computed once, and each
    neighbour or factor part once per its own parameters, so that trying settings costs only
    the parts they change."""

    def __init__(self, history: OrderHistory, catalog: CatalogView, *, now: datetime) -> None:
        self._now = now
        self._product_ids = tuple(history.product_ids)
        n_items = self._n_items = len(history.product_ids)
        # One row per distinct (order, product): repeated lines of one order are one purchase.
        pair = history.order_index.astype(np.int64) * max(n_items, 1) + history.product_index
        _, first_line = np.unique(pair, return_index=True)
        order = history.order_index[first_line].astype(np.int64)
        product = history.product_index[first_line].astype(np.int64)
        day = history.timestamp[first_line] // _DAY
        contact = history.contact_index[first_line].astype(np.int64)

        self._first_day = int(day.min()) if day.size else utc_day(now)
        n_days = int(day.max()) - self._first_day + 1 if day.size else 0
        self._day_orders = sp.csr_matrix(
            (np.ones(day.size, dtype=np.float32), (day - self._first_day, product)),
            shape=(n_days, n_items),
            dtype=np.float32,
        )
        self._day_orders.sum_duplicates()

        self._offered = np.ones(n_items, dtype=np.bool_)
        if len(catalog):
            self._offered = np.fromiter(
                (pid in catalog.index for pid in history.product_ids),
                dtype=np.bool_,
                count=n_items,
            )
        moment = history.timestamp[first_line].astype(np.int64)
        _, order_row = np.unique(order, return_inverse=True)
        self._baskets = _binary(order_row, product, n_items, moment)
        named = contact >= 0
        _, self._contact_row = np.unique(contact[named], return_inverse=True)
        self._named_product = product[named]
        self._customers = _binary(self._contact_row, self._named_product, n_items, moment[named])
        self._repeat_rate = _repeat_rate(contact[named], product[named], n_items)
        self._basket_parts: dict[NeighbourParams, sp.csr_matrix] = {}
        self._customer_parts: dict[NeighbourParams, sp.csr_matrix] = {}
        self._factor_parts: dict[FactorParams, npt.NDArray[np.float32]] = {}

    def build(self, settings: Settings) -> Model:
        """The model of ``settings`` (parts learned before for equal parameters are reused)."""
        params = settings.build
        basket = self._basket_parts.get(params.basket)
        if basket is None:
            basket = _neighbours(*self._baskets, self._offered, params.basket, self._now)
            self._basket_parts[params.basket] = basket
        customer = self._customer_parts.get(params.customer)
        if customer is None:
            customer = _neighbours(*self._customers, self._offered, params.customer, self._now)
            self._customer_parts[params.customer] = customer
        factors = self._factor_parts.get(params.factors)
        if factors is None:
            factors = _factors(
                self._contact_row, self._named_product, self._n_items, params.factors
            )
            self._factor_parts[params.factors] = factors
        return Model(
            built_at=self._now,
            product_ids=self._product_ids,
            first_day=self._first_day,
            day_orders=self._day_orders,
            basket_neighbours=basket,
            customer_neighbours=customer,
            repeat_rate=self._repeat_rate,
            item_factors=factors,
            settings=settings,
        )


def _factors(
    contact: npt.NDArray[np.int64],
    product: npt.NDArray[np.int64],
    n_items: int,
    params: FactorParams,
) -> npt.NDArray[np.float32]:
    """Item factors of implicit's ALS on contact x product distinct-order counts."""
    if params.factors <= 0 or contact.size == 0:
        return np.zeros((n_items, 0), dtype=np.float32)
    # Imported here: implicit is slow to import and only a rebuild needs it.
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    counts = sp.csr_matrix(
        (np.ones(contact.size, dtype=np.float32), (contact, product)),
        shape=(int(contact.max()) + 1, n_items),
    )
    counts.sum_duplicates()
    iterations = _affordable_iterations(counts.shape[0], n_items, counts.nnz, params)
    # implicit warns unless BLAS runs single-threaded, and runs its own threads instead.
    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        als = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=iterations,
            random_state=params.random_state,
            num_threads=params.threads,
        )
        als.fit(counts, show_progress=False)
    return np.ascontiguousarray(als.item_factors, dtype=np.float32)


# The factor fit's work (multiply-adds, as ``_affordable_iterations`` counts them) a build
# may take, some twenty-five seconds on two cores, and the fewest sweeps a larger shop gets: its
# conjugate-gradient sweeps settle within a few (lists scored alike from five to fifteen).
_FACTOR_WORK = 150e9
_MIN_ITERATIONS = 5


def _affordable_iterations(n_rows: int, n_items: int, entries: int, params: FactorParams) -> int:
    """``params.iterations``, or fewer (not below ``_MIN_ITERATIONS``) where that many would
    exceed ``_FACTOR_WORK``: a sweep solves every customer and product with three
    conjugate-gradient steps, each a factors x factors product per row and two factor-length
    products per entry on either side."""
    steps = 4  # implicit's three steps and the residual they start from
    per_sweep = steps * ((n_rows + n_items) * params.factors**2 + 2 * 2 * entries * params.factors)
    affordable = int(_FACTOR_WORK // max(per_sweep, 1))
    return max(min(params.iterations, affordable), min(params.iterations, _MIN_ITERATIONS))


# Buyers a product needs before its own repeat share counts as much as the shop-wide one.
_REPEAT_PRIOR = 10.0


def _repeat_rate(
    contact: npt.NDArray[np.int64], product: npt.NDArray[np.int64], n_items: int
) -> npt.NDArray[np.float32]:
    """Per product: buyers with two or more orders of it over all its buyers, smoothed."""
    pair = contact * max(n_items, 1) + product
    unique, orders = np.unique(pair, return_counts=True)
    item = unique % max(n_items, 1)
    buyers = np.bincount(item, minlength=n_items).astype(np.float64)
    repeaters = np.bincount(item, weights=orders >= 2, minlength=n_items)
    overall = repeaters.sum() / buyers.sum() if buyers.sum() else 0.0
    return ((repeaters + _REPEAT_PRIOR * overall) / (buyers + _REPEAT_PRIOR)).astype(np.float32)


def _binary(
    rows: npt.NDArray[np.int64],
    columns: npt.NDArray[np.int64],
    n_columns: int,
    moments: npt.NDArray[np.int64],
) -> tuple[sp.csr_matrix, npt.NDArray[np.int64]]:
    """The binary rows x columns matrix of the pairs given, and the latest of ``moments``
    (Unix seconds) of each of its entries, in the matrix's entry order."""
    n_rows = int(rows.max()) + 1 if rows.size else 0
    key = rows * max(n_columns, 1) + columns
    order = np.lexsort((moments, key))
    last = np.r_[key[order][1:] != key[order][:-1], True] if key.size else np.zeros(0, bool)
    chosen = order[last]
    # Keys sorted: rows in order, columns in order within each row, as CSR keeps them.
    row, column = rows[chosen], columns[chosen]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
    matrix = sp.csr_matrix(
        (np.ones(chosen.size, dtype=np.float32), column.astype(np.int32), indptr),
        shape=(n_rows, n_columns),
    )
    return matrix, moments[chosen].astype(np.int64)


# Rows of the co-occurrence matrix computed at once; bounds the memory of one block product.
_BLOCK_PAIRS = 8_000_000


def _neighbours(
    incidence: sp.csr_matrix,
    moments: npt.NDArray[np.int64],
    offered: npt.NDArray[np.bool_],
    params: NeighbourParams,
    now: datetime,
) -> sp.csr_matrix:
    """Top-``params.neighbours`` similar columns of each column of a binary row x item matrix
    (``moments``: when each entry was bought, for ``params.half_life_days``).

    Rows that would make the co-occurrence work (the sum of squared row sizes) exceed
    ``_pair_budget`` keep only their most recent products (see ``_recent``)."""
    incidence, moments = _recent(incidence, moments, _pair_budget(incidence.nnz))
    n_items = incidence.shape[1]
    sizes = np.diff(incidence.indptr).astype(np.float32)
    weight = np.power(np.maximum(sizes - 1.0, 1.0), -params.row_power)
    weight = weight.astype(np.float32)
    weighted = sp.csr_matrix(sp.diags(weight) @ incidence)
    bought = incidence
    if params.half_life_days > 0:
        # What sells together now: the neighbour's side of each pair counts
        # 0.5 ** (age / half-life) of its purchase.
        age = np.maximum(now.timestamp() - moments, 0) / _DAY
        decay = np.power(0.5, age / params.half_life_days).astype(np.float32)
        bought = sp.csr_matrix((decay, incidence.indices, incidence.indptr), shape=incidence.shape)
    right = sp.csr_matrix(bought @ sp.diags(offered.astype(np.float32)))
    right.eliminate_zeros()
    items_by_row = sp.csr_matrix(weighted.T)
    count = np.asarray(weighted.sum(axis=0), dtype=np.float64).ravel()
    # Work per item row is the total size of the rows it appears in: cut blocks by that.
    work = np.asarray(incidence.T @ sizes, dtype=np.float64).ravel()
    bounds = _blocks(work, _BLOCK_PAIRS)

    data: list[npt.NDArray[np.float32]] = []
    indices: list[npt.NDArray[np.int32]] = []
    lengths: list[npt.NDArray[np.int64]] = []
    pow_right = np.power(np.maximum(count, 1e-9), params.neighbour_power)
    pow_left = np.power(np.maximum(count, 1e-9), params.seed_power)
    for start, stop in itertools.pairwise(bounds):
        co = sp.csr_matrix(items_by_row[start:stop] @ right)
        row = np.repeat(np.arange(start, stop), np.diff(co.indptr))
        other = co.indices != row  # a product is not its own neighbour
        row, column = row[other], co.indices[other]
        value = co.data[other].astype(np.float64)
        score = value / (pow_left[row] * pow_right[column])
        if params.shrink > 0:
            score *= value / (value + params.shrink)
        indptr = np.zeros(stop - start + 1, dtype=np.int64)
        np.cumsum(np.bincount(row - start, minlength=stop - start), out=indptr[1:])
        kept_data, kept_indices, kept_lengths = _top_k(indptr, column, score, params.neighbours)
        data.append(kept_data)
        indices.append(kept_indices)
        lengths.append(kept_lengths)
    length = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
    indptr = np.zeros(n_items + 1, dtype=np.int64)
    np.cumsum(length, out=indptr[1:])
    return sp.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0, dtype=np.float32),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32),
            indptr,
        ),
        shape=(n_items, n_items),
    )


# The co-occurrence work (pairs of one row's entries, summed over rows) a build may always
# take, a few seconds of one core, and beyond it how many pairs per entry: so that its time
# grows with the shop's purchases, not with the square of its heaviest customers' histories
# (a reseller buying thousands of products would otherwise cost more than everyone else).
_PAIR_FLOOR = 100_000_000
_PAIRS_PER_ENTRY = 32


def _pair_budget(entries: int) -> float:
    """The co-occurrence work allowed for a matrix of ``entries`` entries."""
    return float(max(_PAIR_FLOOR, _PAIRS_PER_ENTRY * entries))


def _history_cap(sizes: npt.NDArray[np.int64], budget: float) -> int | None:
    """The largest row size ``n`` such that rows cut to their ``n`` entries (shorter ones
    whole) make at most ``budget`` pairs, ``sum(min(size, n) ** 2)``; None when no cut is
    needed. Never below 2 (a row of one makes no pair anyway)."""
    squares = np.square(sizes.astype(np.float64))
    if sizes.size == 0 or float(squares.sum()) <= budget:
        return None
    ordered = np.sort(sizes)
    below = np.r_[0.0, np.cumsum(np.square(ordered.astype(np.float64)))]
    cap = np.arange(1, int(ordered[-1]) + 1, dtype=np.int64)
    shorter = np.searchsorted(ordered, cap, side="left")  # rows with fewer than cap entries
    work = below[shorter] + np.square(cap.astype(np.float64)) * (ordered.size - shorter)
    fits = int(np.searchsorted(work, budget, side="right"))  # work grows with cap
    return max(fits, 2)


def _recent(
    incidence: sp.csr_matrix, moments: npt.NDArray[np.int64], budget: float
) -> tuple[sp.csr_matrix, npt.NDArray[np.int64]]:
    """``incidence`` with each row longer than ``_history_cap`` cut to its most recent
    entries by ``moments`` (ties: the lower column stays), and those entries' moments;
    unchanged when the work fits ``budget``. Columns stay in order within rows."""
    sizes = np.diff(incidence.indptr).astype(np.int64)
    cap = _history_cap(sizes, budget)
    if cap is None:
        return incidence, moments
    row = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    heavy = np.flatnonzero((sizes > cap)[row])
    # The heavy rows' entries by row, newest first, then column; each row's first cap stay.
    newest = heavy[np.lexsort((incidence.indices[heavy], -moments[heavy], row[heavy]))]
    starts = np.zeros(sizes.size, dtype=np.int64)
    np.cumsum(np.where(sizes > cap, sizes, 0)[:-1], out=starts[1:])
    rank = np.arange(newest.size, dtype=np.int64) - starts[row[newest]]
    keep = sizes[row] <= cap
    keep[newest[rank < cap]] = True
    indptr = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(np.minimum(sizes, cap), out=indptr[1:])
    matrix = sp.csr_matrix(
        (incidence.data[keep], incidence.indices[keep], indptr), shape=incidence.shape
    )
    return matrix, moments[keep]


def _blocks(work: npt.NDArray[np.float64], budget: float) -> list[int]:
    """Split ``0..len(work)`` into consecutive ranges whose work stays near ``budget``."""
    bounds = [0]
    cumulative = np.cumsum(work)
    n = len(work)
    while bounds[-1] < n:
        done = cumulative[bounds[-1] - 1] if bounds[-1] else 0.0
        stop = int(np.searchsorted(cumulative, done + budget, side="right"))
        bounds.append(min(max(stop, bounds[-1] + 1), n))
    return bounds


def _top_k(
    indptr: npt.NDArray[np.int32 | np.int64],
    indices: npt.NDArray[np.int32],
    score: npt.NDArray[np.float64],
    k: int,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """The ``k`` best entries of each CSR row, best first, ties by column; and row lengths."""
    n_rows = len(indptr) - 1
    length = np.diff(indptr).astype(np.int64)
    row = np.repeat(np.arange(n_rows, dtype=np.int64), length)
    # A sort of every entry is what makes top-k slow: only those that may make a row's best
    # are sorted.
    chosen = np.flatnonzero(_may_be_top(row, length, score, k))
    row = row[chosen]
    column, value = _by_row_then_score(row, indices[chosen], score[chosen], n_rows)
    starts = np.zeros(n_rows, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows)[:-1], out=starts[1:])
    # Each row's entries are still where they were, now best first: its first k stay.
    kept = np.arange(row.size, dtype=np.int64) < starts[row] + k
    return value[kept].astype(np.float32), column[kept], np.minimum(length, k)


# Score bins below a row's best that ``_may_be_top`` counts in: a quarter of a halving each
# (two bits of mantissa), the last holding everything lower.
_BIN_SHIFT = 21
_BINS = 64


def _may_be_top(
    row: npt.NDArray[np.int64],
    length: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    k: int,
) -> npt.NDArray[np.bool_]:
    """A mask of entries holding every one of its row's ``k`` best (ties included) and few
    others, for non-negative scores: each row's scores are counted into bins by how far they
    fall below the row's best, and the bins past the one that reaches ``k`` are dropped.

    The bins are the float32 bit patterns cut to their exponent and two mantissa bits, which
    order as the scores do: a few integer passes, no logarithm."""
    if score.size == 0 or not (length > k).any() or float(score.min()) < 0:
        return np.ones(score.size, dtype=np.bool_)
    n_rows = length.size
    level = score.astype(np.float32).view(np.int32) >> np.int32(_BIN_SHIFT)
    starts = np.zeros(n_rows, dtype=np.int64)
    np.cumsum(length[:-1], out=starts[1:])
    filled = length > 0
    top = np.zeros(n_rows, dtype=np.int32)
    top[filled] = np.maximum.reduceat(level, starts[filled])
    below = top[row] - level
    np.minimum(below, _BINS - 1, out=below)
    del level
    counts = np.bincount(row * _BINS + below, minlength=n_rows * _BINS)
    reached = np.cumsum(counts.reshape(n_rows, _BINS), axis=1) >= k
    # A row with k entries or fewer keeps all of them.
    cutoff = np.where(reached[:, -1], np.argmax(reached, axis=1), _BINS - 1)
    return np.asarray(below <= cutoff[row])


# Bits of a non-negative int64.
_KEY_BITS = 63


def _by_row_then_score(
    row: npt.NDArray[np.int64],
    column: npt.NDArray[np.int32],
    score: npt.NDArray[np.float64],
    n_rows: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """The columns and scores of entries ordered by row (``row`` is sorted), then score
    (highest first), then column.

    No loop per row: one sort of one 64-bit key per entry (row, the score's rank among the
    distinct scores, column) where the three fit in 63 bits, a third of the time of the
    three-key ``lexsort`` it falls back to otherwise; both order exactly alike."""
    if score.size == 0:
        return column.astype(np.int32), score
    distinct, rank = np.unique(score, return_inverse=True)
    column_bits = max(int(column.max()), 1).bit_length()
    rank_bits = max(distinct.size - 1, 1).bit_length()
    row_bits = max(n_rows - 1, 1).bit_length()
    if column_bits + rank_bits + row_bits > _KEY_BITS:
        order = np.lexsort((column, -score, row))
        return column[order].astype(np.int32), score[order]
    top = np.int64(distinct.size - 1)
    key = row << np.int64(rank_bits + column_bits)
    key |= (top - rank.astype(np.int64).ravel()) << np.int64(column_bits)
    key |= column
    del rank
    key.sort()
    sorted_column = (key & np.int64((1 << column_bits) - 1)).astype(np.int32)
    key >>= np.int64(column_bits)
    key &= np.int64((1 << rank_bits) - 1)
    return sorted_column, distinct[top - key]


def utc_day(moment: datetime) -> int:
    """The Unix day of ``moment`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) // _DAY
