"""Telegram tells the bot when a user blocks or unblocks it; sends skip blocked users."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from bot.records import BotStore

log = logging.getLogger(__name__)


async def on_blocked(event: ChatMemberUpdated, store: BotStore) -> None:
    await store.mark_blocked(event.from_user.id)
    log.info("user %s blocked the bot", event.from_user.id)


async def on_unblocked(event: ChatMemberUpdated, store: BotStore) -> None:
    await store.clear_blocked(event.from_user.id)
    log.info("user %s unblocked the bot", event.from_user.id)


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.my_chat_member.filter(F.chat.type == ChatType.PRIVATE)
    router.my_chat_member.register(
        on_blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED)
    )
    router.my_chat_member.register(
        on_unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER)
    )
    return router
