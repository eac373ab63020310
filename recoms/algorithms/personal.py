"""Personal: the contact's own repeat purchases, by recency, blended with new items that
customers with similar purchases bought."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from recoms.algorithms.bestsellers import bestseller_ranking
from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.history import ContactHistory
from recoms.algorithms.model import Model
from recoms.algorithms.ranking import Scores, gather, select
from recoms.domain import ProductId


@dataclass(frozen=True)
class PersonalParams:
    """How the signals mix. The defaults were chosen on earlier splits of a real shop's orders
    and hold on a later one; nothing in them is particular to that shop.

    Each purchase of a product counts ``0.5 ** (age / half_life_days)``, so what a customer
    buys again and again, and lately, comes first; times ``repeat_rate ** repeat_rate_power``
    so that what customers in general buy again (consumables) outranks what they buy once.
    The collaborative score of new products adds item-kNN over ``customer_neighbours`` (and
    ``basket_neighbours`` at ``basket_weight``), seeded by those purchase scores, the cart
    (``cart_weight`` each) and views and wishlist (``view_weight``, the latest view most), to
    the ALS taste scores at ``factor_weight``; each part is scaled so that its best is 1, and
    the repeat part so that its best is ``repeat_weight``.
    """

    half_life_days: float = 180.0
    repeat_weight: float = 2.0
    repeat_rate_power: float = 0.5
    basket_weight: float = 0.5
    factor_weight: float = 1.0
    cart_weight: float = 1.0
    view_weight: float = 0.5


def personal(
    model: Model,
    catalog: CatalogView,
    history: ContactHistory | None,
    *,
    limit: int,
    now: datetime,
    window_days: int = 90,
    in_stock_only: bool = True,
    exclude_purchased: bool = False,
    exclude: Iterable[int] = (),
    params: PersonalParams = PersonalParams(),
) -> list[ProductId]:
    """The contact's list, best first, ties by product id; bestsellers fill a short list, and
    make the whole list for a contact with no history. With ``exclude_purchased`` nothing the
    contact bought appears."""
    ranking = bestseller_ranking(model, catalog, window_days=window_days, now=now)
    excluded = list(exclude)
    if history is None:
        return select(
            catalog,
            Scores.empty(),
            limit=limit,
            in_stock_only=in_stock_only,
            exclude=excluded,
            fill=(ranking,),
        )
    repeat = _repeat_scores(history, now=now, half_life_days=params.half_life_days)
    # The collaborative part starts from everything the contact showed interest in.
    seed_weight: dict[ProductId, float] = dict(repeat)
    for pid in history.cart:
        seed_weight[pid] = seed_weight.get(pid, 0.0) + params.cart_weight
    for position, pid in enumerate(reversed(history.viewed)):
        seed_weight[pid] = seed_weight.get(pid, 0.0) + params.view_weight / (1 + position)
    for pid in history.wishlist:
        seed_weight[pid] = seed_weight.get(pid, 0.0) + params.view_weight
    seed_ids = list(seed_weight)
    seeds = model.model_indices(seed_ids)
    weights = np.array([seed_weight[pid] for pid in seed_ids], dtype=np.float64)
    weights, seeds = weights[seeds >= 0], seeds[seeds >= 0]
    alignment = model.alignment(catalog)
    collaborative = Scores.concat(
        (
            gather(model.customer_neighbours, seeds, weights, alignment.to_catalog),
            gather(
                model.basket_neighbours,
                seeds,
                weights * params.basket_weight,
                alignment.to_catalog,
            ),
        )
    )
    collaborative = collaborative.normalised()
    taste = _taste(model, catalog, history, collaborative, params.factor_weight, window_days, now)
    collaborative = Scores.concat((collaborative, taste)).normalised()
    bought = catalog.indices(repeat)
    parts = [collaborative]
    if not exclude_purchased and bought:
        # Some products are bought again and again (consumables), others once (a kettle):
        # what the shop's customers did with each product says which.
        bought_array = np.asarray(bought, dtype=np.int64)
        own = np.array([repeat[catalog.product_ids[i]] for i in bought])
        in_model = alignment.to_model[bought_array]
        rate = np.where(in_model >= 0, model.repeat_rate[np.maximum(in_model, 0)], np.nan)
        rate = np.where(np.isnan(rate), np.nanmean(rate) if np.any(in_model >= 0) else 1.0, rate)
        own = own * np.power(np.maximum(rate, 1e-6), params.repeat_rate_power)
        parts.append(Scores(bought_array, own / own.max() * params.repeat_weight))
    if exclude_purchased:
        excluded.extend(bought)
    return select(
        catalog,
        Scores.concat(parts),
        limit=limit,
        in_stock_only=in_stock_only,
        exclude=excluded,
        fill=(ranking,),
    )


def _taste(
    model: Model,
    catalog: CatalogView,
    history: ContactHistory,
    neighbours: Scores,
    weight: float,
    window_days: int,
    now: datetime,
) -> Scores:
    """The factor model's scores for the contact (purchases counted in distinct orders, the
    cart as one more order), clipped at 0 and scaled so that the best is ``weight``.

    Scored are the products the neighbours found and the shop's ``POPULAR_HEAD``
    bestsellers: a large catalogue's every product would cost a millisecond per request,
    for products that could hardly make a list."""
    orders: dict[ProductId, float] = {}
    for pid, _ in {(p.product_id, p.ordered_at) for p in history.purchases}:
        orders[pid] = orders.get(pid, 0.0) + 1.0
    for pid in history.cart:
        orders[pid] = orders.get(pid, 0.0) + 1.0
    ids = sorted(orders)
    items = model.model_indices(ids)
    known = items >= 0
    if weight <= 0 or not np.any(known) or model.item_factors.shape[1] == 0:
        return Scores.empty()
    alignment = model.alignment(catalog)
    head = model.popularity(catalog, window_days=window_days, now=now).head
    found = neighbours.index
    if head.size:
        position = np.minimum(np.searchsorted(head, found), head.size - 1)
        found = found[head[position] != found]
    pool = np.concatenate((head, found))
    among = alignment.to_model[pool]
    pool, among = pool[among >= 0], among[among >= 0]
    scores = model.taste(items[known], np.array([orders[pid] for pid in ids])[known], among)
    positive = scores > 0
    if not np.any(positive):
        return Scores.empty()
    chosen = scores[positive]
    return Scores(pool[positive], chosen / chosen.max() * weight)


def _repeat_scores(
    history: ContactHistory, *, now: datetime, half_life_days: float
) -> dict[ProductId, float]:
    """Recency-weighted count of the distinct orders (purchase times) of each product."""
    now_ts = _timestamp(now)
    seen: set[tuple[ProductId, float]] = set()
    scores: dict[ProductId, float] = {}
    for purchase in history.purchases:
        at = _timestamp(purchase.ordered_at)
        if (purchase.product_id, at) in seen:
            continue
        seen.add((purchase.product_id, at))
        age_days = max(now_ts - at, 0.0) / 86_400
        scores[purchase.product_id] = scores.get(purchase.product_id, 0.0) + 0.5 ** (
            age_days / half_life_days
        )
    return scores


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
