"""What support agents do: look customers up, see and send their lists; each step audited."""

from __future__ import annotations

import re

from bot.cards import format_price
from bot.identity import LINK_ACTIONS, contact_target
from bot.links import link_target
from bot.lists import Lists
from bot.ports import (
    CustomerKey,
    CustomerProfile,
    ListKind,
    ProductCard,
    Recommender,
    RequestRejected,
    UnsupportedByBackend,
)
from bot.privacy import mask, read_phone
from bot.records import AuditEntry, BotStore, BotUser

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_PHONE = re.compile(r"\+?[\d\s()\-]{7,}")
_MAX_INT64 = 2**63 - 1
HISTORY = 8  # link events /find shows
NAME_MATCHES = 10  # customers a /find by name lists
LIST_NAMES: dict[str, ListKind] = {
    **{kind.value: kind for kind in ListKind},
    **{kind.value.replace("_", "-"): kind for kind in ListKind},
    "foryou": ListKind.NEW_FOR_YOU,
    "for_you": ListKind.NEW_FOR_YOU,
    "new": ListKind.NEW_FOR_YOU,
    "personal": ListKind.NEW_FOR_YOU,
    "again": ListKind.BUY_AGAIN,
    "repeat": ListKind.BUY_AGAIN,
    "popular": ListKind.BESTSELLERS,
    "top": ListKind.BESTSELLERS,
    "also": ListKind.ALSO_BOUGHT,
    "upsell": ListKind.YOU_MAY_ALSO_LIKE,
}


def candidate_keys(query: str, region: str) -> list[CustomerKey]:
    """The ways ``query`` may name a customer, most specific first.

    ``#42`` is a contact id; an email is an email; a phone-like string is a phone (E.164)
    and, when all digits, first a contact id; anything else is an external id.
    """
    text = query.strip()
    if not text:
        return []
    if text.startswith("#") and text[1:].isdigit() and int(text[1:]) <= _MAX_INT64:
        return [CustomerKey(contact_id=int(text[1:]))]
    if _EMAIL.fullmatch(text):
        return [CustomerKey(email=text.lower()), CustomerKey(external_id=text)]
    keys: list[CustomerKey] = []
    if text.isdigit() and int(text) <= _MAX_INT64:
        keys.append(CustomerKey(contact_id=int(text)))
    if _PHONE.fullmatch(text) and (phone := read_phone(text, region)) is not None:
        keys.append(CustomerKey(phone=phone))
    keys.append(CustomerKey(external_id=text))
    return keys


def split_recs_args(args: str) -> tuple[str, ListKind | None]:
    """``/recs <identifier> [list]``: the identifier may contain spaces (a phone number)."""
    head, _, last = args.strip().rpartition(" ")
    if head and last.lower() in LIST_NAMES:
        return head.strip(), LIST_NAMES[last.lower()]
    return args.strip(), None


async def product_labels(
    recommender: Recommender, profile: CustomerProfile, locale: str
) -> dict[str, str]:
    """Each product of the profile's last orders and cart by name and price, for staff
    (an id the catalogue no longer has stays an id)."""
    wanted = [pid for order in profile.orders[:5] for pid in order.product_ids[:5]]
    labels: dict[str, str] = {}
    for product_id in dict.fromkeys([*wanted, *profile.cart[:10]]):
        card = await recommender.product(product_id)
        if card is None or not card.name:
            continue
        price = (
            f" ({format_price(card.price, card.currency, locale)})"
            if card.price is not None
            else ""
        )
        labels[product_id] = card.name + price
    return labels


class Support:
    def __init__(
        self, recommender: Recommender, store: BotStore, lists: Lists, region: str
    ) -> None:
        self._recommender = recommender
        self._store = store
        self._lists = lists
        self._region = region

    async def _lookup(self, query: str) -> CustomerProfile | None:
        for key in candidate_keys(query, self._region):
            if (profile := await self._recommender.profile(key)) is not None:
                return profile
        return None

    async def find(self, actor_id: int, query: str) -> CustomerProfile | None:
        """The customer an identifier in ``query`` names."""
        profile = await self._lookup(query)
        await self._audit_find(actor_id, query, [profile] if profile else [])
        return profile

    async def find_all(self, actor_id: int, query: str) -> list[CustomerProfile]:
        """The customer an identifier in ``query`` names; else those whose name contains it,
        by name (at most :data:`NAME_MATCHES`). A single match comes with orders and cart."""
        profile = await self._lookup(query)
        found = [profile] if profile else await self._named(query)
        if len(found) == 1 and profile is None:
            found = [await self.profile(found[0].contact_id) or found[0]]
        await self._audit_find(actor_id, query, found)
        return found

    async def _named(self, query: str) -> list[CustomerProfile]:
        try:
            return await self._recommender.customers_named(query, NAME_MATCHES)
        except (RequestRejected, UnsupportedByBackend):  # too short; a backend without names
            return []

    async def _audit_find(self, actor_id: int, query: str, found: list[CustomerProfile]) -> None:
        outcome = "" if len(found) == 1 else f" ({len(found) or 'not'} found)"
        await self._store.audit(
            actor_id,
            "find",
            target=f"contact {found[0].contact_id}" if len(found) == 1 else "",
            detail=mask(query) + outcome,
        )

    async def recommendations(
        self, actor_id: int, query: str, kind: ListKind
    ) -> tuple[CustomerProfile | None, list[ProductCard]]:
        profile = await self._lookup(query)
        cards = (
            await self._lists.products(kind, CustomerKey(contact_id=profile.contact_id))
            if profile is not None
            else []
        )
        await self._store.audit(
            actor_id,
            "recs",
            target=f"contact {profile.contact_id}" if profile else "",
            detail=f"{kind.value} {mask(query)}" + ("" if profile else " (not found)"),
        )
        return profile, cards

    async def view_list(self, actor_id: int, contact_id: int, kind: ListKind) -> list[ProductCard]:
        cards = await self._lists.products(kind, CustomerKey(contact_id=contact_id))
        await self._store.audit(
            actor_id, "view", target=f"contact {contact_id}", detail=kind.value
        )
        return cards

    async def product(
        self, actor_id: int, query: str
    ) -> tuple[ProductCard | None, list[ProductCard]]:
        """The product with this id; else up to five whose name, brand or id contain it."""
        card = await self._recommender.product(query)
        similar = [] if card is not None else await self._recommender.search(query, limit=5)
        await self._store.audit(
            actor_id, "product", target=query[:200], detail="" if card else "(not found)"
        )
        return card, similar

    async def link_details(
        self, profile: CustomerProfile
    ) -> tuple[BotUser | None, list[AuditEntry]]:
        """Who is linked (as Telegram named them when they linked) and the link history,
        newest first."""
        linked = None
        if profile.telegram_user_id is not None:
            linked = await self._store.user(profile.telegram_user_id)
            if linked is None:  # linked through the engine's API, not through this bot
                linked = BotUser(profile.telegram_user_id, None, profile.contact_id, False)
        targets = [contact_target(profile.contact_id)]
        if profile.external_id:
            targets.append(link_target(profile.external_id))
        return linked, await self._store.audit_of(targets, LINK_ACTIONS, limit=HISTORY)

    async def product_labels(self, profile: CustomerProfile, locale: str) -> dict[str, str]:
        return await product_labels(self._recommender, profile, locale)

    async def profile(self, contact_id: int) -> CustomerProfile | None:
        return await self._recommender.profile(CustomerKey(contact_id=contact_id))

    async def list_for_customer(
        self, profile: CustomerProfile, kind: ListKind
    ) -> list[ProductCard]:
        return await self._lists.products(
            kind,
            CustomerKey(contact_id=profile.contact_id, telegram_user_id=profile.telegram_user_id),
        )

    async def audit_send(
        self, actor_id: int, contact_id: int, kind: ListKind, outcome: str
    ) -> None:
        await self._store.audit(
            actor_id, "send", target=f"contact {contact_id}", detail=f"{kind.value}: {outcome}"
        )

    async def audit(self, actor_id: int, action: str, target: str, detail: str = "") -> None:
        await self._store.audit(actor_id, action, target=target, detail=mask(detail))
