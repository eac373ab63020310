"""Buttons under a product card: the shop link, ❤️ Save, related lists, alerts, ◀ n/m ▶
paging."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.cards import with_utm
from bot.keyboards.alerts import alert_row
from bot.keyboards.callbacks import ListCB, NoopCB, SaveCB
from bot.ports import ListKind, ProductCard

Pager = Callable[[int], str]
"""The callback data of a list's page ``n`` (shown in place of the message)."""


def save_button(card_ref: str, *, saved: bool) -> InlineKeyboardButton:
    """❤️ Save, or (once saved) the button that removes it from Saved."""
    if saved:
        return InlineKeyboardButton(
            text="💔 " + _("Remove from saved"),
            callback_data=SaveCB(ref=card_ref, on=False).pack(),
        )
    return InlineKeyboardButton(
        text="❤️ " + _("Save"), callback_data=SaveCB(ref=card_ref, on=True).pack()
    )


def campaign_of(kind: ListKind | None, campaign: str | None = None) -> str:
    """The name a card's list goes by in its shop link (``utm_campaign``) and click-through."""
    return campaign or (kind.value if kind is not None else "product")


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
    saved: bool | None = None,
    pager: Pager | None = None,
    campaign: str | None = None,
    shop_label: str | None = None,
    shop_url: str | None = None,
) -> InlineKeyboardMarkup:
    """``list_ref`` names the list's own seed product (paging keeps it); ``card_ref`` names this
    card's product, for the lists that start from it. ``kind`` None is a lone product card
    (staff's /product), which offers Alternatives even when the product is in stock.

    ``saved``: whether the viewer saved the product (None: no ❤️ button, as in the operators'
    group). ``pager`` pages a list that is not a ``kind`` (search, Saved); ``campaign`` and
    ``shop_label`` name the shop link ("Buy again" under a product of an order). ``shop_url``
    is the engine's click redirect to the shop, which counts the tap; without it the link
    goes straight to the shop with the UTM tags."""
    campaign = campaign_of(kind, campaign)
    rows: list[list[InlineKeyboardButton]] = []
    direct = with_utm(card.url, source=utm_source, medium=utm_medium, campaign=campaign)
    if url := (shop_url if direct is not None and shop_url else direct):
        text = shop_label or "🛍 " + _("Open in the shop")
        rows.append([InlineKeyboardButton(text=text, url=url)])
    if saved is not None:
        rows.append([save_button(card_ref, saved=saved)])
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
    # Alerts go to the presser's own chat: offered where a ❤️ is (a private chat), not in
    # the operators' group.
    if saved is not None and (alerts := alert_row(card, card_ref)):
        rows.append(alerts)
    if pager is None and kind is not None:
        list_kind = kind

        def pager(number: int) -> str:
            return ListCB.of(list_kind, number, list_ref, here=True).pack()

    if pager is not None and total > 1:
        previous = (page - 1) % total
        following = (page + 1) % total
        rows.append(
            [
                InlineKeyboardButton(text="◀", callback_data=pager(previous)),
                InlineKeyboardButton(text=f"{page + 1}/{total}", callback_data=NoopCB().pack()),
                InlineKeyboardButton(text="▶", callback_data=pager(following)),
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)
