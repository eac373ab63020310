"""Product ids in callback data: short safe ids travel as they are, others by a stored key.

The same keys carry a customer's search text under the search buttons (``SearchCB``,
``TextChoiceCB``): any string may be named this way."""

from __future__ import annotations

import re

from bot.records import BotStore

# Room left in 64 bytes by the longest list callback ("l:y:49:" and a one-letter tag).
_INLINE = re.compile(r"[A-Za-z0-9._\-/+=@#]{1,48}")


class ProductRefs:
    def __init__(self, store: BotStore) -> None:
        self._store = store

    async def encode(self, product_id: str) -> str:
        if _INLINE.fullmatch(product_id):
            return "i" + product_id
        return "k" + await self._store.product_ref(product_id)

    async def decode(self, ref: str) -> str | None:
        """The product id, or None when the key is unknown (a button from a wiped database)."""
        if ref.startswith("i") and len(ref) > 1:
            return ref[1:]
        if ref.startswith("k") and len(ref) > 1:
            return await self._store.resolve_ref(ref[1:])
        return None
