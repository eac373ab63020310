"""Candidate sets shared by upsell and alternatives: same category (or similar content) and a
price band around the reference product."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt

from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.model import Model
from recoms.algorithms.ranking import IndexArray, gather

# Products sharing so few words with the reference are not "like" it.
MIN_CONTENT_SIMILARITY = 0.1


def kindred(catalog: CatalogView, reference: int) -> tuple[IndexArray, npt.NDArray[np.float64]]:
    """Products of the reference's kind, and a content-similarity array over the catalogue.

    The kind is the reference's category when it has one; otherwise, products whose content is
    similar enough to it. The reference itself is left out."""
    similarity = np.zeros(len(catalog))
    index, score = catalog.similar_content(reference)
    similarity[index] = score
    code = int(catalog.category_code[reference])
    if code >= 0:
        members = np.flatnonzero(catalog.category_code == code)
    else:
        members = index[score >= MIN_CONTENT_SIMILARITY]
    return members[members != reference], similarity


def in_price_band(
    catalog: CatalogView, members: IndexArray, reference: int, low: float, high: float
) -> IndexArray:
    """``members`` priced within ``[low, high]`` times the reference's price. Products whose
    price (or whose reference's price) is unknown pass: nothing speaks against them."""
    base = float(catalog.price[reference])
    if np.isnan(base):
        return members
    price = catalog.price[members]
    keep = np.isnan(price) | ((price >= base * low) & (price <= base * high))
    return members[keep]


def customer_similarity(
    model: Model, catalog: CatalogView, reference: int
) -> npt.NDArray[np.float64]:
    """Similarity of every catalogue product to the reference by who bought them, best = 1."""
    alignment = model.alignment(catalog)
    similarity = np.zeros(len(catalog))
    seed = alignment.to_model[[reference]]
    seed = seed[seed >= 0]
    scores = gather(model.customer_neighbours, seed, np.ones(seed.size), alignment.to_catalog)
    if scores.index.size:
        similarity[scores.index] = scores.score / scores.score.max()
    return similarity


def popularity_prior(
    model: Model, catalog: CatalogView, *, window_days: int, now: datetime
) -> npt.NDArray[np.float64]:
    """``log(1 + orders)`` of every catalogue product over the window, scaled so the best is 1."""
    popularity = model.popularity(catalog, window_days=window_days, now=now)
    prior = np.log1p(popularity.recent + popularity.total / 10.0)
    top = float(prior.max()) if prior.size else 0.0
    return prior / top if top > 0 else prior
