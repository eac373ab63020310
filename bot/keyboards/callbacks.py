"""Callback data of every inline button; each packs into Telegram's 64 bytes by construction."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.ports import ListKind

KIND_CODES: dict[ListKind, str] = {
    # "f" was For you, whose place New for you took: buttons sent before open it.
    ListKind.NEW_FOR_YOU: "f",
    ListKind.BUY_AGAIN: "r",
    ListKind.BESTSELLERS: "b",
    ListKind.ALSO_BOUGHT: "a",
    ListKind.YOU_MAY_ALSO_LIKE: "y",
    ListKind.ALTERNATIVES: "x",
}
KINDS_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}


class ListCB(CallbackData, prefix="l"):
    """Open or page a list. ``ref`` names the product a product-based list starts from
    (see ``bot.refs``); empty for a menu list, which starts from the presser's own cart.
    ``here``: show it in place of the message the button is on (paging) rather than anew."""

    code: str
    page: int = 0
    ref: str = ""
    here: bool = False

    @classmethod
    def of(cls, kind: ListKind, page: int = 0, ref: str = "", *, here: bool = False) -> ListCB:
        return cls(code=KIND_CODES[kind], page=page, ref=ref, here=here)

    @property
    def kind(self) -> ListKind | None:
        return KINDS_BY_CODE.get(self.code)


class NoopCB(CallbackData, prefix="n"):
    """The ``n/m`` label between the paging arrows."""


class LanguageCB(CallbackData, prefix="lang"):
    code: str


class ForgetCB(CallbackData, prefix="forget"):
    confirm: bool


class StaffCB(CallbackData, prefix="s"):
    """A staff button under a ``/find`` result: view (``v``) or send (``s``) a customer's list."""

    action: str
    contact: int
    code: str

    @property
    def kind(self) -> ListKind | None:
        return KINDS_BY_CODE.get(self.code)


class CustomerPickCB(CallbackData, prefix="cp"):
    """One of the customers a ``/find`` by name matched: show their profile."""

    contact: int


class SupportCB(CallbackData, prefix="sup"):
    """A button on a customer's profile card in the operators' group: view (``v``) or send
    (``s``) a list, send a product (``p``), close the conversation (``x``). ``customer`` is
    the customer's Telegram user id."""

    action: str
    customer: int
    code: str = ""

    @property
    def kind(self) -> ListKind | None:
        return KINDS_BY_CODE.get(self.code)


class ReplyCB(CallbackData, prefix="rp"):
    """ "Reply" under a customer's message in an agent's private chat."""

    conversation: int


class PreviewCB(CallbackData, prefix="pv"):
    """Under a preview of what is about to go to a customer: send it (``go``), add a line of
    text (``line``) or drop it (``no``)."""

    action: str


class PickCB(CallbackData, prefix="pk"):
    """One product among those whose names matched an agent's search (``ref``: bot.refs)."""

    ref: str


class ProductSendCB(CallbackData, prefix="ps"):
    """ "Send to a customer" under a staff member's product card (``ref``: bot.refs)."""

    ref: str


class SaveCB(CallbackData, prefix="sv"):
    """❤️ Save (``on``) or unsave a product (``ref``: bot.refs) under a card."""

    ref: str
    on: bool


class SavedCB(CallbackData, prefix="sl"):
    """Open or page the Saved list (``here``: in place of the message the button is on)."""

    page: int = 0
    here: bool = False


class OrderItemCB(CallbackData, prefix="oi"):
    """One product of the customer's orders: its card with a Buy again link."""

    ref: str


class SearchCB(CallbackData, prefix="q"):
    """A page of the search for the text ``ref`` names (bot.refs keeps the text, as it keeps
    long product ids)."""

    ref: str
    page: int = 0
    here: bool = False


class TextChoiceCB(CallbackData, prefix="tc"):
    """Under text that reads as a search and as a question: search for it (``s``) or pass the
    customer's message ``message`` to a person (``p``). ``ref`` names the text (bot.refs)."""

    action: str
    ref: str
    message: int


class AlertCB(CallbackData, prefix="al"):
    """ "🔔" under a product card: subscribe to (``on``) or drop a back-in-stock (``b``) or
    price-drop (``p``) alert on the product (``ref``: bot.refs). "al:p:1:" and a 49-character
    ref make 56 bytes."""

    code: str
    on: bool
    ref: str


class AlertRemoveCB(CallbackData, prefix="alx"):
    """A button of ``/alerts``: remove the alert with this id."""

    alert: int
