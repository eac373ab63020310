"""Staff commands: look customers up, see and send their lists, links, statistics, staff roles.

Every handler here is behind ``IsStaff``: for anyone else the command falls through to the
unknown-command answer, so nothing hints that these commands exist.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, MagicData, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageOriginUser,
    User,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_datetime

from bot.cards import clean, cut_escaped
from bot.commands import hide_staff_commands, show_staff_commands, staff_help
from bot.deeplinks import DeepLinkError
from bot.filters import IsStaff
from bot.keyboards.callbacks import KIND_CODES, CustomerPickCB, ProductSendCB, StaffCB
from bot.keyboards.menu import MENU_LISTS, label, list_title
from bot.links import DeepLinks
from bot.ports import CustomerProfile, ListKind, Recommender, RecommenderError
from bot.presenter import CardPresenter, ListPage
from bot.records import BotStore, BotUser, Role
from bot.refs import ProductRefs
from bot.relay import SupportDesk
from bot.staff import StaffDirectory
from bot.support import Support, split_recs_args
from bot.views import (
    alert_lines,
    click_lines,
    compact_list_text,
    product_detail_text,
    profile_text,
    stats_text,
    support_lines,
)

log = logging.getLogger(__name__)


def _profile_keyboard(profile: CustomerProfile) -> InlineKeyboardMarkup:
    """Per list: view it here, and (when the customer linked Telegram) send it to them."""
    builder = InlineKeyboardBuilder()
    sizes = []
    for kind, button in MENU_LISTS.items():
        code = KIND_CODES[kind]
        builder.button(
            text=label(*button),
            callback_data=StaffCB(action="v", contact=profile.contact_id, code=code),
        )
        if profile.telegram_user_id is not None:
            builder.button(
                text="📤 " + _("Send"),
                callback_data=StaffCB(action="s", contact=profile.contact_id, code=code),
            )
        sizes.append(2 if profile.telegram_user_id is not None else 1)
    builder.adjust(*sizes)
    return builder.as_markup()


def _picks_keyboard(profiles: list[CustomerProfile]) -> InlineKeyboardMarkup:
    """One button per customer a name matched: the name, an identifier, the contact id."""
    builder = InlineKeyboardBuilder()
    for profile in profiles:
        known = profile.phone or profile.email or profile.external_id
        parts = [clean(profile.name or "")[:40], clean(known or "")[:40], f"#{profile.contact_id}"]
        builder.button(
            text=" · ".join(part for part in parts if part),
            callback_data=CustomerPickCB(contact=profile.contact_id),
        )
    builder.adjust(1)
    return builder.as_markup()


async def cmd_find(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    support: Support,
    i18n: I18n,
    bot: Bot,
) -> None:
    if not command.args:
        await message.answer(
            html.quote(_("Usage: /find <phone | email | external id | contact id | name>"))
        )
        return
    found = await support.find_all(event_from_user.id, command.args)
    if not found:
        await message.answer(_("No customer found for this query."))
    elif len(found) == 1:
        await _send_profile(bot, message.chat.id, found[0], support, i18n)
    else:
        await message.answer(
            html.quote(_("{count} customers match. Pick one:").format(count=len(found))),
            reply_markup=_picks_keyboard(found),
        )


async def on_customer_picked(
    query: CallbackQuery,
    callback_data: CustomerPickCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    support: Support,
    i18n: I18n,
    bot: Bot,
) -> None:
    profile = await support.profile(callback_data.contact)
    if profile is None:
        callback_answer.text = _("No customer found for this query.")
        callback_answer.show_alert = True
        return
    await support.audit(event_from_user.id, "find", target=f"contact {profile.contact_id}")
    chat_id = query.message.chat.id if query.message is not None else event_from_user.id
    await _send_profile(bot, chat_id, profile, support, i18n)


async def _send_profile(
    bot: Bot, chat_id: int, profile: CustomerProfile, support: Support, i18n: I18n
) -> None:
    linked_user, history = await support.link_details(profile)
    names = await support.product_labels(profile, i18n.current_locale)
    await bot.send_message(
        chat_id,
        profile_text(
            profile, i18n.current_locale, linked_user=linked_user, history=history, names=names
        ),
        reply_markup=_profile_keyboard(profile),
    )


async def cmd_recs(
    message: Message, command: CommandObject, event_from_user: User, support: Support, i18n: I18n
) -> None:
    query, kind = split_recs_args(command.args or "")
    if not query:
        await message.answer(
            html.quote(
                _(
                    "Usage: /recs <identifier> [list]. Lists: new_for_you, buy_again, "
                    "bestsellers, also_bought, you_may_also_like."
                )
            )
        )
        return
    kind = kind or ListKind.NEW_FOR_YOU
    profile, cards = await support.recommendations(event_from_user.id, query, kind)
    if profile is None:
        head, _space, last = query.rpartition(" ")
        if head and await support.find(event_from_user.id, head) is not None:
            await message.answer(
                html.quote(
                    _("There is no list “{name}”. Lists: {lists}.").format(
                        name=last, lists=", ".join(sorted(kind.value for kind in ListKind))
                    )
                )
            )
            return
        await message.answer(_("No customer found for this query."))
        return
    await message.answer(
        compact_list_text(kind, profile, cards, i18n.current_locale),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def cmd_product(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    support: Support,
    presenter: CardPresenter,
    refs: ProductRefs,
    bot: Bot,
) -> None:
    if not command.args:
        await message.answer(html.quote(_("Usage: /product <product id>")))
        return
    card, similar = await support.product(event_from_user.id, command.args.strip())
    if card is None:
        lines = [html.quote(_("No product with this id."))]
        if similar:
            lines.append(html.quote(_("Products with similar names:")))
            lines += [
                f"• <code>{cut_escaped(clean(item.id), 100)}</code> · "
                f"{cut_escaped(clean(item.name), 100)}"
                for item in similar
            ]
        await message.answer("\n".join(lines))
        return
    await presenter.send(
        bot, message.chat.id, ListPage(kind=None, cards=[card], page=0, staff=True)
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text="📤 " + _("Send to a customer"),
        callback_data=ProductSendCB(ref=await refs.encode(card.id)),
    )
    await message.answer(product_detail_text(card), reply_markup=builder.as_markup())


async def on_send_product_pressed(
    query: CallbackQuery,
    callback_data: ProductSendCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    state: FSMContext,
    refs: ProductRefs,
    bot: Bot,
) -> None:
    product_id = await refs.decode(callback_data.ref)
    if product_id is None:
        callback_answer.text = _("This button has expired.")
        return
    await state.set_state(SendingProduct.waiting_customer)
    await state.set_data({"product": product_id})
    await bot.send_message(
        event_from_user.id,
        html.quote(_("To whom? Send the customer's phone, email, external id or contact id.")),
    )


async def on_product_customer(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    support: Support,
    store: BotStore,
    presenter: CardPresenter,
    recommender: Recommender,
    i18n: I18n,
    bot: Bot,
) -> None:
    product_id = str((await state.get_data()).get("product", ""))
    await state.clear()
    card = await recommender.product(product_id)
    profile = await support.find(event_from_user.id, message.text or "")
    if card is None or profile is None:
        await message.answer(_("No customer found for this query."))
        return
    customer_id = profile.telegram_user_id
    if customer_id is None:
        await message.answer(_("This customer has not linked Telegram yet."))
        return
    language = await store.language(customer_id)
    if language is None or language not in i18n.available_locales:
        language = i18n.default_locale
    try:
        with i18n.use_locale(language):
            await bot.send_message(customer_id, _("Our shop assistant picked this for you:"))
            await presenter.send(
                bot, customer_id, ListPage(kind=None, cards=[card], page=0, staff=True)
            )
    except TelegramForbiddenError:
        await store.mark_blocked(customer_id)
        await message.answer(_("This customer has blocked the bot, so nothing was sent."))
        return
    await support.audit(
        event_from_user.id, "send", target=f"contact {profile.contact_id}", detail=card.id
    )
    await message.answer(
        html.quote(_("Sent “{name}” to customer #{id}.")).format(
            name=cut_escaped(clean(card.name or card.id), 100), id=profile.contact_id
        )
    )


async def cmd_link(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    links: DeepLinks,
    bot: Bot,
    i18n: I18n,
) -> None:
    external_id = (command.args or "").strip()
    if not external_id:
        await message.answer(html.quote(_("Usage: /link <external customer id>")))
        return
    try:
        minted = await links.mint(bot, external_id, minted_by=event_from_user.id, via="/link")
    except DeepLinkError:
        await message.answer(_("This id cannot be put into a sign-in link (too long or empty)."))
        return
    until = format_datetime(
        minted.expires_at, "yyyy-MM-dd HH:mm", tzinfo=UTC, locale=i18n.current_locale
    )
    await message.answer(
        html.quote(_("Sign-in link for {external_id}:")).format(
            external_id=html.quote(external_id)
        )
        + "\n"
        + html.quote(minted.url)
        + "\n"
        + html.quote(
            _("It works once, until {until} UTC. Give it to this customer only.").format(
                until=until
            )
        ),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def cmd_stats(
    message: Message,
    event_from_user: User,
    recommender: Recommender,
    store: BotStore,
    staff: StaffDirectory,
    support: Support,
    desk: SupportDesk,
    i18n: I18n,
) -> None:
    stats = await recommender.stats()
    audit = await store.audit_log(limit=10)
    members = await staff.member_ids()
    figures = await desk.figures()
    alerts = await store.alerts.figures(since=datetime.now(UTC) - timedelta(days=30))
    try:
        clicks = click_lines(await recommender.list_clicks(days=30))
    except RecommenderError:
        # A plain Yespo API counts no clicks; the rest of /stats stands.
        clicks = []
    await support.audit(event_from_user.id, "stats", target="")
    await message.answer(
        stats_text(
            stats,
            audit,
            len(members),
            i18n.current_locale,
            support=support_lines(figures, i18n.current_locale) + alert_lines(alerts) + clicks,
        )
    )


def _user_id(args: str | None) -> int | None:
    """The Telegram user id a staff command names first, when it is one."""
    words = (args or "").split()
    if words and words[0].isdigit() and 0 < int(words[0]) < 2**53:
        return int(words[0])
    return None


class SendingProduct(StatesGroup):
    """A staff member pressed "Send to a customer" under a product card."""

    waiting_customer = State()


class AddingStaff(StatesGroup):
    """An admin sent /staff_add alone: the next forwarded message names the new member."""

    waiting_forward = State()


async def _new_member(store: BotStore, first: str) -> BotUser | int | None:
    """The user a /staff_add argument names: a user id, or the @username of someone who has
    started the bot (as Telegram named them then)."""
    if first.isdigit() and 0 < int(first) < 2**53:
        return int(first)
    if first.startswith("@"):
        return await store.user_by_username(first)
    return None


async def cmd_staff_add(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    staff: StaffDirectory,
    support: Support,
    store: BotStore,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
) -> None:
    words = (command.args or "").split()
    if not words:
        await state.set_state(AddingStaff.waiting_forward)
        await message.answer(
            html.quote(
                _(
                    "Forward me a message from the new agent, or send "
                    "/staff_add <@username | Telegram user id> [agent | admin]."
                )
            )
        )
        return
    role_name = words[1].lower() if len(words) > 1 else Role.AGENT
    member = await _new_member(store, words[0])
    if role_name not in set(Role) or member is None:
        text = (
            _("Nobody with this @username has started the bot yet: ask them to send /start.")
            if words[0].startswith("@") and role_name in set(Role)
            else _("Usage: /staff_add <@username | Telegram user id> [agent | admin]")
        )
        await message.answer(html.quote(text))
        return
    user_id = member if isinstance(member, int) else member.telegram_user_id
    name = member.first_name if isinstance(member, BotUser) else None
    await _add_staff(
        message, event_from_user, user_id, name, Role(role_name), staff, support, bot, i18n
    )


async def on_forwarded_member(
    message: Message,
    event_from_user: User,
    state: FSMContext,
    staff: StaffDirectory,
    support: Support,
    bot: Bot,
    i18n: I18n,
) -> None:
    await state.clear()
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginUser):
        await message.answer(
            _(
                "This message does not say who sent it (their privacy settings hide it). "
                "Send /staff_add @username or their Telegram user id instead."
            )
        )
        return
    sender = origin.sender_user
    if sender.is_bot:
        await message.answer(_("A bot cannot be staff."))
        return
    await _add_staff(
        message,
        event_from_user,
        sender.id,
        sender.first_name,
        Role.AGENT,
        staff,
        support,
        bot,
        i18n,
    )


async def _add_staff(
    message: Message,
    admin: User,
    user_id: int,
    name: str | None,
    role: Role,
    staff: StaffDirectory,
    support: Support,
    bot: Bot,
    i18n: I18n,
) -> None:
    """Add the member, show them the staff commands and greet them; the admin hears whether
    the greeting reached them (it cannot before they start the bot)."""
    await staff.add(user_id, role, added_by=admin.id)
    await support.audit(admin.id, "staff_add", target=str(user_id), detail=role)
    who = html.quote(f"{name} ({user_id})" if name else str(user_id))
    greeted = await show_staff_commands(bot, i18n, user_id, role)
    if greeted:
        try:
            await bot.send_message(
                user_id,
                html.quote(
                    _("Hello! {admin} has added you to the shop's support staff ({role}).").format(
                        admin=admin.first_name, role=role.value
                    )
                )
                + "\n\n"
                + staff_help(role),
            )
        except (TelegramBadRequest, TelegramForbiddenError):
            greeted = False
    text = html.quote(_("{user_id} is now staff ({role}).")).format(user_id=who, role=role.value)
    if not greeted:
        text += "\n" + html.quote(
            _("They have not started the bot yet: they will see the staff commands when they do.")
        )
    await message.answer(text)


async def cmd_staff_remove(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    staff: StaffDirectory,
    support: Support,
    store: BotStore,
    bot: Bot,
    i18n: I18n,
) -> None:
    user_id = _user_id(command.args)
    if user_id is None:
        await message.answer(html.quote(_("Usage: /staff_remove <Telegram user id>")))
        return
    if user_id in staff.configured_admins:
        await message.answer(
            _("{user_id} is an admin from the settings (BOT_ADMINS); change it there.").format(
                user_id=user_id
            )
        )
        return
    if not await staff.remove(user_id):
        await message.answer(_("{user_id} is not staff.").format(user_id=user_id))
        return
    await support.audit(event_from_user.id, "staff_remove", target=str(user_id))
    await hide_staff_commands(bot, i18n, user_id, await store.language(user_id))
    await message.answer(_("{user_id} is no longer staff.").format(user_id=user_id))


async def cmd_admins_only(message: Message) -> None:
    """An agent tried an admin command: unlike outsiders, staff may know that it exists."""
    await message.answer(_("Only admins can add or remove staff."))


async def on_staff_list(
    query: CallbackQuery,
    callback_data: StaffCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    support: Support,
    i18n: I18n,
    bot: Bot,
    store: BotStore,
    presenter: CardPresenter,
) -> None:
    kind = callback_data.kind
    profile = await support.profile(callback_data.contact)
    chat_id = query.message.chat.id if query.message is not None else event_from_user.id
    if kind is None or profile is None:
        callback_answer.text = _("No customer found for this query.")
        callback_answer.show_alert = True
        return
    if callback_data.action == "v":
        cards = await support.view_list(event_from_user.id, profile.contact_id, kind)
        await bot.send_message(
            chat_id,
            compact_list_text(kind, profile, cards, i18n.current_locale),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return
    await _send_to_customer(
        bot, chat_id, event_from_user, profile, kind, support, store, presenter, i18n
    )


async def _send_to_customer(
    bot: Bot,
    staff_chat_id: int,
    agent: User,
    profile: CustomerProfile,
    kind: ListKind,
    support: Support,
    store: BotStore,
    presenter: CardPresenter,
    i18n: I18n,
) -> None:
    customer_id = profile.telegram_user_id
    if customer_id is None:
        await support.audit_send(agent.id, profile.contact_id, kind, "not linked")
        await bot.send_message(staff_chat_id, _("This customer has not linked Telegram yet."))
        return
    sent = None
    if not await store.is_blocked(customer_id):
        sent = await _deliver(bot, customer_id, profile, kind, support, store, presenter, i18n)
    if sent is None:
        await support.audit_send(agent.id, profile.contact_id, kind, "blocked")
        await bot.send_message(
            staff_chat_id, _("This customer has blocked the bot, so nothing was sent.")
        )
        return
    await support.audit_send(agent.id, profile.contact_id, kind, f"sent {sent} products")
    await bot.send_message(
        staff_chat_id,
        html.quote(_("Sent “{list}” to customer #{id}.")).format(
            list=html.quote(list_title(kind)), id=profile.contact_id
        ),
    )


async def _deliver(
    bot: Bot,
    customer_id: int,
    profile: CustomerProfile,
    kind: ListKind,
    support: Support,
    store: BotStore,
    presenter: CardPresenter,
    i18n: I18n,
) -> int | None:
    """The list in the customer's language: how many products went out, or None when the
    customer turns out to have blocked the bot (which is then remembered)."""
    cards = await support.list_for_customer(profile, kind)
    language = await store.language(customer_id)
    if language is None or language not in i18n.available_locales:
        language = i18n.default_locale
    try:
        with i18n.use_locale(language):
            await bot.send_message(customer_id, _("Our shop assistant picked these for you:"))
            await presenter.send(
                bot, customer_id, ListPage(kind=kind, cards=cards, page=0, staff=True)
            )
    except TelegramForbiddenError:
        await store.mark_blocked(customer_id)
        return None
    return len(cards)


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    # Commands only: a customer's menu press never costs a staff lookup.
    router.message.filter(F.text.startswith("/"), IsStaff())
    router.callback_query.filter(IsStaff())
    router.message.register(cmd_find, Command("find"))
    router.message.register(cmd_recs, Command("recs"))
    router.message.register(cmd_product, Command("product"))
    router.message.register(cmd_link, Command("link"))
    router.message.register(cmd_stats, Command("stats"))
    is_admin = MagicData(F.role == Role.ADMIN)
    router.message.register(cmd_staff_add, Command("staff_add"), is_admin)
    router.message.register(cmd_staff_remove, Command("staff_remove"), is_admin)
    router.message.register(cmd_admins_only, Command("staff_add", "staff_remove"))
    router.callback_query.register(on_send_product_pressed, ProductSendCB.filter())
    router.callback_query.register(on_staff_list, StaffCB.filter())
    router.callback_query.register(on_customer_picked, CustomerPickCB.filter())
    return router


def create_steps_router() -> Router:
    """The next message of a staff step begun by a command or a button (a forwarded message, a
    customer's identifier): no command, so not for the commands' router."""
    router = Router(name=__name__ + ".steps")
    router.message.filter(IsStaff(), ~F.text.startswith("/"))
    router.message.register(
        on_forwarded_member,
        StateFilter(AddingStaff.waiting_forward),
        MagicData(F.role == Role.ADMIN),
    )
    router.message.register(
        on_product_customer, StateFilter(SendingProduct.waiting_customer), F.text
    )
    return router
