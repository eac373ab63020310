"""Candidate sets shared by upsell and alternatives: same category (or similar content) and a
price band around the reference product."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.ranking import IndexArray, gather
from recoms.algorithms.request import Request

# Products sharing so few words with the reference are not "like" it.
MIN_CONTENT_SIMILARITY = 0.1


def kindred(catalog: CatalogView, reference: int) -> IndexArray:
    """Products of the reference's kind, in catalogue order, the reference left out.

    The kind is the reference's category when it has one; otherwise, products whose content is
    similar enough to it."""
    code = int(catalog.category_code[reference])
    if code >= 0:
        members = catalog.category_members(code)
    else:
        index, score = catalog.similar_content(reference)
        members = index[score >= MIN_CONTENT_SIMILARITY]
    return np.asarray(members[members != reference], dtype=np.int64)


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


def likeness(
    request: Request, reference: int, members: IndexArray
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """For each of ``members`` (sorted): content similarity to the reference, similarity by
    who bought them (best neighbour = 1), and popularity (``Popularity.prior``)."""
    aligned, catalog = request.aligned, request.catalog
    content = catalog.content_similarity(reference, members)
    alike = np.zeros(members.size)
    seed = aligned.to_model[[reference]]
    seed = seed[seed >= 0]
    found = gather(aligned.model.customer_neighbours, seed, np.ones(seed.size), aligned.to_catalog)
    if found.index.size and members.size:
        position = np.minimum(np.searchsorted(members, found.index), members.size - 1)
        hit = members[position] == found.index
        alike[position[hit]] = found.score[hit] / found.score.max()
    prior = request.popularity.prior[members]
    return content, alike, prior
