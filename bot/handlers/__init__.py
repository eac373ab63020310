"""Handler routers, one per module, in the order the dispatcher tries them."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    alerts,
    errors,
    fallback,
    forget,
    inline,
    language,
    lists,
    membership,
    operators,
    search,
    shop,
    staff,
    start,
    support,
)


def get_routers() -> list[Router]:
    """Fresh routers for one dispatcher; the catch-all comes last, to get what no one took."""
    return [
        errors.create_router(),
        operators.create_router(),
        membership.create_router(),
        start.create_router(),
        language.create_router(),
        forget.create_router(),
        staff.create_router(),
        staff.create_steps_router(),
        lists.create_router(),
        shop.create_router(),
        inline.create_router(),
        alerts.create_router(),
        support.create_agents_router(),
        search.create_router(),
        support.create_router(),
        fallback.create_router(),
    ]
