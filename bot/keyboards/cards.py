"""Buttons under a product card: the shop link, related lists, and ◀ n/m ▶ paging."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.cards import with_utm
from bot.keyboards.callbacks import ListCB, NoopCB
from bot.ports import ListKind, ProductCard


def card_keyboard(
    card: ProductCard,
    *,
    kind: ListKind | None,
    page: int,
    total: int,
    list_ref: str,
    card_ref: str,
    utm_source: str,
    utm_medium: str,
    always_alternatives: bool = False,
) -> InlineKeyboardMarkup:
    """``list_ref`` names the list's own seed product (paging keeps it); ``card_ref`` names this
    card's product, for the lists that start from it. ``kind`` None is a lone product card
    (staff's /product), which offers Alternatives even when the product is in stock."""
    campaign = kind.value if kind is not None else "product"
    rows: list[list[InlineKeyboardButton]] = []
    if url := with_utm(card.url, source=utm_source, medium=utm_medium, campaign=campaign):
        rows.append([InlineKeyboardButton(text="🛍 " + _("Open in the shop"), url=url)])
    related = [
        InlineKeyboardButton(
            text="🛒 " + _("Also bought"),
            callback_data=ListCB.of(ListKind.ALSO_BOUGHT, ref=card_ref).pack(),
        )
    ]
    if not card.in_stock or always_alternatives:
        related.append(
            InlineKeyboardButton(
                text="🔁 " + _("Alternatives"),
                callback_data=ListCB.of(ListKind.ALTERNATIVES, ref=card_ref).pack(),
            )
        )
    rows.append(related)
    if kind is not None and total > 1:
        previous = (page - 1) % total
        following = (page + 1) % total
        rows.append(
            [
                InlineKeyboardButton(
                    text="◀", callback_data=ListCB.of(kind, previous, list_ref, here=True).pack()
                ),
                InlineKeyboardButton(text=f"{page + 1}/{total}", callback_data=NoopCB().pack()),
                InlineKeyboardButton(
                    text="▶", callback_data=ListCB.of(kind, following, list_ref, here=True).pack()
                ),
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)
