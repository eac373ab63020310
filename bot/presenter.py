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
from bot.keyboards.cards import Pager, card_keyboard
from bot.keyboards.menu import list_title, offer_bestsellers
from bot.ports import ListKind, ProductCard
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
    group (the operators') they do not."""

    def __init__(
        self,
        refs: ProductRefs,
        *,
        utm_source: str,
        utm_medium: str,
        store: BotStore | None = None,
    ) -> None:
        self._refs = refs
        self._store = store
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

    async def _render(
        self, view: ListPage, chat_id: int, *, photo: bool = True
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
        )
        return rendered, markup

    async def send(self, bot: Bot, chat_id: int, view: ListPage) -> Message:
        """A new message with the view's page (or the empty-list message)."""
        if not view.cards:
            return await self.send_empty(bot, chat_id, view.kind, view.empty)
        rendered, markup = await self._render(view, chat_id)
        if rendered.photo is not None:
            try:
                return await bot.send_photo(
                    chat_id, photo=rendered.photo, caption=rendered.text, reply_markup=markup
                )
            except TelegramBadRequest as error:
                if not self._photo_refused(error, view, rendered.photo):
                    raise
                rendered, markup = await self._render(view, chat_id, photo=False)
        return await bot.send_message(
            chat_id, rendered.text, reply_markup=markup, link_preview_options=_NO_PREVIEW
        )

    async def send_empty(
        self, bot: Bot, chat_id: int, kind: ListKind | None, empty: str | None = None
    ) -> Message:
        if empty is not None:
            return await bot.send_message(chat_id, empty)
        title = list_title(kind) if kind is not None else "🏷 " + _("Product")
        text = _("{title}: nothing to show here yet.").format(title=title)
        if kind is ListKind.BESTSELLERS:
            return await bot.send_message(chat_id, text)
        text += "\n" + _("Have a look at our bestsellers meanwhile.")
        return await bot.send_message(chat_id, text, reply_markup=offer_bestsellers())

    async def replace(self, bot: Bot, message: Message, view: ListPage) -> None:
        """Show the view in place of ``message``: edited when the kind of message allows it.

        A second tap of the same button (a double tap) finds its work done: the message
        already shows the view, or was replaced by the first tap; nothing more is sent."""
        if not view.cards:
            if await self._delete(bot, message):
                await self.send_empty(bot, message.chat.id, view.kind, view.empty)
            return
        rendered, markup = await self._render(view, message.chat.id)
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
                return
            if rendered.photo is None and not message.photo:
                await bot.edit_message_text(
                    text=rendered.text,
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    reply_markup=markup,
                    link_preview_options=_NO_PREVIEW,
                )
                return
        except TelegramBadRequest as error:
            if is_done_already(error):
                return
            # A refused photo leaves the message as it was; a text card replaces it below.
            if rendered.photo is None or not self._photo_refused(error, view, rendered.photo):
                raise
        # Telegram cannot turn a photo message into a text one or back: a new message it is.
        if await self._delete(bot, message):
            await self.send(bot, message.chat.id, view)

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
