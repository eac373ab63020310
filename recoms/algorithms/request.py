"""The one input of every algorithm: a list to rank and everything ranking may read for it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from recoms.algorithms.catalog import CatalogView
from recoms.algorithms.history import ContactHistory
from recoms.algorithms.model import Aligned, Model, Popularity
from recoms.domain import DataSource, DataSourceParams, ProductId


@dataclass(frozen=True)
class Request:
    """One list: the data source asked for, the model aligned to the catalogue, the
    bestseller ranking of the source's window at ``now`` (``popularity(aligned, ...)``),
    the asker's ``history`` (None for an unknown contact), the reference ``products`` of
    product-based algorithms and the ``category`` (one, or several: any of them) that narrows
    bestsellers, alternatives and you may also like.

    ``single_threaded`` runs the small dense products of the factor model with BLAS on one
    thread: they finish sooner than BLAS threads can be woken, and on a busy machine waiting
    for them costs tens of milliseconds a request. Whoever serves lists provides it."""

    source: DataSource
    aligned: Aligned
    popularity: Popularity
    now: datetime
    history: ContactHistory | None = None
    products: Sequence[ProductId] = ()
    category: str | Sequence[str] | None = None
    single_threaded: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext

    def in_categories(self) -> npt.NDArray[np.bool_] | None:
        """The catalogue's products in the request's category (any of several), or None when
        it names none; a category the catalogue lacks leaves no product in."""
        return None if self.category is None else self.catalog.in_category(self.category)

    @property
    def params(self) -> DataSourceParams:
        return self.source.params

    @property
    def model(self) -> Model:
        return self.aligned.model

    @property
    def catalog(self) -> CatalogView:
        return self.aligned.catalog

    def purchased(self) -> list[int]:
        """Catalogue indices the list leaves out for ``exclude_purchased``: what the contact
        bought (nothing without the setting or a history)."""
        if not self.params.exclude_purchased or self.history is None:
            return []
        return self.catalog.indices(self.history.purchased_ids)
