"""What a list shows for whom: the data source behind each list and the products it starts from."""

from __future__ import annotations

from aiogram.types import ReplyKeyboardMarkup

from bot.config import ListSources
from bot.keyboards.menu import MenuState, main_menu
from bot.ports import CustomerKey, ListKind, ProductCard, Recommender
from bot.records import BotStore


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
        """What the menu of this Telegram user shows, as things stand now."""
        user = await self._store.user(telegram_user_id)
        return MenuState(linked=user is not None and user.contact_id is not None)

    async def menu(self, telegram_user_id: int) -> ReplyKeyboardMarkup:
        """The main menu for this user, in the current locale: every message that carries the
        menu builds it here, so all of them show the same one."""
        return main_menu(await self.menu_state(telegram_user_id))

    async def products(
        self, kind: ListKind, customer: CustomerKey, seed: str | None = None
    ) -> list[ProductCard]:
        """The list, best first. Product-based lists start from ``seed`` when given, else from
        the customer's cart, else their last order; without any, the list is empty."""
        source = self.source(kind)
        if not kind.needs_products:
            return (await self._recommender.recommend(source, customer))[: self._size]
        if seed is not None:
            seeds: tuple[str, ...] = (seed,)
        else:
            profile = await self._recommender.profile(customer)
            seeds = profile.seed_products() if profile is not None else ()
        if not seeds:
            return []
        return (await self._recommender.recommend(source, customer, seeds))[: self._size]
