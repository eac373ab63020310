"""What a list shows for whom: the data source behind each list, the products it starts from,
why it is empty when it is, and the menu of lists a customer has."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from aiogram.types import ReplyKeyboardMarkup

from bot.config import ListSources
from bot.keyboards.menu import MenuState, main_menu
from bot.ports import (
    CustomerKey,
    CustomerProfile,
    ListKind,
    ProductCard,
    Recommender,
    RecommenderError,
    SeedBasis,
    UnsupportedByBackend,
)
from bot.records import BotStore

log = logging.getLogger(__name__)


class EmptyReason(enum.StrEnum):
    """Why a list has nothing, so that the customer hears why and what to do next."""

    NOT_LINKED = "not_linked"
    """A list of the customer's own, or one that starts from their cart, for a chat that is
    not linked to a shop account."""
    NO_ORDERS = "no_orders"
    """Buy again for a customer who has ordered nothing yet."""
    NOTHING_IN_STOCK = "nothing_in_stock"
    """Buy again: nothing the customer bought can be bought now."""
    NOTHING_TO_START_FROM = "nothing_to_start_from"
    """A list that starts from the cart or last order, for a customer with neither."""
    NOTHING = "nothing"
    """The engine has nothing for it (a product nobody bought with anything else)."""


@dataclass(frozen=True, slots=True)
class ListResult:
    """One list for one customer: ``cards`` best first; what a product-based list started
    from (``basis``, or the ``product`` whose card opened it); ``empty`` says why there are no
    cards."""

    kind: ListKind
    cards: list[ProductCard] = field(default_factory=list)
    basis: SeedBasis | None = None
    product: ProductCard | None = None
    empty: EmptyReason | None = None


class Lists:
    """The lists and the menu that opens them, for one customer at a time."""

    def __init__(
        self, recommender: Recommender, store: BotStore, sources: ListSources, size: int
    ) -> None:
        self._recommender = recommender
        self._store = store
        self._sources = sources
        self._size = size

    @property
    def size(self) -> int:
        """Cards in one list."""
        return self._size

    def source(self, kind: ListKind) -> int:
        return int(getattr(self._sources, kind.value))

    async def customer_of(self, telegram_user_id: int) -> CustomerKey:
        """The shop customer linked to this Telegram user, or the user alone when unlinked."""
        user = await self._store.user(telegram_user_id)
        contact_id = user.contact_id if user is not None else None
        return CustomerKey(contact_id=contact_id, telegram_user_id=telegram_user_id)

    async def menu_state(self, telegram_user_id: int) -> MenuState:
        """What the menu of this Telegram user shows, as things stand now. An engine that
        cannot say (down, or a plain Yespo API without profiles) leaves a linked customer
        their personal lists, which then say for themselves when they are empty."""
        customer = await self.customer_of(telegram_user_id)
        if customer.contact_id is None:
            return MenuState()
        try:
            profile = await self._recommender.profile(customer)
            if profile is None:
                return MenuState(linked=True)
            buy_again = bool(profile.orders) and bool(
                await self._list(ListKind.BUY_AGAIN, customer)
            )
            has_history = bool(profile.orders or profile.cart or profile.recently_viewed)
            new_for_you = has_history and bool(await self._list(ListKind.NEW_FOR_YOU, customer))
        except RecommenderError as error:
            log.info("menu of user %s without the engine's view: %s", telegram_user_id, error)
            return MenuState(linked=True, buy_again=True, new_for_you=True)
        return MenuState(
            linked=True,
            buy_again=buy_again,
            new_for_you=new_for_you,
            basis=profile.seed_basis(),
        )

    async def menu(self, telegram_user_id: int) -> ReplyKeyboardMarkup:
        """The main menu for this user, in the current locale: every message that carries the
        menu builds it here, so all of them show the same one."""
        return main_menu(await self.menu_state(telegram_user_id))

    async def _list(
        self, kind: ListKind, customer: CustomerKey, seeds: tuple[str, ...] = ()
    ) -> list[ProductCard]:
        return (await self._recommender.recommend(self.source(kind), customer, seeds))[
            : self._size
        ]

    async def _profile(self, customer: CustomerKey) -> CustomerProfile | None:
        try:
            return await self._recommender.profile(customer)
        except UnsupportedByBackend:
            return None

    async def open(
        self, kind: ListKind, customer: CustomerKey, seed: str | None = None
    ) -> ListResult:
        """The list as a customer opens it. Product-based lists start from ``seed`` when given,
        else from the customer's cart, else their last order, else what they viewed lately;
        without any, the list is empty. An empty list says why."""
        linked = customer.contact_id is not None
        if kind.is_personal and not linked:
            return ListResult(kind, empty=EmptyReason.NOT_LINKED)
        if not kind.needs_products:
            cards = await self._list(kind, customer)
            if cards or kind is not ListKind.BUY_AGAIN:
                return ListResult(kind, cards, empty=None if cards else EmptyReason.NOTHING)
            profile = await self._profile(customer)
            ordered = profile is None or bool(profile.orders)
            why = EmptyReason.NOTHING_IN_STOCK if ordered else EmptyReason.NO_ORDERS
            return ListResult(kind, empty=why)
        if seed is not None:
            product = await self._recommender.product(seed)
            cards = await self._list(kind, customer, (seed,))
            return ListResult(
                kind, cards, product=product, empty=None if cards else EmptyReason.NOTHING
            )
        profile = await self._profile(customer) if not customer.is_empty() else None
        seeds = profile.seed_products() if profile is not None else ()
        if not seeds:
            why = EmptyReason.NOTHING_TO_START_FROM if linked else EmptyReason.NOT_LINKED
            return ListResult(kind, empty=why)
        assert profile is not None
        cards = await self._list(kind, customer, seeds)
        return ListResult(
            kind, cards, basis=profile.seed_basis(), empty=None if cards else EmptyReason.NOTHING
        )

    async def products(
        self, kind: ListKind, customer: CustomerKey, seed: str | None = None
    ) -> list[ProductCard]:
        """The list's cards, best first (``open`` without the why)."""
        if kind.needs_products and seed is None:
            profile = await self._recommender.profile(customer)
            seeds = profile.seed_products() if profile is not None else ()
            if not seeds:
                return []
            return await self._list(kind, customer, seeds)
        return await self._list(kind, customer, (seed,) if seed is not None else ())
