"""Sends and pages a list as one message: a card with ◀ n/m ▶, edited in place.

A photo card and a text card are different kinds of message (Telegram cannot edit text into a
photo), so when the kind changes between pages the old message is replaced by a new one. A
photo Telegram cannot fetch falls back to a text card, and the URL is remembered as bad.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LinkPreviewOptions,
    Message,
)
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.cards import RenderedCard, render_card
from bot.edits import is_done_already, is_gone
from bot.keyboards.cards import Pager, campaign_of, card_keyboard
from bot.keyboards.menu import MenuState, list_title, main_menu, offer_bestsellers
from bot.lists import EmptyReason, ListResult
from bot.ports import (
    ChatActivity,
    CustomerKey,
    ListKind,
    ProductCard,
    Recommender,
    RecommenderError,
    ShopLink,
)
from bot.records import BotStore
from bot.refs import ProductRefs

log = logging.getLogger(__name__)

_BAD_PHOTO = (
    "wrong file identifier",
    "failed to get http url content",
    "wrong type of the web page content",
    "photo_invalid_dimensions",
    "image_process_failed",
    "wrong remote file identifier",
)
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_BAD_PHOTO_MEMORY = 1024


def is_bad_photo(error: TelegramBadRequest) -> bool:
    """Telegram could not fetch or use the photo URL (not a fault of the caption or buttons)."""
    message = error.message.lower()
    return any(marker in message for marker in _BAD_PHOTO)


def _shows(message: Message, markup: InlineKeyboardMarkup) -> bool:
    """Whether the message carries these very buttons (compared as data: a parsed message also
    holds a reference to its Bot)."""
    current = message.reply_markup
    return current is not None and current.model_dump() == markup.model_dump()


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a list; ``kind`` None is a lone product card (staff's /product) unless a
    ``pager`` pages it (search results, Saved).

    ``title`` replaces the kind's title; ``empty`` is what an empty list says instead of the
    usual; ``campaign`` and ``shop_label`` name the shop link (see ``card_keyboard``)."""

    kind: ListKind | None
    cards: list[ProductCard]
    page: int
    ref: str = ""
    title: str | None = None
    pager: Pager | None = None
    empty: str | None = None
    campaign: str | None = None
    shop_label: str | None = None
    staff: bool = False
    """Shown by staff (to themselves, or sent to a customer): not the customer's own opening,
    so neither a view of theirs nor a card of the list's click-through."""
    why: EmptyReason | None = None
    """Why the list is empty: the usual empty message then says so, with the next step."""

    @classmethod
    def of(cls, result: ListResult, page: int = 0, ref: str = "") -> ListPage:
        """The page of a list a customer opened, titled after what it started from."""
        product = result.product.name if result.product is not None else None
        title = list_title(result.kind, basis=result.basis, product=product)
        return cls(result.kind, result.cards, page, ref, title=title, why=result.empty)

    @property
    def heading(self) -> str:
        if self.title is not None:
            return self.title
        return list_title(self.kind) if self.kind is not None else "🏷 " + _("Product")

    @property
    def card(self) -> ProductCard:
        return self.cards[self.page % len(self.cards)]


class CardPresenter:
    """Cards in a private chat carry ❤️ Save for that chat's user (read from ``store``); in a
    group (the operators') they do not.

    With a ``recommender``, a card a customer opens in their private chat is recorded: a
    ProductPage view for a linked customer, and a card shown of its list for click-through.
    With ``click_base_url`` too (``BOT_RECOMS_PUBLIC_URL``), its shop link goes through the
    engine's click redirect, signed for that customer and list."""

    def __init__(
        self,
        refs: ProductRefs,
        *,
        utm_source: str,
        utm_medium: str,
        store: BotStore | None = None,
        recommender: Recommender | None = None,
        click_base_url: str | None = None,
    ) -> None:
        self._refs = refs
        self._store = store
        self._recommender = recommender
        self._click_base_url = click_base_url
        self._utm_source = utm_source
        self._utm_medium = utm_medium
        self._bad_photos: OrderedDict[str, None] = OrderedDict()

    def _photo_refused(self, error: TelegramBadRequest, view: ListPage, url: str) -> bool:
        """Whether Telegram could not use the photo; such a URL is not offered again."""
        if not is_bad_photo(error):
            return False
        log.warning("photo of %r refused by Telegram: %s", view.card.id, error.message)
        self._bad_photos[url] = None
        while len(self._bad_photos) > _BAD_PHOTO_MEMORY:
            self._bad_photos.popitem(last=False)
        return True

    async def _viewer(self, view: ListPage, chat_id: int) -> CustomerKey | None:
        """The customer a card is shown to on their own: a private chat's user (its id is
        the chat's), with their contact when linked."""
        if view.staff or chat_id <= 0 or self._store is None or self._recommender is None:
            return None
        user = await self._store.user(chat_id)
        contact_id = user.contact_id if user is not None else None
        return CustomerKey(contact_id=contact_id, telegram_user_id=chat_id)

    async def _shop_url(
        self, view: ListPage, card: ProductCard, viewer: CustomerKey | None
    ) -> str | None:
        """The click redirect for the card's shop link, or None for the direct link (no
        public URL set, or the engine cannot sign one now)."""
        if viewer is None or self._recommender is None or not self._click_base_url:
            return None
        link = ShopLink(
            campaign_of(view.kind, view.campaign),
            viewer,
            card.id,
            self._utm_source,
            self._utm_medium,
        )
        try:
            return await self._recommender.shop_link(self._click_base_url, link)
        except RecommenderError as error:
            log.info("shop link of %r goes straight to the shop: %s", card.id, error)
            return None

    async def _record(self, view: ListPage, viewer: CustomerKey | None) -> None:
        """The card a customer opened, for their lists and the list's click-through. The
        card is out already: an engine that cannot take it now costs only the record."""
        if viewer is None or self._recommender is None or not view.cards:
            return
        card = view.card
        try:
            if viewer.contact_id is not None:
                await self._recommender.record_activity(viewer, ChatActivity.VIEWED, card.id)
            await self._recommender.record_shown(
                campaign_of(view.kind, view.campaign), viewer, card.id
            )
        except RecommenderError as error:
            log.info("could not record the card %r shown: %s", card.id, error)

    async def _render(
        self,
        view: ListPage,
        chat_id: int,
        *,
        photo: bool = True,
        viewer: CustomerKey | None = None,
    ) -> tuple[RenderedCard, InlineKeyboardMarkup]:
        page = view.page % len(view.cards)
        card = view.cards[page]
        photo = photo and card.image not in self._bad_photos
        rendered = render_card(
            card, title=view.heading, locale=get_i18n().current_locale, photo=photo
        )
        # A private chat's id is its user's id.
        saved = None
        if self._store is not None and chat_id > 0:
            saved = await self._store.is_saved(chat_id, card.id)
        markup = card_keyboard(
            card,
            kind=view.kind,
            page=page,
            total=len(view.cards),
            list_ref=view.ref,
            card_ref=await self._refs.encode(card.id),
            utm_source=self._utm_source,
            utm_medium=self._utm_medium,
            always_alternatives=view.kind is None and view.pager is None,
            saved=saved,
            pager=view.pager,
            campaign=view.campaign,
            shop_label=view.shop_label,
            shop_url=await self._shop_url(view, card, viewer),
        )
        return rendered, markup

    async def send(self, bot: Bot, chat_id: int, view: ListPage) -> Message:
        """A new message with the view's page (or the empty-list message)."""
        if not view.cards:
            return await self.send_empty(bot, chat_id, view)
        viewer = await self._viewer(view, chat_id)
        sent = await self._send(bot, chat_id, view, viewer)
        await self._record(view, viewer)
        return sent

    async def _send(
        self, bot: Bot, chat_id: int, view: ListPage, viewer: CustomerKey | None
    ) -> Message:
        rendered, markup = await self._render(view, chat_id, viewer=viewer)
        if rendered.photo is not None:
            try:
                return await bot.send_photo(
                    chat_id, photo=rendered.photo, caption=rendered.text, reply_markup=markup
                )
            except TelegramBadRequest as error:
                if not self._photo_refused(error, view, rendered.photo):
                    raise
                rendered, markup = await self._render(view, chat_id, photo=False, viewer=viewer)
        return await bot.send_message(
            chat_id, rendered.text, reply_markup=markup, link_preview_options=_NO_PREVIEW
        )

    async def send_empty(self, bot: Bot, chat_id: int, view: ListPage) -> Message:
        """What the empty list says: its own text, or why it is empty and the next step (the
        phone button for a chat not linked yet, what is popular now otherwise)."""
        if view.empty is not None:
            return await bot.send_message(chat_id, view.empty)
        kind, title = view.kind, view.heading
        if view.why is EmptyReason.NOT_LINKED:
            text = _(
                "{title}: I make this list from your orders and cart in our shop. Share your "
                "phone number with the button below and I will find them."
            ).format(title=title)
            # The unlinked customer's menu, whose first button shares the phone number.
            return await bot.send_message(chat_id, text, reply_markup=main_menu(MenuState()))
        reasons = {
            EmptyReason.NO_ORDERS: _(
                "{title}: you have no orders with us yet. What you order shows up here, "
                "ready to order again."
            ),
            EmptyReason.NOTHING_IN_STOCK: _(
                "{title}: nothing you ordered before is in stock right now."
            ),
            EmptyReason.NOTHING_TO_START_FROM: _(
                "{title}: your cart is empty and you have no orders yet, and this list starts "
                "from them."
            ),
        }
        reason = reasons.get(view.why) if view.why is not None else None
        text = (reason or _("{title}: nothing to show here yet.")).format(title=title)
        if kind is ListKind.BESTSELLERS:
            return await bot.send_message(chat_id, text)
        text += "\n" + _("Have a look at what is popular now.")
        return await bot.send_message(chat_id, text, reply_markup=offer_bestsellers())

    async def replace(self, bot: Bot, message: Message, view: ListPage) -> None:
        """Show the view in place of ``message``: edited when the kind of message allows it.

        A second tap of the same button (a double tap) finds its work done: the message
        already shows the view, or was replaced by the first tap; nothing more is sent."""
        if not view.cards:
            if await self._delete(bot, message):
                await self.send_empty(bot, message.chat.id, view)
            return
        viewer = await self._viewer(view, message.chat.id)
        rendered, markup = await self._render(view, message.chat.id, viewer=viewer)
        if _shows(message, markup) and (rendered.photo is not None) == bool(message.photo):
            # The buttons name this very card and page: the message shows it already (the
            # second of a double tap, after the first one's edit). Telegram would refuse the
            # edit as "message is not modified".
            return
        try:
            if rendered.photo is not None and message.photo:
                await bot.edit_message_media(
                    media=InputMediaPhoto(media=rendered.photo, caption=rendered.text),
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    reply_markup=markup,
                )
                await self._record(view, viewer)
                return
            if rendered.photo is None and not message.photo:
                await bot.edit_message_text(
                    text=rendered.text,
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    reply_markup=markup,
                    link_preview_options=_NO_PREVIEW,
                )
                await self._record(view, viewer)
                return
        except TelegramBadRequest as error:
            if is_done_already(error):
                return
            # A refused photo leaves the message as it was; a text card replaces it below.
            if rendered.photo is None or not self._photo_refused(error, view, rendered.photo):
                raise
        # Telegram cannot turn a photo message into a text one or back: a new message it is.
        if await self._delete(bot, message):
            await self._send(bot, message.chat.id, view, viewer)
            await self._record(view, viewer)

    async def _delete(self, bot: Bot, message: Message) -> bool:
        """Whether the message may be replaced: False when it is gone already (an earlier
        tap replaced it)."""
        try:
            await bot.delete_message(message.chat.id, message.message_id)
        except TelegramBadRequest as error:
            if is_gone(error):
                return False
            # Too old to delete (48 hours): the new message still goes out.
            log.info("could not delete message %s: %s", message.message_id, error.message)
        return True
