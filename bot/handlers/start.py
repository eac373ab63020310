"""/start, linking a chat to a customer (their own phone number or a signed deep link), /help."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router, html
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import show_staff_commands
from bot.config import BotSettings
from bot.deeplinks import DeepLinkError
from bot.keyboards.menu import main_menu
from bot.links import DeepLinks
from bot.ports import CustomerKey, Recommender
from bot.privacy import mask_phone, normalize_phone
from bot.records import BotStore, is_linked
from bot.staff import StaffDirectory

log = logging.getLogger(__name__)


async def cmd_start_link(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    links: DeepLinks,
    recommender: Recommender,
    store: BotStore,
    i18n: I18n,
) -> None:
    try:
        external_id = links.external_id(command.args or "")
    except DeepLinkError as error:
        log.info("user %s sent a deep link that was refused: %s", event_from_user.id, error)
        await message.answer(
            _(
                "This link is not valid. Please ask the shop for a new one, "
                "or share your phone number with the button below."
            ),
            reply_markup=main_menu(linked=await is_linked(store, event_from_user.id)),
        )
        return
    profile = await recommender.link_customer(
        CustomerKey(external_id=external_id), event_from_user.id
    )
    await store.set_contact(event_from_user.id, profile.contact_id, i18n.current_locale)
    log.info("user %s linked to contact %s by deep link", event_from_user.id, profile.contact_id)
    await message.answer(
        _("Hello, {name}! Your shop account is linked to this chat.").format(
            name=html.quote(event_from_user.first_name)
        )
        + "\n"
        + _("Pick a list from the menu below."),
        reply_markup=main_menu(linked=True),
    )


async def cmd_start(
    message: Message,
    event_from_user: User,
    store: BotStore,
    staff: StaffDirectory,
    bot: Bot,
    i18n: I18n,
) -> None:
    linked = await is_linked(store, event_from_user.id)
    text = _("Hello, {name}! I pick products from our shop for you.").format(
        name=html.quote(event_from_user.first_name)
    )
    if linked:
        text += "\n" + _("Pick a list from the menu below.")
    else:
        text += "\n" + _(
            "Share your phone number with the button below and I will find your orders "
            "and make the picks personal. Or just open Bestsellers."
        )
    await message.answer(text, reply_markup=main_menu(linked=linked))
    if await staff.role(event_from_user.id) is not None:
        await show_staff_commands(bot, i18n, event_from_user.id)


async def on_contact(
    message: Message,
    event_from_user: User,
    recommender: Recommender,
    store: BotStore,
    settings: BotSettings,
    i18n: I18n,
) -> None:
    contact = message.contact
    assert contact is not None
    linked = await is_linked(store, event_from_user.id)
    if contact.user_id != event_from_user.id:
        log.info("user %s shared someone else's contact; refused", event_from_user.id)
        await message.answer(
            _(
                "Please share your own phone number with the button below: "
                "I can only link the number of the person I am talking to."
            ),
            reply_markup=main_menu(linked=linked),
        )
        return
    phone = normalize_phone(contact.phone_number, settings.default_region)
    if phone is None:
        await message.answer(
            _("I could not read this phone number. Please try the button below again."),
            reply_markup=main_menu(linked=linked),
        )
        return
    profile = await recommender.link_customer(CustomerKey(phone=phone), event_from_user.id)
    await store.set_contact(event_from_user.id, profile.contact_id, i18n.current_locale)
    log.info(
        "user %s linked to contact %s by phone %s",
        event_from_user.id,
        profile.contact_id,
        mask_phone(phone),
    )
    await message.answer(
        _("Thank you, {name}! Your shop account is linked to this chat.").format(
            name=html.quote(contact.first_name)
        )
        + "\n"
        + _("Pick a list from the menu below."),
        reply_markup=main_menu(linked=True),
    )


async def cmd_menu(message: Message, event_from_user: User, store: BotStore) -> None:
    await message.answer(
        _("Pick a list from the menu below."),
        reply_markup=main_menu(linked=await is_linked(store, event_from_user.id)),
    )


async def cmd_help(message: Message, event_from_user: User, store: BotStore) -> None:
    await message.answer(
        "\n".join(
            (
                _("I show products picked for you from our shop."),
                "",
                _("/start: begin and link your shop account"),
                _("/menu: show the menu"),
                _("/language: choose the language"),
                _("/forget: unlink your account and delete what I stored about you"),
            )
        ),
        reply_markup=main_menu(linked=await is_linked(store, event_from_user.id)),
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
