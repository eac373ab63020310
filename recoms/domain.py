"""Domain objects of the engine: plain, immutable, free of IO and frameworks."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NewType

ProductId = NewType("ProductId", str)
ContactId = NewType("ContactId", int)
DataSourceId = NewType("DataSourceId", int)


class Availability(enum.StrEnum):
    """Google Merchant availability values, spelled as the feed spells them."""

    IN_STOCK = "in stock"
    OUT_OF_STOCK = "out of stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"
    LIMITED = "limited availability"

    @property
    def in_stock(self) -> bool:
        """Whether a customer can buy it now (what the API reports as ``isInStock``)."""
        return self in (Availability.IN_STOCK, Availability.LIMITED)


@dataclass(frozen=True, slots=True)
class Product:
    """A catalogue item as the shop's feed (or, failing that, its orders) describes it.

    ``category`` is the path from the root, e.g. ``("Home & Garden", "Kitchen")``.
    ``tags`` holds feed fields without a column of their own (``custom_label_0``, ``mpn``,
    ``image_link`` is a column), keyed by the feed's field name without the ``g:`` prefix.
    Prices are in ``currency``; ``sale_price`` is set only when lower than ``price``.
    ``feed_position`` orders the feed's own items: the item's number (from 1) in the feed it
    last came in (None for a product only orders named).
    """

    id: ProductId
    title: str
    price: Decimal | None = None
    currency: str | None = None
    sale_price: Decimal | None = None
    availability: Availability = Availability.IN_STOCK
    description: str = ""
    link: str = ""
    image_link: str = ""
    brand: str = ""
    category: tuple[str, ...] = ()
    item_group_id: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    active: bool = True
    feed_position: int | None = None

    @property
    def in_stock(self) -> bool:
        return self.active and self.availability.in_stock

    @property
    def effective_price(self) -> Decimal | None:
        """The price a customer pays today: the sale price when there is one."""
        return self.sale_price if self.sale_price is not None else self.price


@dataclass(frozen=True, slots=True)
class Contact:
    """A shop customer. ``phone`` is E.164; ``web_ids`` are tracker cookies (``sc``)."""

    id: ContactId
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    name: str | None = None
    telegram_user_id: int | None = None
    web_ids: tuple[str, ...] = ()


class IdentityKey(enum.StrEnum):
    """An identifier that names a contact, as ``Identity`` spells its field. Declared in
    lookup order: when an identity gives several, the first that names a stored contact wins,
    whatever the later ones name. Every lookup of a contact goes through this order."""

    CONTACT_ID = "contact_id"
    EXTERNAL_ID = "external_id"
    EMAIL = "email"
    PHONE = "phone"
    WEB_ID = "web_id"
    TELEGRAM_USER_ID = "telegram_user_id"


CONTACT_KEYS = (IdentityKey.EXTERNAL_ID, IdentityKey.EMAIL, IdentityKey.PHONE)
"""The keys that create a contact or are filled into one (orders, events, upserts), in lookup
order; the others only find a contact."""


@dataclass(frozen=True, slots=True)
class Identity:
    """How a caller names a contact; any one field is enough.

    Lookup order when several are given (``IdentityKey``'s): contact id, external id, email,
    phone, web id, Telegram user id.
    """

    contact_id: ContactId | None = None
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    web_id: str | None = None
    telegram_user_id: int | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, key) is None for key in IdentityKey)


@dataclass(frozen=True)
class Purchase:
    """One line of a contact's order as personal lists read it: ``quantity`` as a float."""

    product_id: ProductId
    ordered_at: datetime
    quantity: float = 1.0


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: ProductId
    quantity: Decimal
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """A placed order; ``number`` is the shop's order id (unique per shop)."""

    number: str
    ordered_at: datetime
    lines: tuple[OrderLine, ...]
    contact_id: ContactId | None = None
    currency: str | None = None


class Algorithm(enum.StrEnum):
    PERSONAL = "personal"
    BESTSELLERS = "bestsellers"
    ALSO_BOUGHT = "also_bought"
    YOU_MAY_ALSO_LIKE = "you_may_also_like"
    ALTERNATIVES = "alternatives"
    OTHER = "other"

    @property
    def needs_products(self) -> bool:
        return self in (
            Algorithm.ALSO_BOUGHT,
            Algorithm.YOU_MAY_ALSO_LIKE,
            Algorithm.ALTERNATIVES,
        )


MAX_LIMIT = 50

# What storage holds: longer ids and larger numbers are refused where they come in (feed item,
# order line, tracker event, API request) rather than failing a whole write on PostgreSQL.
MAX_ID_LENGTH = 200
"""The longest product id, order number, external customer id or web id."""
MAX_AMOUNT = Decimal("999999999999.99")
"""The largest price (12 digits before the decimal mark)."""
MAX_QUANTITY = Decimal("99999999999.999")
"""The largest quantity of an order or cart line (11 digits before the decimal mark)."""


@dataclass(frozen=True, slots=True)
class DataSourceParams:
    """Tunable behaviour of one data source.

    ``window_days`` bounds the bestseller window; ``price_ratio_min``/``max`` bound a
    candidate's price relative to the reference product's (upsell and alternatives);
    ``product_ids`` is the curated list of the ``other`` algorithm. ``exclude_purchased``
    leaves out what the contact bought; ``purchased_only`` (personal lists) keeps only that:
    the contact's repeat purchases, with no bestsellers to fill a short list.
    """

    limit: int = 10
    in_stock_only: bool = True
    exclude_purchased: bool = False
    purchased_only: bool = False
    window_days: int = 90
    price_ratio_min: float = 0.7
    price_ratio_max: float = 1.5
    product_ids: tuple[ProductId, ...] = ()


@dataclass(frozen=True, slots=True)
class DataSource:
    id: DataSourceId
    name: str
    algorithm: Algorithm
    params: DataSourceParams = DataSourceParams()


@dataclass(frozen=True, slots=True)
class Rejected:
    """One input record (feed item, CSV row, event line) left out as bad: where, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class CartLine:
    product_id: ProductId
    quantity: Decimal
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TelegramLink:
    """A Telegram user linked to a contact.

    ``known``: the shop's own data names this contact (it is not one that links alone made and
    nothing of the shop's has reached since). ``previous_telegram_user_id``: the Telegram user
    the contact was linked to before, when an own-contact share moved it."""

    contact: Contact
    known: bool
    previous_telegram_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class ForgottenLink:
    """What forgetting a Telegram user removed from its contact: the contact itself
    (``deleted``, when the link created it and nothing of the shop's has reached it) or the
    fields the link had added (``removed``: ``phone``, ``name``, ...)."""

    contact_id: ContactId
    deleted: bool
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContactProfile:
    """What staff and the bot see of a contact: identifiers, last orders, cart, recent views.

    Orders are newest first; ``recently_viewed`` is newest first without repeats.
    """

    contact: Contact
    last_orders: tuple[Order, ...]
    cart: tuple[CartLine, ...]
    recently_viewed: tuple[ProductId, ...]
