"""Product cards as Telegram HTML: escaped first, then cut to Telegram's limits.

Lengths are counted in UTF-16 code units of the HTML we send (tags and entities included),
which is never less than what Telegram counts after parsing, so a card that fits here fits there.
"""

from __future__ import annotations

import decimal
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from aiogram import html
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_currency, format_decimal, is_currency

from bot.i18n import N_
from bot.ports import Availability, ProductCard
from recoms.clicks import tagged

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
NAME_BUDGET = 300
BRAND_BUDGET = 100
TITLE_BUDGET = 100
PRICE_BUDGET = 80
DESCRIPTION_CHARS = 300
URL_LIMIT = 2048

_WHITESPACE = re.compile(r"\s+")
_ELLIPSIS = "…"


def tg_len(text: str) -> int:
    """Length as Telegram measures it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean(raw: str) -> str:
    """One line of printable text: control characters and lone surrogates out, spaces collapsed."""
    kept = "".join(
        " " if ch in "\t\r\n\v\f" else ch
        for ch in raw
        if ch in "\t\r\n\v\f" or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    )
    return _WHITESPACE.sub(" ", kept).strip()


def cut_escaped(raw: str, budget: int) -> str:
    """``raw`` HTML-escaped and cut to ``budget`` UTF-16 units, ending in … when cut.

    Cutting happens between characters of the raw text, so an escape such as ``&amp;`` is never
    split; escaping is per character, so the pieces add up to the escaped whole.
    """
    escaped = html.quote(raw)
    if tg_len(escaped) <= budget:
        return escaped
    if budget <= 0:
        return ""
    room = budget - tg_len(_ELLIPSIS)
    pieces: list[str] = []
    used = 0
    for ch in raw:
        piece = html.quote(ch)
        size = tg_len(piece)
        if used + size > room:
            break
        pieces.append(piece)
        used += size
    return "".join(pieces).rstrip() + _ELLIPSIS


def short_text(raw: str, chars: int) -> str:
    """At most ``chars`` characters, cut at a word boundary when there is one nearby."""
    text = clean(raw)
    if len(text) <= chars:
        return text
    head = text[: chars - 1]
    space = head.rfind(" ")
    if space > chars // 2:
        head = head[:space]
    return head.rstrip(" ,.;:-") + _ELLIPSIS


def format_price(amount: Decimal, currency: str | None, locale: str) -> str:
    """The amount in the locale's currency format (Babel's, from CLDR): with its sign or code
    where the locale puts it when the currency is a known ISO code; otherwise the locale's
    digits and separators with two decimals, as every price has, and the currency as given."""
    try:
        if not amount.is_finite():
            raise decimal.InvalidOperation
        code = (currency or "").strip().upper()
        if code and is_currency(code):
            return str(format_currency(amount, code, locale=locale))
        number = str(format_decimal(amount, format="#,##0.00", locale=locale))
        return f"{number} {clean(currency or '')}".strip()
    except (decimal.InvalidOperation, ValueError, ArithmeticError):
        return f"{clean(str(amount))} {clean(currency or '')}".strip()


def is_web_url(value: str) -> bool:
    """An absolute http(s) URL Telegram could open or fetch."""
    if not value or len(value) > URL_LIMIT or value != value.strip():
        return False
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def with_utm(url: str, *, source: str, medium: str, campaign: str) -> str | None:
    """The shop URL with UTM tags naming where the click came from, tagged as the engine's
    redirect tags it; None when not a web URL Telegram could open."""
    if not is_web_url(url):
        return None
    result = tagged(url, source=source, medium=medium, campaign=campaign)
    return result if is_web_url(result) else None


@dataclass(frozen=True, slots=True)
class RenderedCard:
    """HTML ``text`` (a caption when ``photo`` is set) and the photo URL, if any."""

    text: str
    photo: str | None


def _finite(amount: Decimal | None) -> Decimal | None:
    return amount if amount is not None and amount.is_finite() else None


def price_line(card: ProductCard, locale: str) -> str:
    """The price in bold; on sale, the old price struck through before it. A price that is not
    a number (NaN, infinity) is no price at all."""
    current, old = _finite(card.price), _finite(card.old_price)
    if current is None:
        return ""
    price = cut_escaped(format_price(current, card.currency, locale), PRICE_BUDGET)
    if old is not None and old != current:
        was = cut_escaped(format_price(old, card.currency, locale), PRICE_BUDGET)
        return f"<s>{was}</s> <b>{price}</b>"
    return f"<b>{price}</b>"


# Each of the feed's stock states as the card says it: a mark and a translated word.
STOCK: dict[Availability, tuple[str, str]] = {
    Availability.IN_STOCK: ("✅", N_("In stock")),
    Availability.LIMITED: ("🟡", N_("Limited availability")),
    Availability.PREORDER: ("🗓", N_("Preorder")),
    Availability.BACKORDER: ("⏳", N_("Backorder: ships when restocked")),
    Availability.OUT_OF_STOCK: ("⛔", N_("Out of stock")),
}


def stock_mark(card: ProductCard) -> str:
    return STOCK[card.availability][0]


def stock_word(card: ProductCard) -> str:
    return _(STOCK[card.availability][1])


def stock_line(card: ProductCard) -> str:
    return html.quote(f"{stock_mark(card)} {stock_word(card)}")


def render_card(card: ProductCard, *, title: str, locale: str, photo: bool = True) -> RenderedCard:
    """The card as a photo with a caption when it has a usable image (and ``photo``), else text.

    ``title`` names the list the card belongs to. Every field may be empty, long or full of
    HTML; the result is well-formed HTML within the caption or text limit.
    """
    image = card.image if photo and is_web_url(card.image) else None
    limit = CAPTION_LIMIT if image else TEXT_LIMIT
    name = clean(card.name) or clean(card.id) or "—"
    lines = [f"<i>{cut_escaped(clean(title), TITLE_BUDGET)}</i>"]
    lines.append(f"<b>{cut_escaped(name, NAME_BUDGET)}</b>")
    if brand := clean(card.brand):
        lines.append(cut_escaped(brand, BRAND_BUDGET))
    if prices := price_line(card, locale):
        lines.append(prices)
    lines.append(stock_line(card))
    head = "\n".join(lines)
    description = short_text(card.description, DESCRIPTION_CHARS)
    if description:
        room = limit - tg_len(head) - 2
        if (body := cut_escaped(description, room)) and room > 0:
            head = f"{head}\n\n{body}"
    return RenderedCard(text=head, photo=image)
