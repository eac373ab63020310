"""The main menu (a reply keyboard), the contact button, language and /forget choices, and
the titles lists go by."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder, ReplyKeyboardBuilder

from bot.i18n import LANGUAGE_NAMES, N_
from bot.keyboards.callbacks import ForgetCB, LanguageCB, ListCB
from bot.ports import ListKind, SeedBasis

# List buttons: an emoji that stays and a label that is translated. The handlers match a press
# against the label in every language, so a keyboard sent before a language switch still works.
# Staff see every list under these names; the customers' menu shows those that have something.
MENU_LISTS: dict[ListKind, tuple[str, str]] = {
    ListKind.BUY_AGAIN: ("🔄", N_("Buy again")),
    ListKind.NEW_FOR_YOU: ("✨", N_("New for you")),
    ListKind.BESTSELLERS: ("🔥", N_("Popular now")),
    ListKind.ALSO_BOUGHT: ("🛒", N_("Also bought")),
    ListKind.YOU_MAY_ALSO_LIKE: ("💎", N_("You may also like")),
}
# The menu's Also bought says what it starts from.
BASIS_LABELS: dict[SeedBasis, tuple[str, str]] = {
    SeedBasis.CART: ("🛒", N_("Goes with your cart")),
    SeedBasis.LAST_ORDER: ("🛒", N_("Goes with your last order")),
    SeedBasis.VIEWED: ("🛒", N_("Goes with what you viewed")),
}
# Every label a list button has had, so that a keyboard sent before still opens its list.
MENU_BUTTONS: tuple[tuple[ListKind, tuple[str, str]], ...] = (
    *MENU_LISTS.items(),
    *((ListKind.ALSO_BOUGHT, button) for button in BASIS_LABELS.values()),
    (ListKind.NEW_FOR_YOU, ("✨", N_("For you"))),
    (ListKind.BESTSELLERS, ("🔥", N_("Bestsellers"))),
)
LIST_TITLES: dict[ListKind, tuple[str, str]] = {
    **MENU_LISTS,
    ListKind.ALTERNATIVES: ("🔁", N_("Alternatives")),
}
# Lists opened from a product's card are named after it.
FROM_PRODUCT_TITLES: dict[ListKind, str] = {
    ListKind.ALSO_BOUGHT: N_("Also bought with {product}"),
    ListKind.ALTERNATIVES: N_("Alternatives to {product}"),
    ListKind.YOU_MAY_ALSO_LIKE: N_("You may also like, after {product}"),
}
LANGUAGE_BUTTON = ("🌐", N_("Language"))
ASK_PERSON_BUTTON = ("💬", N_("Ask a person"))
MY_ORDERS_BUTTON = ("📦", N_("My orders"))
SAVED_BUTTON = ("❤️", N_("Saved"))
SHARE_PHONE_BUTTON = ("📱", N_("Share my phone number"))
PRODUCT_NAME_IN_TITLE = 60


def label(emoji: str, message: str) -> str:
    return f"{emoji} {_(message)}"


def list_title(
    kind: ListKind, *, basis: SeedBasis | None = None, product: str | None = None
) -> str:
    """The list's name on its cards: after ``product`` when opened from that product's card,
    after what it starts from (``basis``) when opened from the menu."""
    emoji, name = LIST_TITLES[kind]
    if product is not None and kind in FROM_PRODUCT_TITLES:
        short = " ".join(product.split())
        if len(short) > PRODUCT_NAME_IN_TITLE:
            short = short[: PRODUCT_NAME_IN_TITLE - 1].rstrip() + "…"
        return f"{emoji} " + _(FROM_PRODUCT_TITLES[kind]).format(product=short)
    if basis is not None and kind is ListKind.ALSO_BOUGHT:
        return label(*BASIS_LABELS[basis])
    return f"{emoji} {_(name)}"


@dataclass(frozen=True, slots=True)
class MenuState:
    """What the menu depends on, read once per menu by ``bot.lists.Lists.menu_state``.

    ``buy_again`` and ``new_for_you``: whether those lists have something for the customer;
    ``basis``: what Also bought and You may also like start from (None: nothing)."""

    linked: bool = False
    buy_again: bool = False
    new_for_you: bool = False
    basis: SeedBasis | None = None

    @property
    def personal(self) -> bool:
        return self.buy_again or self.new_for_you


def main_menu(state: MenuState) -> ReplyKeyboardMarkup:
    """The one menu every message shows: until the customer is linked, a first row asks for
    their phone number; the personal lists when they have something; Popular now always; the
    lists that start from the cart or last order when there is one."""
    builder = ReplyKeyboardBuilder()
    if not state.linked:
        builder.row(KeyboardButton(text=label(*SHARE_PHONE_BUTTON), request_contact=True))
    personal = [
        KeyboardButton(text=label(*MENU_LISTS[kind]))
        for kind, shown in (
            (ListKind.BUY_AGAIN, state.buy_again),
            (ListKind.NEW_FOR_YOU, state.new_for_you),
        )
        if shown
    ]
    if personal:
        builder.row(*personal)
    builder.row(KeyboardButton(text=label(*MENU_LISTS[ListKind.BESTSELLERS])))
    if state.basis is not None:
        builder.row(
            KeyboardButton(text=label(*BASIS_LABELS[state.basis])),
            KeyboardButton(text=label(*MENU_LISTS[ListKind.YOU_MAY_ALSO_LIKE])),
        )
    builder.row(
        KeyboardButton(text=label(*MY_ORDERS_BUTTON)), KeyboardButton(text=label(*SAVED_BUTTON))
    )
    builder.row(
        KeyboardButton(text=label(*ASK_PERSON_BUTTON)),
        KeyboardButton(text=label(*LANGUAGE_BUTTON)),
    )
    return builder.as_markup(resize_keyboard=True, is_persistent=True)


def menu_hint(state: MenuState) -> str:
    """The line beside the menu: what to pick, or how to get lists of one's own."""
    if not state.linked:
        return _(
            "Share your phone number with the button below to get lists of your own: "
            "Buy again and New for you. Until then, here is what is popular now."
        )
    if not state.personal:
        return _(
            "Your own lists, Buy again and New for you, appear here after your first order "
            "with this phone number. Until then, here is what is popular now."
        )
    return _("Pick a list from the menu below.")


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
