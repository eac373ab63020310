"""/start, linking a chat to a customer (their own phone number or a deep link), /help."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import show_staff_commands, staff_help
from bot.identity import ByLink, Linking
from bot.keyboards.menu import main_menu, menu_hint
from bot.lists import Lists
from bot.privacy import read_phone
from bot.records import BotStore
from bot.staff import StaffDirectory

log = logging.getLogger(__name__)


async def cmd_start_link(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    linking: Linking,
    lists: Lists,
    i18n: I18n,
) -> None:
    outcome = await linking.by_link(command.args or "", event_from_user, i18n.current_locale)
    if outcome.result is ByLink.LINKED:
        menu = await lists.menu_state(event_from_user.id)
        await message.answer(
            _("Hello, {name}! Your shop account is linked to this chat.").format(
                name=html.quote(event_from_user.first_name)
            )
            + "\n"
            + menu_hint(menu),
            reply_markup=main_menu(menu),
        )
        return
    texts = {
        ByLink.INVALID: _(
            "This link is not valid. Please ask the shop for a new one, "
            "or share your phone number with the button below."
        ),
        ByLink.EXPIRED: _(
            "This link has expired. Please ask the shop for a new one, "
            "or share your phone number with the button below."
        ),
        ByLink.USED: _(
            "This link has already been used: each link works once. Please ask the shop for a "
            "new one, or share your phone number with the button below."
        ),
        ByLink.TAKEN: _(
            "This shop account is already linked to another Telegram account, so this link "
            "cannot link it here. If the shop account is yours, share your phone number with "
            "the button below."
        ),
    }
    await message.answer(
        texts[outcome.result],
        reply_markup=await lists.menu(event_from_user.id),
    )


async def cmd_start(
    message: Message,
    event_from_user: User,
    store: BotStore,
    lists: Lists,
    staff: StaffDirectory,
    bot: Bot,
    i18n: I18n,
) -> None:
    await store.remember_names(
        event_from_user.id, event_from_user.first_name, event_from_user.username
    )
    role = await staff.role(event_from_user.id)
    if role is not None:
        language = await store.language(event_from_user.id)
        await show_staff_commands(bot, i18n, event_from_user.id, role, language)
        await message.answer(
            _("Hello, {name}! You are on the shop's support staff ({role}).").format(
                name=html.quote(event_from_user.first_name), role=role.value
            )
            + "\n\n"
            + staff_help(role)
        )
        return
    menu = await lists.menu_state(event_from_user.id)
    text = _("Hello, {name}! I pick products from our shop for you.").format(
        name=html.quote(event_from_user.first_name)
    )
    text += "\n" + menu_hint(menu)
    await message.answer(text, reply_markup=main_menu(menu))


async def on_contact(
    message: Message,
    event_from_user: User,
    linking: Linking,
    store: BotStore,
    lists: Lists,
    phone_region: str,
    i18n: I18n,
    bot: Bot,
) -> None:
    contact = message.contact
    assert contact is not None
    if contact.user_id != event_from_user.id:
        log.info("user %s shared someone else's contact; refused", event_from_user.id)
        await message.answer(
            _(
                "Please share your own phone number with the button below: "
                "I can only link the number of the person I am talking to."
            ),
            reply_markup=await lists.menu(event_from_user.id),
        )
        return
    phone = read_phone(contact.phone_number, phone_region)
    if phone is None:
        await message.answer(
            _("I could not read this phone number. Please try the button below again."),
            reply_markup=await lists.menu(event_from_user.id),
        )
        return
    name = " ".join(filter(None, (contact.first_name, contact.last_name)))
    customer = await linking.by_own_phone(phone, event_from_user, name, i18n.current_locale)
    if customer.previous_telegram_user_id is not None:
        await _tell_unlinked(bot, store, lists, i18n, customer.previous_telegram_user_id)
    if customer.known:
        text = _("Thank you, {name}! Your shop account is linked to this chat.")
    else:
        text = _("Thank you, {name}! We don't know this number yet.")
    menu = await lists.menu_state(event_from_user.id)
    await message.answer(
        text.format(name=html.quote(contact.first_name)) + "\n" + menu_hint(menu),
        reply_markup=main_menu(menu),
    )


async def _tell_unlinked(
    bot: Bot, store: BotStore, lists: Lists, i18n: I18n, telegram_user_id: int
) -> None:
    """The chat that lost its customer to the customer's own phone hears it, in its language."""
    language = await store.language(telegram_user_id)
    if language not in i18n.available_locales:
        language = i18n.default_locale
    with i18n.use_locale(language):
        text = _(
            "Your shop account has been linked to another Telegram account, which shared the "
            "account's phone number from its own Telegram. This chat is no longer linked to it. "
            "If you think this is wrong, please contact the shop."
        )
        menu = await lists.menu(telegram_user_id)
    try:
        await bot.send_message(telegram_user_id, text, reply_markup=menu)
    except TelegramForbiddenError:
        await store.mark_blocked(telegram_user_id)
    except TelegramBadRequest as error:
        log.info("could not tell user %s about the move: %s", telegram_user_id, error.message)


async def cmd_menu(message: Message, event_from_user: User, lists: Lists) -> None:
    menu = await lists.menu_state(event_from_user.id)
    await message.answer(menu_hint(menu), reply_markup=main_menu(menu))


async def cmd_help(
    message: Message, event_from_user: User, lists: Lists, staff: StaffDirectory
) -> None:
    if (role := await staff.role(event_from_user.id)) is not None:
        await message.answer(staff_help(role))
        return
    await message.answer(
        "\n".join(
            (
                _("I show products picked for you from our shop."),
                "",
                _("/start: begin and link your shop account"),
                _("/menu: show the menu"),
                _("/alerts: your back-in-stock and price-drop alerts (🔔 under a card)"),
                _("/language: choose the language"),
                _("/forget: unlink your account and delete what I stored about you"),
            )
        ),
        reply_markup=await lists.menu(event_from_user.id),
    )


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.message.register(cmd_start_link, CommandStart(deep_link=True))
    router.message.register(cmd_start, CommandStart())
    router.message.register(on_contact, F.contact)
    router.message.register(cmd_menu, Command("menu"))
    router.message.register(cmd_help, Command("help"))
    return router
