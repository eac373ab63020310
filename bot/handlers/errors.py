"""Expected failures become a polite answer in the user's language, never a traceback."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, User
from aiogram.utils.i18n import gettext as _

from bot.ports import RecommenderUnavailable, RequestRejected, UnsupportedByBackend
from bot.records import BotStore

log = logging.getLogger(__name__)


async def _tell(bot: Bot, event: ErrorEvent, text: str) -> None:
    """Answer whoever caused the update: the query (left unanswered for us) and the chat, or
    the chat."""
    update = event.update
    try:
        if update.callback_query is not None:
            query = update.callback_query
            await bot.answer_callback_query(query.id, text=text[:200], show_alert=True)
            chat_id = query.message.chat.id if query.message is not None else query.from_user.id
            await bot.send_message(chat_id, text)
        elif update.message is not None:
            await bot.send_message(update.message.chat.id, text)
    except TelegramAPIError as error:
        # Nothing more to do when Telegram refuses the apology too.
        log.warning("could not tell the user about an error: %s", error)


async def on_blocked(
    event: ErrorEvent, store: BotStore, event_from_user: User | None = None
) -> None:
    """The user blocked the bot while we were answering: remember it, say nothing."""
    if event_from_user is not None:
        await store.mark_blocked(event_from_user.id)
        log.info("user %s has blocked the bot", event_from_user.id)


async def on_unavailable(event: ErrorEvent, bot: Bot) -> None:
    log.warning("recommendations unavailable: %s", event.exception)
    await _tell(
        bot,
        event,
        _("Sorry, recommendations are unavailable right now. Please try again in a minute."),
    )


async def on_unsupported(event: ErrorEvent, bot: Bot) -> None:
    log.warning("not supported by the recommendations backend: %s", event.exception)
    await _tell(
        bot, event, _("Sorry, this is not available with the shop's recommendation service.")
    )


async def on_rejected(event: ErrorEvent, bot: Bot) -> None:
    log.warning("recommendations request rejected: %s", event.exception)
    await _tell(bot, event, _("Sorry, I could not get this list. Please try another one."))


async def on_unexpected(event: ErrorEvent, bot: Bot) -> None:
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    await _tell(bot, event, _("Sorry, something went wrong on our side. Please try again."))


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.errors.register(on_blocked, ExceptionTypeFilter(TelegramForbiddenError))
    router.errors.register(on_unavailable, ExceptionTypeFilter(RecommenderUnavailable))
    router.errors.register(on_unsupported, ExceptionTypeFilter(UnsupportedByBackend))
    router.errors.register(on_rejected, ExceptionTypeFilter(RequestRejected))
    router.errors.register(on_unexpected)
    return router
