"""The main menu (a reply keyboard), the contact button, language and /forget choices."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder, ReplyKeyboardBuilder

from bot.i18n import LANGUAGE_NAMES, N_
from bot.keyboards.callbacks import ForgetCB, LanguageCB, ListCB
from bot.ports import ListKind

# Menu buttons: an emoji that stays and a label that is translated. The handlers match a press
# against the label in every language, so a keyboard sent before a language switch still works.
MENU_LISTS: dict[ListKind, tuple[str, str]] = {
    ListKind.FOR_YOU: ("✨", N_("For you")),
    ListKind.BESTSELLERS: ("🔥", N_("Bestsellers")),
    ListKind.ALSO_BOUGHT: ("🛒", N_("Also bought")),
    ListKind.YOU_MAY_ALSO_LIKE: ("💎", N_("You may also like")),
}
LIST_TITLES: dict[ListKind, tuple[str, str]] = {
    **MENU_LISTS,
    ListKind.ALTERNATIVES: ("🔁", N_("Alternatives")),
}
LANGUAGE_BUTTON = ("🌐", N_("Language"))
ASK_PERSON_BUTTON = ("💬", N_("Ask a person"))
MY_ORDERS_BUTTON = ("📦", N_("My orders"))
SAVED_BUTTON = ("❤️", N_("Saved"))
SHARE_PHONE_BUTTON = ("📱", N_("Share my phone number"))


def label(emoji: str, message: str) -> str:
    return f"{emoji} {_(message)}"


def list_title(kind: ListKind) -> str:
    return label(*LIST_TITLES[kind])


@dataclass(frozen=True, slots=True)
class MenuState:
    """What the menu depends on, read once per menu by ``bot.lists.Lists.menu_state``."""

    linked: bool = False


def main_menu(state: MenuState) -> ReplyKeyboardMarkup:
    """The one menu every message shows; until the customer is linked, a first row asks for
    their phone number."""
    builder = ReplyKeyboardBuilder()
    if not state.linked:
        builder.row(KeyboardButton(text=label(*SHARE_PHONE_BUTTON), request_contact=True))
    lists = [KeyboardButton(text=label(*MENU_LISTS[kind])) for kind in MENU_LISTS]
    builder.row(*lists[:2])
    builder.row(*lists[2:])
    builder.row(
        KeyboardButton(text=label(*MY_ORDERS_BUTTON)), KeyboardButton(text=label(*SAVED_BUTTON))
    )
    builder.row(
        KeyboardButton(text=label(*ASK_PERSON_BUTTON)),
        KeyboardButton(text=label(*LANGUAGE_BUTTON)),
    )
    return builder.as_markup(resize_keyboard=True, is_persistent=True)


def language_picker() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        builder.button(text=name, callback_data=LanguageCB(code=code))
    return builder.as_markup()


def forget_confirmation() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, forget me"), callback_data=ForgetCB(confirm=True))
    builder.button(text=_("Cancel"), callback_data=ForgetCB(confirm=False))
    return builder.as_markup()


def offer_bestsellers() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=list_title(ListKind.BESTSELLERS),
        callback_data=ListCB.of(ListKind.BESTSELLERS, here=True),
    )
    return builder.as_markup()
