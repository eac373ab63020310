"""Filters: menu buttons in any language, staff-only commands, the operators' group."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n

from bot.i18n import translations
from bot.keyboards.menu import MENU_BUTTONS
from bot.relay import SupportDesk
from bot.staff import StaffDirectory


class MenuButton(Filter):
    """A press of a reply-keyboard button, whatever language the keyboard was sent in."""

    def __init__(self, emoji: str, message: str) -> None:
        self.emoji = emoji
        self.message = message
        self._texts: frozenset[str] | None = None

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        if self._texts is None:
            self._texts = frozenset(
                f"{self.emoji} {text}" for text in translations(i18n, self.message)
            )
        return message.text in self._texts


class MenuList(Filter):
    """A press of one of the list buttons, under any label it has had; hands the handler its
    ``kind``."""

    def __init__(self) -> None:
        self._buttons = [(kind, MenuButton(*label)) for kind, label in MENU_BUTTONS]

    async def __call__(self, message: Message, i18n: I18n) -> bool | dict[str, Any]:
        for kind, button in self._buttons:
            if await button(message, i18n):
                return {"kind": kind}
        return False


class IsStaff(Filter):
    """Passes staff (handing the handler its ``role``); anyone else falls through, so they get
    the same answer as for an unknown command."""

    async def __call__(
        self, _event: Any, staff: StaffDirectory, event_from_user: User | None = None
    ) -> bool | dict[str, Any]:
        if event_from_user is None:
            return False
        role = await staff.role(event_from_user.id)
        return False if role is None else {"role": role}


class InOperatorsChat(Filter):
    """A message or button press in the operators' group (``BOT_SUPPORT_CHAT_ID``)."""

    async def __call__(self, event: Any, desk: SupportDesk) -> bool:
        chat = event.message.chat if isinstance(event, CallbackQuery) and event.message else None
        chat = chat if chat is not None else getattr(event, "chat", None)
        return chat is not None and desk.in_group and chat.id == desk.operators_chat_id


class PrivateOrOperators(Filter):
    """The bot talks to people one to one, and to agents in the operators' group; in any other
    group it stays silent."""

    async def __call__(self, message: Message, desk: SupportDesk) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        return desk.in_group and message.chat.id == desk.operators_chat_id
