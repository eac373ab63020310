"""Alert buttons: "🔔" under product cards (and "🔕" once subscribed), and ``/alerts``' list."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.alerts import Alert, AlertKind
from bot.keyboards.callbacks import AlertCB, AlertRemoveCB
from bot.ports import ProductCard

ALERT_CODES: dict[AlertKind, str] = {AlertKind.BACK_IN_STOCK: "b", AlertKind.PRICE_DROP: "p"}
ALERT_KINDS_BY_CODE = {code: kind for kind, code in ALERT_CODES.items()}


def alert_button(kind: AlertKind, ref: str, *, subscribed: bool) -> InlineKeyboardButton:
    """Subscribe when not ``subscribed``; once subscribed, the same place drops the alert."""
    if kind is AlertKind.BACK_IN_STOCK:
        if subscribed:
            text = "🔕 " + _("Stop the back-in-stock alert")
        else:
            text = "🔔 " + _("Tell me when it's back")
    elif subscribed:
        text = "🔕 " + _("Stop the price alert")
    else:
        text = "🔔 " + _("Price drop")
    return InlineKeyboardButton(
        text=text,
        callback_data=AlertCB(code=ALERT_CODES[kind], on=not subscribed, ref=ref).pack(),
    )


def alert_row(card: ProductCard, ref: str) -> list[InlineKeyboardButton]:
    """Back in stock for a product out of stock, a price drop for any product with a price."""
    row = []
    if not card.in_stock:
        row.append(alert_button(AlertKind.BACK_IN_STOCK, ref, subscribed=False))
    if card.price is not None and card.price.is_finite():
        row.append(alert_button(AlertKind.PRICE_DROP, ref, subscribed=False))
    return row


def flipped(
    markup: InlineKeyboardMarkup, pressed: AlertCB, *, subscribed: bool
) -> InlineKeyboardMarkup:
    """The card's buttons with the pressed alert button showing the alert's new state."""
    kind = ALERT_KINDS_BY_CODE[pressed.code]
    rows = [
        [
            alert_button(kind, pressed.ref, subscribed=subscribed)
            if _is_alert_button(button, pressed)
            else button
            for button in row
        ]
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _is_alert_button(button: InlineKeyboardButton, pressed: AlertCB) -> bool:
    if not button.callback_data or not button.callback_data.startswith("al:"):
        return False
    try:
        data = AlertCB.unpack(button.callback_data)
    except (TypeError, ValueError):
        return False
    return data.code == pressed.code and data.ref == pressed.ref


def alerts_keyboard(alerts: Sequence[Alert], names: Sequence[str]) -> InlineKeyboardMarkup:
    """One "✖ name" button per alert (``names`` in the same order), removing it."""
    rows = [
        [
            InlineKeyboardButton(
                text=f"✖ {number}. {name}"[:60],
                callback_data=AlertRemoveCB(alert=alert.id).pack(),
            )
        ]
        for number, (alert, name) in enumerate(zip(alerts, names, strict=True), start=1)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
