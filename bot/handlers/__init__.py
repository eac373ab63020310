"""Handler routers, one per module, in the order the dispatcher tries them."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import errors, fallback, forget, language, lists, membership, staff, start


def get_routers() -> list[Router]:
    """The catch-all router comes last: anything no one else took gets its reply."""
    return [
        errors.router,
        membership.router,
        start.router,
        language.router,
        forget.router,
        staff.router,
        lists.router,
        fallback.router,
    ]
