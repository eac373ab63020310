"""Buttons of the support desk: the profile card, the reply button, the send preview."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.keyboards.callbacks import KIND_CODES, PickCB, PreviewCB, ReplyCB, SupportCB
from bot.keyboards.menu import MENU_LISTS, label
from bot.ports import ListKind

NAME_IN_BUTTON = 40


def card_keyboard(customer_id: int, *, linked: bool) -> InlineKeyboardMarkup:
    """Per list: see it here, or send it (after a preview); then send a product, close."""
    builder = InlineKeyboardBuilder()
    for kind, button in MENU_LISTS.items():
        if not linked and kind is not ListKind.BESTSELLERS:
            continue  # an unlinked customer has no history: bestsellers is what they get
        code = KIND_CODES[kind]
        builder.button(
            text="👁 " + label(*button),
            callback_data=SupportCB(action="v", customer=customer_id, code=code),
        )
        builder.button(
            text="📤 " + _("Send"),
            callback_data=SupportCB(action="s", customer=customer_id, code=code),
        )
    builder.button(
        text="🔎 " + _("Send a product"), callback_data=SupportCB(action="p", customer=customer_id)
    )
    builder.button(
        text="✅ " + _("Close"), callback_data=SupportCB(action="x", customer=customer_id)
    )
    rows = len(MENU_LISTS) if linked else 1
    builder.adjust(*([2] * rows), 2)
    return builder.as_markup()


def reply_keyboard(conversation_id: int, name: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text="↩️ " + _("Reply to {name}").format(name=name[:NAME_IN_BUTTON]),
        callback_data=ReplyCB(conversation=conversation_id),
    )
    return builder.as_markup()


def preview_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="📤 " + _("Send"), callback_data=PreviewCB(action="go"))
    builder.button(text="✏️ " + _("Add a line"), callback_data=PreviewCB(action="line"))
    builder.button(text="✖️ " + _("Cancel"), callback_data=PreviewCB(action="no"))
    builder.adjust(3)
    return builder.as_markup()


def product_choices(choices: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button per (ref, name) of the products an agent's search found."""
    builder = InlineKeyboardBuilder()
    for ref, name in choices:
        builder.button(text="📦 " + name[:60], callback_data=PickCB(ref=ref))
    builder.button(text="✖️ " + _("Cancel"), callback_data=PreviewCB(action="no"))
    builder.adjust(1)
    return builder.as_markup()
