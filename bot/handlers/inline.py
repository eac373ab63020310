"""Inline mode: ``@bot text`` in any chat lists the products matching the text as cards to
share (photo, price, the shop link); ``@bot`` alone lists the user's own personal picks.

Answers are personal (``is_personal``: the list depends on who asks) and Telegram may repeat
one for ``BOT_INLINE_CACHE_TIME`` seconds. A card shared this way goes to people the bot may
not know, so it carries the shop link only, no buttons that call back into the bot.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultPhoto,
    InlineQueryResultUnion,
    InputTextMessageContent,
    LinkPreviewOptions,
    User,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.cards import clean, format_price, is_web_url, render_card, stock_word, with_utm
from bot.config import BotSettings
from bot.ports import ProductCard
from bot.refs import ProductRefs
from bot.shop import Shop

TITLE_CHARS = 100
DESCRIPTION_CHARS = 100
CAMPAIGN = "inline"
PAGE = 20  # results per answer (Telegram takes 50 at most)
MAX_RESULTS = 200  # the engine ranks its best 200 matches only


def _description(card: ProductCard, locale: str) -> str:
    parts = []
    if card.price is not None and card.price.is_finite():
        parts.append(format_price(card.price, card.currency, locale))
    parts.append(stock_word(card))
    if brand := clean(card.brand):
        parts.append(brand)
    return " · ".join(parts)[:DESCRIPTION_CHARS]


def inline_result(
    card: ProductCard, result_id: str, settings: BotSettings, locale: str
) -> InlineQueryResultUnion:
    """The card as Telegram shows it in the inline list and, once chosen, in the chat: a photo
    with the card as its caption when the product has an image, else a text card."""
    title = "🏷 " + _("Product")
    url = with_utm(
        card.url, source=settings.utm_source, medium=settings.utm_medium, campaign=CAMPAIGN
    )
    markup = (
        InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="🛍 " + _("Open in the shop"), url=url)]]
        )
        if url
        else None
    )
    name = (clean(card.name) or clean(card.id) or "—")[:TITLE_CHARS]
    description = _description(card, locale)
    if is_web_url(card.image):
        rendered = render_card(card, title=title, locale=locale, photo=True)
        return InlineQueryResultPhoto(
            id=result_id,
            photo_url=card.image,
            thumbnail_url=card.image,
            title=name,
            description=description,
            caption=rendered.text,
            reply_markup=markup,
        )
    rendered = render_card(card, title=title, locale=locale, photo=False)
    return InlineQueryResultArticle(
        id=result_id,
        title=name,
        description=description,
        url=url,
        input_message_content=InputTextMessageContent(
            message_text=rendered.text, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        reply_markup=markup,
    )


async def on_inline_query(
    inline_query: InlineQuery,
    event_from_user: User,
    shop: Shop,
    refs: ProductRefs,
    settings: BotSettings,
    i18n: I18n,
) -> None:
    text = inline_query.query.strip()
    offset = int(inline_query.offset) if inline_query.offset.isdigit() else 0
    next_offset = ""
    if text:
        # Telegram asks for more as the user scrolls, with the offset the last page gave.
        cards = await shop.search(event_from_user.id, text, offset=offset, limit=PAGE)
        if len(cards) == PAGE and offset + PAGE < MAX_RESULTS:
            next_offset = str(offset + PAGE)
    elif offset:
        cards = []  # the personal list comes whole on the first page
    else:
        cards = await shop.new_for_you(event_from_user.id)
    results: list[InlineQueryResultUnion] = []
    seen: set[str] = set()
    for card in cards:
        result_id = await refs.encode(card.id)
        if result_id in seen:
            continue
        seen.add(result_id)
        results.append(inline_result(card, result_id, settings, i18n.current_locale))
    await inline_query.answer(
        results,
        cache_time=settings.inline_cache_time,
        is_personal=True,
        next_offset=next_offset,
    )


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.inline_query.register(on_inline_query)
    return router
