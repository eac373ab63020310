"""Inputs of the algorithms: the order history to learn from, and one contact's history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from recoms.domain import ContactId, ProductId, Purchase


@dataclass(frozen=True)
class OrderHistory:
    """All order lines to learn from, column-wise: line ``i`` is ``[i]`` of each array.

    ``order_index`` numbers orders from 0; ``product_index`` indexes ``product_ids``;
    ``contact_index`` indexes ``contact_ids`` or is -1 for an anonymous order; ``timestamp``
    is the order time in Unix seconds; ``quantity`` is positive (cancellations never get here).
    """

    product_ids: Sequence[ProductId]
    contact_ids: Sequence[ContactId]
    order_index: npt.NDArray[np.int64]
    product_index: npt.NDArray[np.int32]
    contact_index: npt.NDArray[np.int32]
    timestamp: npt.NDArray[np.int64]
    quantity: npt.NDArray[np.float32]

    @property
    def n_lines(self) -> int:
        return int(self.order_index.shape[0])


@dataclass(frozen=True)
class ContactHistory:
    """What one contact did, read fresh from storage for each request.

    ``purchases`` are order lines, oldest first (a long history's latest lines only);
    ``viewed`` product ids, oldest first, repeats kept; ``cart`` the current cart's product ids
    in cart order; ``bought`` every product ever bought, when read (lists that leave out what
    the contact bought read it, as ``purchases`` may not reach back far enough).
    """

    purchases: Sequence[Purchase] = ()
    viewed: Sequence[ProductId] = ()
    cart: Sequence[ProductId] = ()
    wishlist: Sequence[ProductId] = field(default=())
    bought: frozenset[ProductId] = frozenset()

    @property
    def purchased_ids(self) -> set[ProductId]:
        """Every product the contact bought, as far as this history knows."""
        return {purchase.product_id for purchase in self.purchases} | self.bought
