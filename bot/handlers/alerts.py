"""Back-in-stock and price-drop alerts: the 🔔 / 🔕 buttons under a card, and ``/alerts``."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot, Router, html
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, User
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.alerts import Alert, AlertKind, Subscribed, Subscriptions
from bot.cards import TEXT_LIMIT, clean, cut_escaped, format_price, tg_len
from bot.edits import edit_markup_once, edit_text_once
from bot.handlers.fallback import on_expired_button
from bot.keyboards.alerts import ALERT_KINDS_BY_CODE, alerts_keyboard, flipped
from bot.keyboards.callbacks import AlertCB, AlertRemoveCB
from bot.lists import Lists
from bot.ports import ProductCard
from bot.refs import ProductRefs

_NAME_BUDGET = 120
_BUTTON_NAME = 40


def _price(alert: Alert, locale: str) -> str:
    if alert.price is None:
        return "—"
    return format_price(alert.price, alert.currency, locale)


def _subscribed_text(
    outcome: Subscribed, kind: AlertKind, card: ProductCard | None, locale: str
) -> str:
    if outcome is Subscribed.UNKNOWN:
        return _("This product is no longer in the catalogue.")
    if outcome is Subscribed.IN_STOCK:
        return _("Good news: it is in stock now.")
    if outcome is Subscribed.NO_PRICE:
        return _("This product has no price to watch.")
    if kind is AlertKind.BACK_IN_STOCK:
        return _("I will tell you when it is back in stock.")
    assert card is not None
    assert card.price is not None
    return _("I will tell you when the price drops below {price}.").format(
        price=format_price(card.price, card.currency, locale)
    )


async def on_alert(
    query: CallbackQuery,
    callback_data: AlertCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    refs: ProductRefs,
    subscriptions: Subscriptions,
    lists: Lists,
    bot: Bot,
    i18n: I18n,
) -> None:
    kind = ALERT_KINDS_BY_CODE.get(callback_data.code)
    product_id = await refs.decode(callback_data.ref)
    if kind is None or product_id is None:
        await on_expired_button(query, callback_answer, event_from_user, lists, bot)
        return
    if callback_data.on:
        outcome, card = await subscriptions.subscribe(
            event_from_user.id, product_id, kind, i18n.current_locale
        )
        callback_answer.text = _subscribed_text(outcome, kind, card, i18n.current_locale)
        subscribed = outcome in (Subscribed.ADDED, Subscribed.ALREADY)
    else:
        await subscriptions.unsubscribe(event_from_user.id, product_id, kind)
        callback_answer.text = _("The alert is off.")
        subscribed = False
    message = query.message
    if isinstance(message, Message) and isinstance(message.reply_markup, InlineKeyboardMarkup):
        await edit_markup_once(
            message, flipped(message.reply_markup, callback_data, subscribed=subscribed)
        )


def alerts_text(alerts: Sequence[tuple[Alert, ProductCard | None]], locale: str) -> str:
    if not alerts:
        return html.quote(
            _(
                "You have no alerts. Tap 🔔 under a product card and I will tell you when it "
                "is back in stock or cheaper."
            )
        )
    lines = ["🔔 <b>" + html.quote(_("Your alerts")) + "</b>"]
    used = tg_len(lines[0])
    for number, (alert, card) in enumerate(alerts, start=1):
        name = cut_escaped(
            clean(card.name if card else "") or clean(alert.product_id), _NAME_BUDGET
        )
        if alert.kind is AlertKind.BACK_IN_STOCK:
            what = _("when it is back in stock")
        else:
            what = _("when it costs less than {price}").format(price=_price(alert, locale))
        line = f"{number}. <b>{name}</b>: {html.quote(what)}"
        used += tg_len(line) + 1
        if used > TEXT_LIMIT - 100:
            lines.append("…")
            break
        lines.append(line)
    lines += ["", html.quote(_("Tap an alert below to remove it."))]
    return "\n".join(lines)


def _alerts_markup(alerts: Sequence[tuple[Alert, ProductCard | None]]) -> InlineKeyboardMarkup:
    names = [
        clean(card.name if card else "")[:_BUTTON_NAME] or clean(alert.product_id)[:_BUTTON_NAME]
        for alert, card in alerts
    ]
    return alerts_keyboard([alert for alert, _card in alerts], names)


async def cmd_alerts(
    message: Message, event_from_user: User, subscriptions: Subscriptions, i18n: I18n
) -> None:
    alerts = await subscriptions.of(event_from_user.id)
    await message.answer(
        alerts_text(alerts, i18n.current_locale),
        reply_markup=_alerts_markup(alerts) if alerts else None,
    )


async def on_alert_remove(
    query: CallbackQuery,
    callback_data: AlertRemoveCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    subscriptions: Subscriptions,
    i18n: I18n,
) -> None:
    removed = await subscriptions.remove(event_from_user.id, callback_data.alert)
    callback_answer.text = _("The alert is off.") if removed else _("This alert is gone already.")
    alerts = await subscriptions.of(event_from_user.id)
    message = query.message
    if isinstance(message, Message):
        await edit_text_once(
            message,
            alerts_text(alerts, i18n.current_locale),
            reply_markup=_alerts_markup(alerts) if alerts else None,
        )


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.message.register(cmd_alerts, Command("alerts"))
    router.callback_query.register(on_alert, AlertCB.filter())
    router.callback_query.register(on_alert_remove, AlertRemoveCB.filter())
    return router
