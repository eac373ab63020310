"""What a customer shops with besides the lists: their orders, the products they saved with ❤️,
and product search from what they type (see ``bot.routing`` for when text is a search)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram import html
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from bot.cards import clean, cut_escaped, format_price
from bot.lists import Lists
from bot.ports import (
    ChatActivity,
    CustomerProfile,
    ListKind,
    ProductCard,
    Recommender,
    RecommenderUnavailable,
    UnsupportedByBackend,
)
from bot.records import BotStore

log = logging.getLogger(__name__)

ORDERS_SHOWN = 5  # the engine's profile carries the last five orders
ITEMS_PER_ORDER = 10
ITEM_BUTTONS = 20
NAME_IN_LIST = 80
SAVED_LIMIT = 50


@dataclass(frozen=True, slots=True)
class MyOrders:
    """The customer's last orders (newest first) and the products in them the catalogue still
    has, by id. ``linked`` False: the chat names no customer yet (no orders to show)."""

    linked: bool
    profile: CustomerProfile | None
    products: dict[str, ProductCard]


class Shop:
    def __init__(self, recommender: Recommender, store: BotStore, lists: Lists) -> None:
        self._recommender = recommender
        self._store = store
        self._lists = lists

    async def my_orders(self, telegram_user_id: int) -> MyOrders:
        user = await self._store.user(telegram_user_id)
        if user is None or user.contact_id is None:
            return MyOrders(linked=False, profile=None, products={})
        profile = await self._recommender.profile(await self._lists.customer_of(telegram_user_id))
        if profile is None:
            return MyOrders(linked=True, profile=None, products={})
        products: dict[str, ProductCard] = {}
        for order in profile.orders[:ORDERS_SHOWN]:
            for product_id in order.product_ids[:ITEMS_PER_ORDER]:
                if product_id not in products:
                    card = await self._recommender.product(product_id)
                    if card is not None:
                        products[product_id] = card
        return MyOrders(linked=True, profile=profile, products=products)

    async def product(self, product_id: str) -> ProductCard | None:
        return await self._recommender.product(product_id)

    async def saved(self, telegram_user_id: int) -> list[ProductCard]:
        """The saved products the catalogue still has, newest save first (out of stock too)."""
        cards = []
        for product_id in await self._store.saved_products(telegram_user_id, SAVED_LIMIT):
            card = await self._recommender.product(product_id)
            if card is not None:
                cards.append(card)
        return cards

    async def set_saved(self, telegram_user_id: int, product_id: str, saved: bool) -> bool:
        """Save or unsave; whether it changed anything. A change is recorded for the linked
        customer as the engine's AddToWishlist (or RemoveFromWishlist) event, so that their
        lists learn it; the Saved list does not wait for the engine."""
        changed = await self._store.set_saved(telegram_user_id, product_id, saved)
        if changed:
            customer = await self._lists.customer_of(telegram_user_id)
            activity = ChatActivity.SAVED if saved else ChatActivity.UNSAVED
            try:
                await self._recommender.record_activity(customer, activity, product_id)
            except UnsupportedByBackend:
                pass  # a plain Yespo API takes no events from the bot
            except RecommenderUnavailable as error:
                log.warning("%s of %r not recorded: %s", activity.value, product_id, error)
        return changed

    async def new_for_you(self, telegram_user_id: int) -> list[ProductCard]:
        """What an empty inline query shows: the user's New for you (items they never bought;
        for a user not linked, what is popular now)."""
        customer = await self._lists.customer_of(telegram_user_id)
        kind = ListKind.NEW_FOR_YOU if customer.contact_id is not None else ListKind.BESTSELLERS
        return await self._lists.products(kind, customer)

    async def search(
        self, telegram_user_id: int, text: str, *, offset: int = 0, limit: int | None = None
    ) -> list[ProductCard]:
        """Products matching ``text``, best match first (the customer's own picks raised),
        from the ``offset``-th on, at most ``limit`` (a list's length)."""
        customer = await self._lists.customer_of(telegram_user_id)
        return await self._recommender.search(
            text.strip(), limit=limit or self._lists.size, offset=offset, customer=customer
        )


def orders_text(orders: MyOrders, locale: str) -> str:
    """The last orders as HTML: number, date and total, then each product by name."""
    profile = orders.profile
    assert profile is not None
    lines = ["<b>📦 " + html.quote(_("My orders")) + "</b>"]
    for order in profile.orders[:ORDERS_SHOWN]:
        when = format_date(order.ordered_at, format="medium", locale=locale)
        head = _("Order {number} of {date}").format(number=clean(order.number), date=when)
        line = f"\n<b>{cut_escaped(head, 120)}</b>"
        if order.total is not None:
            line += " · " + html.quote(format_price(order.total, order.currency, locale))
        lines.append(line)
        for product_id in order.product_ids[:ITEMS_PER_ORDER]:
            card = orders.products.get(product_id)
            name = clean(card.name) if card is not None and card.name else clean(product_id)
            lines.append("• " + cut_escaped(name, NAME_IN_LIST))
        if len(order.product_ids) > ITEMS_PER_ORDER:
            more = len(order.product_ids) - ITEMS_PER_ORDER
            lines.append(html.quote(_("… and {count} more").format(count=more)))
    lines.append("\n" + html.quote(_("Tap a product to see it again and buy it once more.")))
    return "\n".join(lines)


def order_products(orders: MyOrders) -> Sequence[ProductCard]:
    """The products the order buttons open: each once, newest order first."""
    seen: dict[str, ProductCard] = {}
    assert orders.profile is not None
    for order in orders.profile.orders[:ORDERS_SHOWN]:
        for product_id in order.product_ids[:ITEMS_PER_ORDER]:
            card = orders.products.get(product_id)
            if card is not None and product_id not in seen:
                seen[product_id] = card
    return list(seen.values())[:ITEM_BUTTONS]
