"""Staff-facing texts: a customer's profile, a compact list, statistics with the audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from aiogram import html
from aiogram.types import User
from aiogram.utils.i18n import gettext as _
from babel.dates import format_datetime, format_timedelta

from bot.alerts import AlertFigures
from bot.cards import (
    TEXT_LIMIT,
    clean,
    cut_escaped,
    format_price,
    is_web_url,
    stock_mark,
    stock_word,
    tg_len,
)
from bot.conversations import Conversation, SupportFigures
from bot.i18n import N_
from bot.keyboards.menu import list_title
from bot.ports import CustomerProfile, EngineStats, ListClicks, ListKind, ProductCard
from bot.records import AuditEntry, BotUser

_FIELD = 120
_URL_IN_LIST = 400


def _join_within(lines: Sequence[str], limit: int = TEXT_LIMIT) -> str:
    """Lines joined by newlines, dropping whole lines from the end to stay within ``limit``."""
    kept: list[str] = []
    used = 0
    for line in lines:
        size = tg_len(line) + (1 if kept else 0)
        if used + size > limit - 2:
            kept.append("…")
            break
        kept.append(line)
        used += size
    return "\n".join(kept)


LINK_EVENTS = {
    "link": N_("link made"),
    "linked": N_("linked"),
    "link_moved": N_("moved by own phone"),
    "link_refused": N_("link refused"),
    "link_reused": N_("used link opened again"),
    "link_expired": N_("expired link opened"),
    "forget": N_("forgotten"),
}


def telegram_line(profile: CustomerProfile, linked_user: BotUser | None) -> str:
    """Who is linked: their Telegram name, @username and a tg:// link that opens their chat."""
    if profile.telegram_user_id is None:
        return html.quote(_("Telegram: not linked"))
    user_id = profile.telegram_user_id
    name = (linked_user.first_name if linked_user else None) or _("Telegram user")
    link = f'<a href="tg://user?id={int(user_id)}">{cut_escaped(clean(name), 64)}</a>'
    username = linked_user.username if linked_user else None
    handle = f" @{cut_escaped(clean(username), 40)}" if username else ""
    return (
        html.quote(_("Telegram: linked to {who}")).format(who=link + handle)
        + f" · id <code>{int(user_id)}</code>"
    )


def history_lines(history: Sequence[AuditEntry], locale: str) -> list[str]:
    if not history:
        return []
    lines = ["", "<b>" + html.quote(_("Link history")) + "</b>"]
    for entry in history:
        when = format_datetime(entry.at, "yyyy-MM-dd HH:mm", tzinfo=UTC, locale=locale)
        event = _(LINK_EVENTS.get(entry.action, entry.action))
        lines.append(f"• {when} · {html.quote(event)}: {cut_escaped(clean(entry.detail), 160)}")
    return lines


def profile_text(
    profile: CustomerProfile,
    locale: str,
    *,
    linked_user: BotUser | None = None,
    history: Sequence[AuditEntry] = (),
    names: Mapping[str, str] | None = None,
) -> str:
    """``names``: how to show each product id (its name and price), else the id."""
    names = names or {}
    lines = [
        "<b>" + html.quote(_("Customer #{id}").format(id=profile.contact_id)) + "</b>",
    ]
    fields = (
        (_("Name"), profile.name),
        (_("Email"), profile.email),
        (_("Phone"), profile.phone),
        (_("External id"), profile.external_id),
    )
    for name, value in fields:
        if value:
            lines.append(f"{html.quote(name)}: {cut_escaped(clean(value), _FIELD)}")
    lines.append(telegram_line(profile, linked_user))
    if profile.orders:
        lines.append("")
        lines.append("<b>" + html.quote(_("Last orders")) + "</b>")
        lines += order_lines(profile, names, locale)
    else:
        lines.append(html.quote(_("No orders yet.")))
    if profile.cart:
        items = ", ".join(names.get(pid, pid) for pid in profile.cart[:10])
        items += " …" if len(profile.cart) > 10 else ""
        lines.append(html.quote(_("Cart: {items}")).format(items=cut_escaped(clean(items), 300)))
    else:
        lines.append(html.quote(_("The cart is empty.")))
    lines += history_lines(history, locale)
    return _join_within(lines)


def order_lines(
    profile: CustomerProfile, names: Mapping[str, str], locale: str, limit: int = 5
) -> list[str]:
    """The last orders, newest first: number, date, total and the products by name."""
    lines = []
    for order in profile.orders[:limit]:
        when = format_datetime(order.ordered_at, "yyyy-MM-dd", locale=locale)
        total = (
            " · " + html.quote(format_price(order.total, order.currency, locale))
            if order.total is not None
            else ""
        )
        items = ", ".join(names.get(pid, pid) for pid in order.product_ids[:5])
        items += " …" if len(order.product_ids) > 5 else ""
        lines.append(
            f"• {cut_escaped(clean(order.number), 40)} · {when}{total}: "
            f"{cut_escaped(clean(items), 300)}"
        )
    return lines


def customer_card_text(
    customer: User,
    profile: CustomerProfile | None,
    *,
    language: str | None,
    names: Mapping[str, str],
    locale: str,
) -> str:
    """The card that opens a customer's support topic: who they are in the shop and in
    Telegram, their last orders by product name, and their cart."""
    name = cut_escaped(clean(customer.full_name) or str(customer.id), 100)
    handle = f" @{cut_escaped(clean(customer.username), 40)}" if customer.username else ""
    link = f'<a href="tg://user?id={int(customer.id)}">{name}</a>'
    lines = [
        "👤 <b>" + html.quote(_("Customer")) + "</b>",
        html.quote(_("Telegram: {who}")).format(who=link + handle)
        + f" · id <code>{int(customer.id)}</code>",
        html.quote(_("Language: {language}").format(language=clean(language or "—")[:16])),
    ]
    if profile is None:
        lines.append(html.quote(_("Not linked to a shop account yet.")))
        return _join_within(lines)
    lines.append(html.quote(_("Contact id: {id}").format(id=profile.contact_id)))
    fields = (
        (_("External id"), profile.external_id),
        (_("Name"), profile.name),
        (_("Phone"), profile.phone),
        (_("Email"), profile.email),
    )
    for field, value in fields:
        if value:
            lines.append(f"{html.quote(field)}: {cut_escaped(clean(value), _FIELD)}")
    if profile.orders:
        lines += ["", "<b>" + html.quote(_("Last orders")) + "</b>"]
        lines += order_lines(profile, names, locale, limit=3)
    else:
        lines.append(html.quote(_("No orders yet.")))
    if profile.cart:
        items = ", ".join(names.get(pid, pid) for pid in profile.cart[:10])
        lines.append(html.quote(_("Cart: {items}")).format(items=cut_escaped(clean(items), 300)))
    else:
        lines.append(html.quote(_("The cart is empty.")))
    return _join_within(lines)


def compact_list_text(
    kind: ListKind, profile: CustomerProfile, cards: Sequence[ProductCard], locale: str
) -> str:
    """Name, price, stock and link of each product, one line each."""
    return compact_list_text_for(kind, profile.contact_id, cards, locale)


def compact_list_text_for(
    kind: ListKind, contact_id: int | None, cards: Sequence[ProductCard], locale: str
) -> str:
    """As ``compact_list_text``, for a customer known by contact id or not at all."""
    header = "<b>" + html.quote(list_title(kind)) + "</b>"
    if contact_id is not None:
        header += " · " + html.quote(_("customer #{id}").format(id=contact_id))
    if not cards:
        return header + "\n" + html.quote(_("Nothing to show here yet."))
    lines = [header]
    for number, card in enumerate(cards, start=1):
        name = cut_escaped(clean(card.name) or clean(card.id) or "—", _FIELD)
        if is_web_url(card.url) and len(card.url) <= _URL_IN_LIST:
            name = f'<a href="{html.quote(card.url).replace(chr(34), "&quot;")}">{name}</a>'
        price = (
            html.quote(format_price(card.price, card.currency, locale))
            if card.price is not None
            else "—"
        )
        stock = stock_mark(card)
        lines.append(f"{number}. {name} · {price} · {stock}")
    return _join_within(lines)


def stats_text(
    stats: EngineStats,
    audit: Sequence[AuditEntry],
    staff_count: int,
    locale: str,
    now: datetime | None = None,
    support: Sequence[str] = (),
) -> str:
    now = now or datetime.now(UTC)
    share = stats.products_in_stock / stats.products if stats.products else 0.0
    lines = [
        "<b>" + html.quote(_("Statistics")) + "</b>",
        html.quote(
            _("Catalogue: {products} products, {in_stock} in stock ({share:.0%})").format(
                products=stats.products, in_stock=stats.products_in_stock, share=share
            )
        ),
        html.quote(
            _("Contacts: {contacts}, linked to Telegram: {linked}").format(
                contacts=stats.contacts, linked=stats.telegram_linked
            )
        ),
        html.quote(
            _("Events in the last 24 hours: {events}").format(events=stats.events_last_24h)
        ),
    ]
    if stats.model_built_at is not None:
        age = format_timedelta(now - stats.model_built_at, locale=locale)
        lines.append(html.quote(_("Model built {age} ago").format(age=age)))
        for tuned in stats.model_tuning:
            lines.append(
                html.quote(
                    _(
                        "{list}: {chosen:.4f} on recent orders, {default:.4f} with the defaults"
                    ).format(list=tuned.name, chosen=tuned.chosen, default=tuned.default)
                )
            )
    else:
        lines.append(html.quote(_("Model: not built yet")))
    lines.append(html.quote(_("Staff members: {count}").format(count=staff_count)))
    lines += support
    lines.append("")
    lines.append("<b>" + html.quote(_("Recent staff actions")) + "</b>")
    if not audit:
        lines.append(html.quote(_("None yet.")))
    for entry in audit:
        when = format_datetime(entry.at, "yyyy-MM-dd HH:mm", tzinfo=UTC, locale=locale)
        lines.append(
            f"{when} · {entry.actor_id} · {cut_escaped(entry.action, 32)} "
            f"{cut_escaped(entry.target, 60)} {cut_escaped(entry.detail, 80)}".rstrip()
        )
    return _join_within(lines)


def queue_text(conversations: Sequence[Conversation], now: datetime) -> str:
    """Open conversations, one line each: who, and how long they have waited."""
    if not conversations:
        return html.quote(_("No open conversations."))
    lines = ["<b>" + html.quote(_("Open conversations, oldest first")) + "</b>"]
    for number, conversation in enumerate(conversations, start=1):
        label = cut_escaped(clean(conversation.customer_name or str(conversation.customer_id)), 64)
        if conversation.contact_id is not None:
            label += f" · #{conversation.contact_id}"
        if conversation.waiting_since is not None:
            minutes = int((now - conversation.waiting_since).total_seconds() // 60)
            state = html.quote(_("waiting {minutes} min").format(minutes=minutes))
        else:
            state = html.quote(_("answered"))
        lines.append(f"{number}. {label} · {state}")
    return _join_within(lines)


def _minutes(value: timedelta | None, locale: str) -> str:
    return format_timedelta(value, locale=locale) if value is not None else "—"


def click_lines(figures: Sequence[ListClicks]) -> list[str]:
    """Click-through per list for /stats: shop links followed over cards shown."""
    lines = ["", "<b>" + html.quote(_("Click-through, last 30 days")) + "</b>"]
    if not figures:
        lines.append(html.quote(_("No cards shown yet.")))
    for row in figures:
        try:
            name = list_title(ListKind(row.list_name))
        except ValueError:
            name = row.list_name
        if row.rate is None:
            text = _("{list}: {clicks} shop links followed").format(list=name, clicks=row.clicks)
        else:
            text = _(
                "{list}: {clicks} of {shown} cards shown led to the shop ({rate:.1%})"
            ).format(list=name, clicks=row.clicks, shown=row.shown, rate=row.rate)
        lines.append("• " + html.quote(text))
    return lines


def support_lines(figures: SupportFigures, locale: str) -> list[str]:
    """Support figures for /stats: open conversations, first-reply times, per agent."""
    lines = [
        "",
        "<b>" + html.quote(_("Support, last 30 days")) + "</b>",
        html.quote(
            _("Open conversations: {open}, waiting for an answer: {waiting}").format(
                open=figures.open_conversations, waiting=figures.waiting
            )
        ),
        html.quote(
            _("Conversations: {count}, median first reply: {median}").format(
                count=figures.conversations,
                median=_minutes(figures.median_first_reply, locale),
            )
        ),
    ]
    for agent in figures.agents:
        name = cut_escaped(clean(agent.name or str(agent.agent_id)), 64)
        lines.append(
            f"• {name}: "
            + html.quote(
                _("{conversations} conversations, {replies} replies, median first reply {median}")
            ).format(
                conversations=agent.conversations,
                replies=agent.replies,
                median=html.quote(_minutes(agent.median_first_reply, locale)),
            )
        )
    return lines


def alert_lines(figures: AlertFigures) -> list[str]:
    """Alert figures for /stats: subscriptions waiting, and what became of those that fired."""
    return [
        "",
        "<b>" + html.quote(_("Alerts")) + "</b>",
        html.quote(_("Alerts waiting: {active}").format(active=figures.active)),
        html.quote(
            _(
                "Fired in the last 30 days: {sent} sent, {pending} pending, {blocked} blocked, "
                "{failed} failed"
            ).format(
                sent=figures.sent,
                pending=figures.pending,
                blocked=figures.blocked,
                failed=figures.failed,
            )
        ),
    ]


def preview_text(title: str, cards: Sequence[ProductCard], line: str, locale: str) -> str:
    """What is about to go to the customer: the agent's line (HTML as they wrote it), the list's
    title and its products, one line each."""
    lines = ["👀 <b>" + html.quote(_("Preview: this goes to the customer")) + "</b>"]
    if line:
        lines.append(line)
    lines.append("<b>" + html.quote(title) + "</b>")
    for number, card in enumerate(cards, start=1):
        name = cut_escaped(clean(card.name) or clean(card.id) or "—", _FIELD)
        price = (
            html.quote(format_price(card.price, card.currency, locale))
            if card.price is not None
            else "—"
        )
        lines.append(
            f"{number}. {name} · <code>{cut_escaped(clean(card.id), 60)}</code> · {price}"
        )
    return _join_within(lines)


def product_detail_text(card: ProductCard) -> str:
    """What staff see under a product card: its id, category path and stock."""
    category = " > ".join(clean(part) for part in card.category if clean(part)) or "—"
    stock = stock_word(card)
    return "\n".join(
        (
            html.quote(_("Id: {id}")).format(
                id=f"<code>{cut_escaped(clean(card.id), 200)}</code>"
            ),
            html.quote(_("Category: {category}")).format(category=cut_escaped(category, 300)),
            html.quote(_("Stock: {stock}").format(stock=stock)),
        )
    )
