"""The Recommender port: what the bot asks of a recommendation engine, in the bot's own terms."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


class ListKind(enum.StrEnum):
    """The lists a customer can open; each is backed by a configurable data source."""

    BUY_AGAIN = "buy_again"
    NEW_FOR_YOU = "new_for_you"
    BESTSELLERS = "bestsellers"
    ALSO_BOUGHT = "also_bought"
    YOU_MAY_ALSO_LIKE = "you_may_also_like"
    ALTERNATIVES = "alternatives"

    @property
    def needs_products(self) -> bool:
        return self in (ListKind.ALSO_BOUGHT, ListKind.YOU_MAY_ALSO_LIKE, ListKind.ALTERNATIVES)

    @property
    def is_personal(self) -> bool:
        """Made from the customer's own history: a list for linked customers only."""
        return self in (ListKind.BUY_AGAIN, ListKind.NEW_FOR_YOU)


class Availability(enum.StrEnum):
    """Stock as the shop's feed states it (Google Merchant's values, spelled as it spells them)."""

    IN_STOCK = "in stock"
    LIMITED = "limited availability"
    PREORDER = "preorder"
    BACKORDER = "backorder"
    OUT_OF_STOCK = "out of stock"

    @property
    def buyable_now(self) -> bool:
        """Whether it can be bought and sent now (the API's ``isInStock``)."""
        return self in (Availability.IN_STOCK, Availability.LIMITED)

    @classmethod
    def read(cls, value: object, *, in_stock: bool) -> Availability:
        """The feed's word when it is one of the five and agrees with ``in_stock``; otherwise
        what ``in_stock`` alone says (a plain Yespo API sends only that, and a product gone
        from the feed keeps its last word but is not for sale)."""
        try:
            stated = cls(str(value).strip().lower().replace("_", " "))
        except ValueError:
            stated = None
        if stated is not None and stated.buyable_now == in_stock:
            return stated
        return cls.IN_STOCK if in_stock else cls.OUT_OF_STOCK


class ChatActivity(enum.StrEnum):
    """What a customer did with a product in the chat; each value is the engine's tracker
    event that records it."""

    VIEWED = "ProductPage"
    """Opened the product's card."""
    SAVED = "AddToWishlist"
    UNSAVED = "RemoveFromWishlist"
    """Took it out of their saved items again."""


@dataclass(frozen=True, slots=True)
class ProductCard:
    """What a product card shows. ``old_price`` is set only when ``price`` is a sale price."""

    id: str
    name: str
    url: str = ""
    image: str = ""
    price: Decimal | None = None
    old_price: Decimal | None = None
    currency: str | None = None
    brand: str = ""
    availability: Availability = Availability.IN_STOCK
    description: str = ""
    category: tuple[str, ...] = ()

    @property
    def in_stock(self) -> bool:
        return self.availability.buyable_now


@dataclass(frozen=True, slots=True)
class CustomerKey:
    """How the bot names a shop customer; one field is enough.

    ``telegram_user_id`` alone names whoever is linked to that Telegram user (or nobody).
    """

    contact_id: int | None = None
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    telegram_user_id: int | None = None

    def is_empty(self) -> bool:
        return not any(
            (
                self.contact_id is not None,
                self.external_id,
                self.email,
                self.phone,
                self.telegram_user_id is not None,
            )
        )


@dataclass(frozen=True, slots=True)
class OrderSummary:
    number: str
    ordered_at: datetime
    product_ids: tuple[str, ...]
    total: Decimal | None = None
    currency: str | None = None

    @classmethod
    def from_lines(
        cls,
        number: str,
        ordered_at: datetime,
        currency: str | None,
        lines: Sequence[tuple[str, Decimal, Decimal | None]],
    ) -> OrderSummary:
        """``lines`` are (product id, quantity, unit price). Product ids keep their first
        order; the total is known only when every line has a price."""
        priced = [quantity * price for _, quantity, price in lines if price is not None]
        return cls(
            number=number,
            ordered_at=ordered_at,
            product_ids=tuple(dict.fromkeys(product_id for product_id, _, _ in lines)),
            total=sum(priced, Decimal(0)) if priced and len(priced) == len(lines) else None,
            currency=currency,
        )


class SeedBasis(enum.StrEnum):
    """What the product-based lists of the menu start from, for one customer."""

    CART = "cart"
    LAST_ORDER = "last_order"
    VIEWED = "viewed"


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """A linked or looked-up customer. ``orders`` are newest first."""

    contact_id: int
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    telegram_user_id: int | None = None
    orders: tuple[OrderSummary, ...] = ()
    cart: tuple[str, ...] = ()
    recently_viewed: tuple[str, ...] = ()

    def seed_products(self) -> tuple[str, ...]:
        """Products that product-based lists start from: the cart, else the last order."""
        if self.cart:
            return self.cart
        if self.orders:
            return self.orders[0].product_ids
        return self.recently_viewed[:3]

    def seed_basis(self) -> SeedBasis | None:
        """Which of those ``seed_products`` are (None: nothing to start from)."""
        if self.cart:
            return SeedBasis.CART
        if self.orders:
            return SeedBasis.LAST_ORDER
        return SeedBasis.VIEWED if self.recently_viewed else None


@dataclass(frozen=True, slots=True)
class LinkedCustomer:
    """A Telegram user linked to a customer. ``known``: the shop's own data names the customer
    (not one the link just created, nor a phone number it just added).
    ``previous_telegram_user_id``: whom the customer was linked to before their own phone
    number moved them."""

    profile: CustomerProfile
    known: bool = True
    previous_telegram_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class ForgottenCustomer:
    """What forgetting removed: the customer itself (``deleted``: the bot had created them)
    or the fields the bot had added (``removed``: ``phone``, ``name``)."""

    contact_id: int
    deleted: bool
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TunedList:
    """One list's score on the shop's latest orders held out at the last rebuild: with the
    settings the rebuild chose, and with the built-in ones."""

    name: str
    chosen: float
    default: float


@dataclass(frozen=True, slots=True)
class ShopLink:
    """A card's shop link to go through the engine's click redirect: the list (the link's
    campaign), the customer it was shown to, the product, and the UTM source and medium."""

    list_name: str
    customer: CustomerKey
    product_id: str
    utm_source: str
    utm_medium: str


@dataclass(frozen=True, slots=True)
class ListClicks:
    """One list's click-through: cards shown in the chat and their shop links followed."""

    list_name: str
    shown: int
    clicks: int

    @property
    def rate(self) -> float | None:
        return self.clicks / self.shown if self.shown else None


@dataclass(frozen=True, slots=True)
class EngineStats:
    products: int
    products_in_stock: int
    contacts: int
    telegram_linked: int
    events_last_24h: int
    model_built_at: datetime | None
    model_tuning: tuple[TunedList, ...] = ()


class RecommenderError(Exception):
    """Base of what the port raises on purpose."""


class RecommenderUnavailable(RecommenderError):
    """The engine cannot be reached or failed; worth retrying later."""


class UnsupportedByBackend(RecommenderError):
    """The backend has no such call (a plain Yespo API serves recommendations only)."""


class RequestRejected(RecommenderError):
    """The engine refused the request as malformed (unknown data source, bad identifier)."""


class AlreadyLinked(RecommenderError):
    """The customer is linked to another Telegram user; only their own phone number, shared
    from Telegram, moves them."""


class Recommender(Protocol):
    """The port. Unknown customers and products are ``None`` or empty lists, not errors."""

    async def recommend(
        self, data_source_id: int, customer: CustomerKey, products: Sequence[str] = ()
    ) -> list[ProductCard]:
        """The data source's list, best first."""
        ...

    async def product(self, product_id: str) -> ProductCard | None: ...

    async def products(self, product_ids: Sequence[str]) -> list[ProductCard]:
        """The known ones of these products as they stand now, in the order asked, without
        repeats (unknown ids left out): one call for many, as alerts check them."""
        ...

    async def search(
        self,
        query: str,
        limit: int = 10,
        *,
        offset: int = 0,
        customer: CustomerKey | None = None,
    ) -> list[ProductCard]:
        """Products matching what a customer typed, best first, in stock or not (cards say
        which), from the ``offset``-th on; typos are forgiven from three characters on.
        ``customer``'s own personal picks among the matches come higher. The engine ranks
        its best 200 matches only: past them a page is empty."""
        ...

    async def profile(self, customer: CustomerKey) -> CustomerProfile | None: ...

    async def customers_named(self, text: str, limit: int = 10) -> list[CustomerProfile]:
        """Customers whose name contains ``text`` (any case), by name: identifiers only, no
        orders or cart. ``RequestRejected`` for fewer than two characters."""
        ...

    async def link_customer(
        self,
        customer: CustomerKey,
        telegram_user_id: int,
        *,
        own_contact_share: bool = False,
        name: str | None = None,
    ) -> LinkedCustomer:
        """Link the Telegram user to the customer, creating the customer when unknown.

        A customer linked to another Telegram user raises ``AlreadyLinked`` unless
        ``own_contact_share``: ``customer.phone`` came from Telegram's own-contact share and is
        the number on file. ``name`` fills in a customer without one."""
        ...

    async def forget(self, telegram_user_id: int) -> ForgottenCustomer | None:
        """Unlink the user and remove what the bot added to their customer (None: not
        linked)."""
        ...

    async def record_activity(
        self, customer: CustomerKey, activity: ChatActivity, product_id: str
    ) -> None:
        """Record what the customer did as the engine's tracker event for their contact, so
        that their lists learn from the chat. Only ``customer.contact_id`` names whom it is
        about (other identifiers would create a contact): without it nothing is recorded.
        ``UnsupportedByBackend`` when the engine takes no events (a plain Yespo API)."""
        ...

    async def shop_link(self, base_url: str, link: ShopLink) -> str:
        """The URL under ``base_url`` (the engine API's public address) that counts the click
        and forwards to the product's shop page with the UTM tags; signed, so it counts for
        this customer, list and product only. ``RequestRejected`` for a list name or tag the
        engine cannot sign (a-z, 0-9, _; tags letters, digits, _ . -)."""
        ...

    async def record_shown(self, list_name: str, customer: CustomerKey, product_id: str) -> None:
        """Count a card of the list shown in the chat (to the customer's contact, if any)."""
        ...

    async def list_clicks(self, days: int | None = None) -> list[ListClicks]:
        """Click-through per list over the last ``days`` (all time: None), by list name."""
        ...

    async def stats(self) -> EngineStats: ...

    async def close(self) -> None: ...
