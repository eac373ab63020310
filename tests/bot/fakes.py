"""An in-memory engine behind the bot's Recommender port, for handler tests.

It holds a catalogue, contacts and orders in dicts and answers each default data source with
a plain, documented rule (no model, no database), so a handler test sets up in microseconds
and can read back what the bot did to contacts. A few journeys run on the real embedded
engine instead (``@pytest.mark.engine``); ``tests/bot/test_http_adapter.py`` checks the real
adapters against each other.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.adapters.embedded import to_card
from bot.ports import (
    AlreadyLinked,
    ChatActivity,
    CustomerKey,
    CustomerProfile,
    EngineStats,
    ForgottenCustomer,
    LinkedCustomer,
    ListClicks,
    OrderSummary,
    ProductCard,
    RecommenderUnavailable,
    RequestRejected,
    ShopLink,
    TunedList,
)
from recoms.domain import Product
from recoms.importing.feed import parse_feed

PERSONAL, BESTSELLERS, ALSO_BOUGHT, YOU_MAY_ALSO_LIKE, ALTERNATIVES = 1, 2, 3, 4, 5
BUY_AGAIN, NEW_FOR_YOU = 7, 8


@dataclass
class FakeContact:
    contact_id: int
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    telegram_user_id: int | None = None
    added: set[str] = field(default_factory=set)
    """What links added, as the engine records it: fields, and ``contact`` when they made it."""


@dataclass(frozen=True)
class FakeOrder:
    number: str
    ordered_at: datetime
    contact_id: int | None
    lines: tuple[tuple[str, Decimal, Decimal | None], ...]  # product, quantity, unit price
    currency: str | None = "EUR"

    @property
    def product_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(product for product, _, _ in self.lines))


def feed_cards(path: Path) -> list[ProductCard]:
    """The cards of a Google Merchant feed, read by the engine's own parser."""
    with path.open("rb") as stream:
        return [to_card(item) for item in parse_feed(stream) if isinstance(item, Product)]


@dataclass
class FakeEngine:
    """``Recommender`` in memory. Lists, best first, each at most ``limit`` long:

    1 personal: the contact's purchases (latest order first) in stock, then bestsellers;
      bestsellers for anyone unknown. 2 bestsellers: in stock, most orders first, ties by id.
    3 also bought: in stock, most orders shared with the seeds first, seeds left out.
    4 you may also like: in stock, same category, pricier than the cheapest seed, cheapest first.
    5 alternatives: in stock, same category, nearest in price first, seeds left out.
    7 buy again: the contact's purchases (latest order first) in stock, nothing else.
    8 new for you: personal without anything the contact bought.
    """

    cards: dict[str, ProductCard]
    contacts: dict[int, FakeContact] = field(default_factory=dict)
    orders: list[FakeOrder] = field(default_factory=list)
    carts: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """Each contact's cart, by contact id."""
    limit: int = 10
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    down: bool = False
    """When set, every call fails as an unreachable engine does."""
    activity: list[tuple[int, ChatActivity, str]] = field(default_factory=list)
    """What ``record_activity`` recorded, in order: (contact id, activity, product id)."""
    shown: list[tuple[str, int | None, str]] = field(default_factory=list)
    """What ``record_shown`` counted, in order: (list, contact id, product id)."""
    clicks: dict[str, int] = field(default_factory=dict)
    """Shop links followed per list, as a test sets them."""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # --- set-up and read-back for tests ------------------------------------------------
    def add_contact(
        self,
        *,
        external_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        name: str | None = None,
    ) -> FakeContact:
        contact = FakeContact(next(self._ids), external_id, email, phone, name)
        self.contacts[contact.contact_id] = contact
        return contact

    def add_order(
        self,
        number: str,
        ordered_at: datetime,
        contact: FakeContact | None,
        lines: Sequence[tuple[str, Decimal, Decimal | None]],
    ) -> None:
        contact_id = contact.contact_id if contact is not None else None
        self.orders.append(FakeOrder(number, ordered_at, contact_id, tuple(lines)))

    def find(self, customer: CustomerKey) -> FakeContact | None:
        """The contact ``customer`` names, tried in the engine's order: contact id, external
        id, email, phone, Telegram user id."""
        if customer.contact_id is not None and customer.contact_id in self.contacts:
            return self.contacts[customer.contact_id]
        for name in ("external_id", "email", "phone", "telegram_user_id"):
            wanted = getattr(customer, name)
            if wanted is None or wanted == "":
                continue
            for contact in self.contacts.values():
                if getattr(contact, name) == wanted:
                    return contact
        return None

    # --- the port ----------------------------------------------------------------------
    def _check_up(self) -> None:
        if self.down:
            raise RecommenderUnavailable("the fake engine is down")

    async def recommend(
        self, data_source_id: int, customer: CustomerKey, products: Sequence[str] = ()
    ) -> list[ProductCard]:
        self._check_up()
        ranked = {
            PERSONAL: lambda: self._personal(customer),
            BESTSELLERS: self._bestsellers,
            ALSO_BOUGHT: lambda: self._also_bought(products),
            YOU_MAY_ALSO_LIKE: lambda: self._you_may_also_like(products),
            ALTERNATIVES: lambda: self._alternatives(products),
            BUY_AGAIN: lambda: self._in_stock(self._bought(customer)),
            NEW_FOR_YOU: lambda: self._in_stock(
                self._personal(customer), leave_out=self._bought(customer)
            ),
        }.get(data_source_id)
        if ranked is None:
            raise RequestRejected(f"data source {data_source_id} not found")
        return [self.cards[product] for product in ranked()][: self.limit]

    async def product(self, product_id: str) -> ProductCard | None:
        self._check_up()
        return self.cards.get(product_id)

    async def products(self, product_ids: Sequence[str]) -> list[ProductCard]:
        self._check_up()
        return [self.cards[pid] for pid in dict.fromkeys(product_ids) if pid in self.cards]

    async def search(
        self,
        query: str,
        limit: int = 10,
        *,
        offset: int = 0,
        customer: CustomerKey | None = None,
    ) -> list[ProductCard]:
        """Cards whose id, name or brand holds the query (any case), by id: no typos."""
        self._check_up()
        needle = query.strip().lower()
        found = [
            card
            for card in self.cards.values()
            if needle and needle in f"{card.id} {card.name} {card.brand}".lower()
        ]
        return sorted(found, key=lambda card: card.id)[offset : offset + limit]

    async def profile(self, customer: CustomerKey) -> CustomerProfile | None:
        self._check_up()
        if customer.is_empty():
            return None
        contact = self.find(customer)
        return None if contact is None else self._profile(contact)

    async def customers_named(self, text: str, limit: int = 10) -> list[CustomerProfile]:
        self._check_up()
        text = " ".join(text.split()).lower()
        if len(text) < 2:
            raise RequestRejected("give at least 2 characters of the name")
        named = [c for c in self.contacts.values() if c.name and text in c.name.lower()]
        named.sort(key=lambda contact: (contact.name, contact.contact_id))
        return [CustomerProfile(c.contact_id, c.name, c.email, c.phone) for c in named[:limit]]

    async def link_customer(
        self,
        customer: CustomerKey,
        telegram_user_id: int,
        *,
        own_contact_share: bool = False,
        name: str | None = None,
    ) -> LinkedCustomer:
        """The engine's rules: a customer linked to another user moves only by an own-contact
        share of the number on file; an unknown own number joins the user's phoneless
        customer; what a link adds is remembered for ``forget``."""
        self._check_up()
        if own_contact_share and not customer.phone:
            raise RequestRejected("an own-contact share links by the phone number it carries")
        contact = self.find(replace(customer, telegram_user_id=None))
        added: set[str] = set()
        if contact is None and own_contact_share:
            current = self.find(CustomerKey(telegram_user_id=telegram_user_id))
            if current is not None and current.phone is None:
                contact, current.phone = current, customer.phone
                added.add("phone")
        created = contact is None
        if contact is None:
            if not (customer.external_id or customer.phone):
                raise RequestRejected("contact not found")
            contact = self.add_contact(
                external_id=customer.external_id, phone=customer.phone, name=name or None
            )
            added |= {"contact", "external_id", "phone", "name"} - {
                key for key in ("external_id", "phone", "name") if not getattr(contact, key)
            }
        previous = contact.telegram_user_id
        if previous not in (None, telegram_user_id):
            if not (own_contact_share and contact.phone == customer.phone):
                raise AlreadyLinked(f"contact {contact.contact_id} is linked to another user")
        else:
            previous = None
        if not created and name and not contact.name:
            contact.name = name
            added.add("name")
        for other in self.contacts.values():
            if other.telegram_user_id == telegram_user_id:
                other.telegram_user_id = None
        contact.telegram_user_id = telegram_user_id
        contact.added |= added
        known = not (created or "phone" in added) and (
            "contact" not in contact.added or self._has_shop_data(contact)
        )
        return LinkedCustomer(self._profile(contact), known, previous)

    def _has_shop_data(self, contact: FakeContact) -> bool:
        return any(order.contact_id == contact.contact_id for order in self.orders)

    async def forget(self, telegram_user_id: int) -> ForgottenCustomer | None:
        self._check_up()
        contact = self.find(CustomerKey(telegram_user_id=telegram_user_id))
        if contact is None:
            return None
        if "contact" in contact.added and not self._has_shop_data(contact):
            del self.contacts[contact.contact_id]
            return ForgottenCustomer(contact.contact_id, deleted=True)
        removable = ("name",) if "contact" in contact.added else ("phone", "name")
        removed = tuple(key for key in removable if key in contact.added)
        for key in removed:
            setattr(contact, key, None)
        contact.telegram_user_id = None
        contact.added = set()
        return ForgottenCustomer(contact.contact_id, deleted=False, removed=removed)

    async def record_activity(
        self, customer: CustomerKey, activity: ChatActivity, product_id: str
    ) -> None:
        self._check_up()
        if customer.contact_id is not None:
            self.activity.append((customer.contact_id, activity, product_id))

    async def shop_link(self, base_url: str, link: ShopLink) -> str:
        """An unsigned stand-in for the engine's link; tests read the click it names."""
        self._check_up()
        contact = link.customer.contact_id
        return f"{base_url}/api/v1/click?l={link.list_name}&c={contact}&p={link.product_id}"

    async def record_shown(self, list_name: str, customer: CustomerKey, product_id: str) -> None:
        self._check_up()
        self.shown.append((list_name, customer.contact_id, product_id))

    async def list_clicks(self, days: int | None = None) -> list[ListClicks]:
        self._check_up()
        shown = Counter(name for name, _, _ in self.shown)
        return [
            ListClicks(name, shown[name], self.clicks.get(name, 0))
            for name in sorted(set(shown) | set(self.clicks))
        ]

    async def stats(self) -> EngineStats:
        self._check_up()
        return EngineStats(
            products=len(self.cards),
            products_in_stock=sum(card.in_stock for card in self.cards.values()),
            contacts=len(self.contacts),
            telegram_linked=sum(c.telegram_user_id is not None for c in self.contacts.values()),
            events_last_24h=0,
            model_built_at=self.built_at,
            model_tuning=(TunedList("personal", 0.41, 0.38),),
        )

    async def close(self) -> None:
        pass

    # --- lists ---------------------------------------------------------------------------
    def _in_stock(self, product_ids: Iterable[str], leave_out: Iterable[str] = ()) -> list[str]:
        left_out = set(leave_out)
        return [
            product
            for product in dict.fromkeys(product_ids)
            if product in self.cards and self.cards[product].in_stock and product not in left_out
        ]

    def _bestsellers(self) -> list[str]:
        counts = Counter(product for order in self.orders for product in order.product_ids)
        return self._in_stock(sorted(counts, key=lambda product: (-counts[product], product)))

    def _bought(self, customer: CustomerKey) -> list[str]:
        contact = self.find(customer)
        if contact is None:
            return []
        return [product for order in self._orders_of(contact) for product in order.product_ids]

    def _personal(self, customer: CustomerKey) -> list[str]:
        return self._in_stock([*self._bought(customer), *self._bestsellers()])

    def _also_bought(self, seeds: Sequence[str]) -> list[str]:
        shared = Counter(
            product
            for order in self.orders
            if set(seeds) & set(order.product_ids)
            for product in order.product_ids
        )
        ranked = sorted(shared, key=lambda product: (-shared[product], product))
        return self._in_stock(ranked, leave_out=seeds)

    def _same_category(self, seeds: Sequence[str]) -> tuple[list[ProductCard], Decimal | None]:
        known = [self.cards[seed] for seed in seeds if seed in self.cards]
        categories = {card.category for card in known}
        prices = [card.price for card in known if card.price is not None]
        peers = [
            card
            for card in self.cards.values()
            if card.category in categories and card.id not in seeds and card.in_stock
        ]
        return peers, min(prices) if prices else None

    def _you_may_also_like(self, seeds: Sequence[str]) -> list[str]:
        peers, floor = self._same_category(seeds)
        pricier = [card for card in peers if card.price is not None and (floor or 0) < card.price]
        return [card.id for card in sorted(pricier, key=lambda card: (card.price, card.id))]

    def _alternatives(self, seeds: Sequence[str]) -> list[str]:
        peers, price = self._same_category(seeds)

        def distance(card: ProductCard) -> tuple[Decimal, str]:
            if price is None or card.price is None:
                return Decimal(0), card.id
            return abs(card.price - price), card.id

        return [card.id for card in sorted(peers, key=distance)]

    # --- profiles ------------------------------------------------------------------------
    def _orders_of(self, contact: FakeContact) -> list[FakeOrder]:
        """Newest first."""
        mine = [order for order in self.orders if order.contact_id == contact.contact_id]
        return sorted(mine, key=lambda order: order.ordered_at, reverse=True)

    def _profile(self, contact: FakeContact) -> CustomerProfile:
        return CustomerProfile(
            contact_id=contact.contact_id,
            name=contact.name,
            email=contact.email,
            phone=contact.phone,
            external_id=contact.external_id,
            telegram_user_id=contact.telegram_user_id,
            orders=tuple(
                OrderSummary.from_lines(
                    order.number, order.ordered_at, order.currency, order.lines
                )
                for order in self._orders_of(contact)
            ),
            cart=self.carts.get(contact.contact_id, ()),
        )
