"""Edits that a double tap repeats. Telegram refuses an edit that changes nothing ("message is
not modified") and one of a message the first tap already replaced ("not found"); for the
second tap that means its work is done, not that something failed."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, LinkPreviewOptions, Message


def is_not_modified(error: TelegramBadRequest) -> bool:
    return "message is not modified" in error.message.lower()


def is_gone(error: TelegramBadRequest) -> bool:
    """The message was deleted (by us, for an earlier tap) before this edit or deletion."""
    text = error.message.lower()
    return "message to edit not found" in text or "message to delete not found" in text


def is_done_already(error: TelegramBadRequest) -> bool:
    return is_not_modified(error) or is_gone(error)


async def edit_text_once(
    message: Message,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    link_preview_options: LinkPreviewOptions | None = None,
) -> bool:
    """Edit the text; False when an earlier tap has done it already."""
    try:
        await message.edit_text(
            text, reply_markup=reply_markup, link_preview_options=link_preview_options
        )
    except TelegramBadRequest as error:
        if not is_done_already(error):
            raise
        return False
    return True


async def edit_markup_once(message: Message, reply_markup: InlineKeyboardMarkup | None) -> bool:
    """Replace the buttons; False when an earlier tap has done it already."""
    try:
        await message.edit_reply_markup(reply_markup=reply_markup)
    except TelegramBadRequest as error:
        if not is_done_already(error):
            raise
        return False
    return True
