"""Personal: the contact's own repeat purchases, by recency, blended with new items that
customers with similar purchases bought; or either part alone (``exclude_purchased``: new items
only, ``purchased_only``: repeat purchases only)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from recoms.algorithms.bestsellers import bestseller_ranking
from recoms.algorithms.history import ContactHistory
from recoms.algorithms.ranking import Scores, gather, select, taste_scores
from recoms.algorithms.request import Request
from recoms.algorithms.settings import PersonalParams
from recoms.domain import ProductId


def personal(request: Request) -> list[ProductId]:
    """The contact's list, best first, ties by product id; bestsellers fill a short list, and
    make the whole list for a contact with no history. With ``exclude_purchased`` nothing the
    contact bought appears. With ``purchased_only`` only what the contact bought appears, by
    the repeat score alone, and nothing fills a short list (an unknown contact's is empty).
    The mix is the model's ``settings.personal`` (``personal_new`` with ``exclude_purchased``).
    """
    aligned, catalog, history = request.aligned, request.catalog, request.history
    model, source = aligned.model, request.params
    settings = model.settings
    params = settings.personal_new if source.exclude_purchased else settings.personal
    if source.purchased_only:
        return _buy_again(request, params)
    ranking = bestseller_ranking(request)
    if history is None:
        return select(
            catalog,
            Scores.empty(),
            limit=source.limit,
            in_stock_only=source.in_stock_only,
            exclude=[],
            fill=(ranking,),
        )
    bought_ids, repeat_score, order_count = _purchase_summary(
        history, now=request.now, half_life_days=params.half_life_days
    )
    repeat = dict(zip(bought_ids, repeat_score.tolist(), strict=True))
    # The collaborative part starts from everything the contact showed interest in.
    seed_weight: dict[ProductId, float] = dict(repeat)
    for pid in history.cart:
        seed_weight[pid] = seed_weight.get(pid, 0.0) + params.cart_weight
    for position, pid in enumerate(reversed(history.viewed)):
        seed_weight[pid] = seed_weight.get(pid, 0.0) + params.view_weight / (1 + position)
    for pid in history.wishlist:
        seed_weight[pid] = seed_weight.get(pid, 0.0) + params.view_weight
    seed_ids = list(seed_weight)
    seeds = aligned.model_indices(seed_ids)
    weights = np.array([seed_weight[pid] for pid in seed_ids], dtype=np.float64)
    weights, seeds = weights[seeds >= 0], seeds[seeds >= 0]
    collaborative = Scores.concat(
        (
            gather(model.customer_neighbours, seeds, weights, aligned.to_catalog),
            gather(
                model.basket_neighbours,
                seeds,
                weights * params.basket_weight,
                aligned.to_catalog,
            ),
        )
    )
    collaborative = collaborative.normalised()
    orders = dict(zip(bought_ids, order_count.tolist(), strict=True))
    taste = _taste(request, orders, history, collaborative, params)
    collaborative = Scores.concat((collaborative, taste)).normalised()
    if params.popularity_weight > 0:
        head = request.popularity.head
        prior = Scores(head, request.popularity.prior[head] * params.popularity_weight)
        collaborative = Scores.concat((collaborative, prior))
    bought = catalog.indices(repeat)
    parts = [collaborative]
    excluded: list[int] = []
    if not source.exclude_purchased and bought:
        parts.append(_repeat_scores(request, repeat, bought, params))
    if source.exclude_purchased:
        # Everything ever bought, not only what the latest order lines the history holds name.
        excluded.extend(catalog.indices(history.purchased_ids))
    return select(
        catalog,
        Scores.concat(parts),
        limit=source.limit,
        in_stock_only=source.in_stock_only,
        exclude=excluded,
        fill=(ranking,),
    )


def _repeat_scores(
    request: Request, repeat: dict[ProductId, float], bought: list[int], params: PersonalParams
) -> Scores:
    """The contact's own purchases (catalogue positions ``bought``) scored for buying again,
    the best at ``params.repeat_weight``.

    Some products are bought again and again (consumables), others once (a kettle): what the
    shop's customers did with each product says which."""
    aligned, catalog, model = request.aligned, request.catalog, request.aligned.model
    bought_array = np.asarray(bought, dtype=np.int64)
    own = np.array([repeat[catalog.product_ids[i]] for i in bought])
    in_model = aligned.to_model[bought_array]
    rate = np.where(in_model >= 0, model.repeat_rate[np.maximum(in_model, 0)], np.nan)
    rate = np.where(np.isnan(rate), np.nanmean(rate) if np.any(in_model >= 0) else 1.0, rate)
    own = own * np.power(np.maximum(rate, 1e-6), params.repeat_rate_power)
    return Scores(bought_array, own / own.max() * params.repeat_weight)


def _buy_again(request: Request, params: PersonalParams) -> list[ProductId]:
    """Only what the contact bought, best to buy again first (``_repeat_scores``)."""
    history, source = request.history, request.params
    if history is None or not history.purchases:
        return []
    bought_ids, repeat_score, _ = _purchase_summary(
        history, now=request.now, half_life_days=params.half_life_days
    )
    repeat = dict(zip(bought_ids, repeat_score.tolist(), strict=True))
    bought = request.catalog.indices(repeat)
    if not bought:
        return []
    return select(
        request.catalog,
        _repeat_scores(request, repeat, bought, params),
        limit=source.limit,
        in_stock_only=source.in_stock_only,
    )


def _taste(
    request: Request,
    orders: dict[ProductId, float],
    history: ContactHistory,
    neighbours: Scores,
    params: PersonalParams,
) -> Scores:
    """The factor model's scores for the contact (``orders``: distinct orders of each product
    bought; the cart counts as one more order), as ``taste_scores`` gives them at
    ``params.factor_weight``."""
    orders = dict(orders)
    for pid in history.cart:
        orders[pid] = orders.get(pid, 0.0) + 1.0
    ids = sorted(orders)
    counts = np.array([orders[pid] for pid in ids], dtype=np.float64)
    return taste_scores(request, ids, counts, neighbours, params.factor_weight)


def _purchase_summary(
    history: ContactHistory, *, now: datetime, half_life_days: float
) -> tuple[list[ProductId], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The products bought, in order of first purchase; for each, the recency-weighted count
    of its distinct orders (purchase times) and the plain count of its distinct purchase
    moments.

    A long history has thousands of lines but far fewer products and orders, so lines are
    reduced to codes with dictionaries and counted with numpy; each distinct moment's weight
    is computed once."""
    product_ids = [purchase.product_id for purchase in history.purchases]
    moments = [purchase.ordered_at for purchase in history.purchases]
    first = list(dict.fromkeys(product_ids))
    product_code = dict(zip(first, range(len(first)), strict=True))
    distinct_moments = list(dict.fromkeys(moments))
    moment_code = dict(zip(distinct_moments, range(len(distinct_moments)), strict=True))
    n = len(product_ids)
    product = np.fromiter(map(product_code.__getitem__, product_ids), dtype=np.int64, count=n)
    moment = np.fromiter(map(moment_code.__getitem__, moments), dtype=np.int64, count=n)
    # Equal instants in different time zones are one purchase time; a naive and an aware
    # moment are distinct moments (as datetimes compare) even when their times agree.
    stamps, time = np.unique(
        np.array([_timestamp(m) for m in distinct_moments], dtype=np.float64),
        return_inverse=True,
    )
    now_ts = _timestamp(now)
    weight = np.array(
        [0.5 ** ((max(now_ts - at, 0.0) / 86_400) / half_life_days) for at in stamps.tolist()],
        dtype=np.float64,
    )
    size = len(first)
    # The first line of each (product, time) pair, in purchase order, so that the sums add up
    # in the order of the purchases.
    timed = _first_lines(product * len(stamps) + time.ravel()[moment])
    repeat = np.bincount(
        product[timed], weights=weight[time.ravel()[moment[timed]]], minlength=size
    )
    placed = _first_lines(product * len(distinct_moments) + moment)
    orders = np.bincount(product[placed], minlength=size).astype(np.float64)
    return first, repeat.astype(np.float64), orders


def _first_lines(key: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Positions of the first occurrence of each distinct key, in increasing order."""
    _, position = np.unique(key, return_index=True)
    return np.sort(position)


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
