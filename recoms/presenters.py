"""Products as the Yespo-compatible JSON the HTTP API and ``recoms recommend --json`` print."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from recoms.domain import Product, ProductId


def price_to_json(value: Decimal | None) -> float | None:
    """A price as a JSON number (two decimals are what feeds carry), or None."""
    return None if value is None else float(value)


API_FIELDS = ("id", "name", "url", "price", "descr", "brand", "category", "isInStock")
"""The fields Yespo's recommendation response documents; everything else is a ``tags_*``."""


def product_to_api_dict(product: Product) -> dict[str, Any]:
    """One product in the shape of Yespo's recommendation response: :data:`API_FIELDS`, then
    ``tags_*`` strings (as DESIGN.md section 4 and Yespo's "Sending Product Recommendations via
    API" describe it).

    ``price`` is what the customer pays today (the sale price when there is one) and
    ``isInStock`` is 1 or 0. The rest travels as ``tags_<field>``: ``tags_old_price`` (only on
    sale: the regular price, so a card can strike it through), ``tags_currency``, the image as
    ``tags_image_link``, the raw availability as ``tags_availability``, the item group as
    ``tags_item_group_id`` and every other feed field (custom labels, mpn, ...) under its feed
    name. Empty fields are left out of the tags.
    """
    body: dict[str, Any] = {
        "id": str(product.id),
        "name": product.title,
        "url": product.link,
        "price": price_to_json(product.effective_price),
        "descr": product.description,
        "brand": product.brand,
        "category": list(product.category),
        "isInStock": 1 if product.in_stock else 0,
    }
    on_sale = product.sale_price is not None and product.price is not None
    tags: dict[str, str] = {
        "old_price": str(product.price) if on_sale else "",
        "currency": product.currency or "",
        "image_link": product.image_link,
        "availability": str(product.availability),
        "item_group_id": product.item_group_id,
    }
    for name, value in product.tags.items():
        tags.setdefault(name, value)
    body.update({f"tags_{name}": value for name, value in tags.items() if value})
    return body


class RenderedProducts:
    """Products' API JSON, each rendered once and reused while the product stays the same.

    A ``Product`` is immutable and the serving snapshot hands out the same object for a
    product until its catalogue changes, so a list is answered by joining texts rendered
    before; a product object not seen yet (a new catalogue version) is rendered afresh.
    Holds one text per product id, so memory follows what is recommended; and the bodies of
    the last ``lists`` lists answered from memory (``RecomsService.answer`` gives such a list
    as the same tuple at each ask), by the tuple's identity."""

    def __init__(self, lists: int = 10_000) -> None:
        self._texts: dict[ProductId, tuple[Product, str]] = {}
        self._lists = lists
        # id() of a tuple held here -> (that tuple, its body): the tuple kept alive with its
        # body, so that its id is not another object's meanwhile.
        self._bodies: OrderedDict[int, tuple[tuple[Product, ...], bytes]] = OrderedDict()

    def text(self, product: Product) -> str:
        """``json.dumps(product_to_api_dict(product))``."""
        cached = self._texts.get(product.id)
        if cached is not None and cached[0] is product:
            return cached[1]
        text = json.dumps(product_to_api_dict(product))
        self._texts[product.id] = (product, text)
        return text

    def list_text(self, products: Iterable[Product]) -> str:
        """The JSON array of the products, the same text ``json.dumps`` gives for the list
        of their API dicts."""
        return "[" + ", ".join([self.text(product) for product in products]) + "]"

    def list_body(self, products: tuple[Product, ...]) -> bytes:
        """``list_text`` in UTF-8, kept for the tuple given until ``lists`` others came."""
        kept = self._bodies.get(id(products))
        if kept is not None and kept[0] is products:
            self._bodies.move_to_end(id(products))
            return kept[1]
        body = self.list_text(products).encode()
        if self._lists > 0:
            self._bodies[id(products)] = (products, body)
            if len(self._bodies) > self._lists:
                self._bodies.popitem(last=False)
        return body
