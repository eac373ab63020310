"""Products as the Yespo-compatible JSON the HTTP API and ``recoms recommend --json`` print."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from recoms.domain import Product


def price_to_json(value: Decimal | None) -> float | None:
    """A price as a JSON number (two decimals are what feeds carry), or None."""
    return None if value is None else float(value)


def product_to_api_dict(product: Product) -> dict[str, Any]:
    """One product in the shape of Yespo's recommendation response.

    ``price`` is what the customer pays today (the sale price when there is one); ``oldPrice``
    is present only on sale and is the regular price, so a card can strike it through.
    ``isInStock`` is 1 or 0. Feed fields without a key of their own travel as ``tags_<field>``:
    the image as ``tags_image_link``, the raw availability as ``tags_availability``, the item
    group as ``tags_item_group_id`` and every other feed field (custom labels, mpn, ...) under
    its feed name. Empty feed fields are left out of the tags.
    """
    body: dict[str, Any] = {
        "id": str(product.id),
        "name": product.title,
        "url": product.link,
        "price": price_to_json(product.effective_price),
    }
    if product.sale_price is not None and product.price is not None:
        body["oldPrice"] = price_to_json(product.price)
    body.update(
        {
            "currency": product.currency,
            "descr": product.description,
            "brand": product.brand,
            "category": list(product.category),
            "isInStock": 1 if product.in_stock else 0,
        }
    )
    tags: dict[str, str] = {
        "image_link": product.image_link,
        "availability": str(product.availability),
        "item_group_id": product.item_group_id,
    }
    for name, value in product.tags.items():
        tags.setdefault(name, value)
    body.update({f"tags_{name}": value for name, value in tags.items() if value})
    return body
