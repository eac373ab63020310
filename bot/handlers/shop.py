"""A customer's orders, the products they saved with ❤️, and ❤️ Save under every card."""

from __future__ import annotations

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.cards import clean
from bot.edits import is_done_already, is_gone
from bot.filters import MenuButton
from bot.keyboards.callbacks import OrderItemCB, SaveCB, SavedCB
from bot.keyboards.cards import save_button
from bot.keyboards.menu import MY_ORDERS_BUTTON, SAVED_BUTTON, label
from bot.lists import Lists
from bot.ports import ProductCard
from bot.presenter import CardPresenter, ListPage
from bot.refs import ProductRefs
from bot.shop import Shop, order_products, orders_text

NAME_IN_BUTTON = 60


def saved_page(cards: list[ProductCard], page: int) -> ListPage:
    return ListPage(
        kind=None,
        cards=cards,
        page=page,
        title=label(*SAVED_BUTTON),
        pager=lambda number: SavedCB(page=number, here=True).pack(),
        empty=html.quote(
            _("❤️ Saved: nothing here yet. Tap ❤️ Save under any product to keep it here.")
        ),
        campaign="saved",
    )


async def on_my_orders(
    message: Message,
    event_from_user: User,
    shop: Shop,
    lists: Lists,
    refs: ProductRefs,
    i18n: I18n,
) -> None:
    orders = await shop.my_orders(event_from_user.id)
    if not orders.linked:
        await message.answer(
            html.quote(
                _(
                    "Share your phone number with the button below, and I will find your "
                    "orders in the shop."
                )
            ),
            reply_markup=await lists.menu(event_from_user.id),
        )
        return
    if orders.profile is None or not orders.profile.orders:
        await message.answer(
            html.quote(
                _("📦 No orders yet. Your orders in the shop will show here once you place one.")
            )
        )
        return
    builder = InlineKeyboardBuilder()
    for card in order_products(orders):
        name = clean(card.name) or clean(card.id)
        builder.button(
            text="📦 " + name[:NAME_IN_BUTTON],
            callback_data=OrderItemCB(ref=await refs.encode(card.id)),
        )
    builder.adjust(1)
    await message.answer(
        orders_text(orders, i18n.current_locale), reply_markup=builder.as_markup()
    )


async def on_order_item(
    query: CallbackQuery,
    callback_data: OrderItemCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    shop: Shop,
    refs: ProductRefs,
    presenter: CardPresenter,
    bot: Bot,
) -> None:
    product_id = await refs.decode(callback_data.ref)
    card = await shop.product(product_id) if product_id is not None else None
    if card is None:
        callback_answer.text = _("This product is no longer in the shop.")
        return
    view = ListPage(
        kind=None,
        cards=[card],
        page=0,
        title="📦 " + _("From your orders"),
        campaign="orders",
        shop_label="🔁 " + _("Buy again"),
    )
    chat_id = query.message.chat.id if query.message is not None else event_from_user.id
    await presenter.send(bot, chat_id, view)


async def on_saved_menu(
    message: Message, event_from_user: User, shop: Shop, presenter: CardPresenter, bot: Bot
) -> None:
    cards = await shop.saved(event_from_user.id)
    await presenter.send(bot, message.chat.id, saved_page(cards, 0))


async def on_saved_page(
    query: CallbackQuery,
    callback_data: SavedCB,
    event_from_user: User,
    shop: Shop,
    presenter: CardPresenter,
    bot: Bot,
) -> None:
    view = saved_page(await shop.saved(event_from_user.id), callback_data.page)
    message = query.message
    if isinstance(message, Message) and callback_data.here:
        await presenter.replace(bot, message, view)
    else:
        chat_id = message.chat.id if message is not None else event_from_user.id
        await presenter.send(bot, chat_id, view)


def _flipped(markup: InlineKeyboardMarkup | None, ref: str, saved: bool) -> InlineKeyboardMarkup:
    """The card's buttons with its ❤️ button showing ``saved``."""
    rows: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard if markup is not None else []:
        rows.append(
            [
                save_button(ref, saved=saved)
                if button.callback_data is not None
                and button.callback_data.startswith(SaveCB.__prefix__ + ":")
                else button
                for button in row
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def on_save(
    query: CallbackQuery,
    callback_data: SaveCB,
    callback_answer: CallbackAnswer,
    event_from_user: User,
    shop: Shop,
    refs: ProductRefs,
    bot: Bot,
) -> None:
    product_id = await refs.decode(callback_data.ref)
    if product_id is None:
        callback_answer.text = _("This button has expired.")
        return
    await shop.set_saved(event_from_user.id, product_id, callback_data.on)
    callback_answer.text = (
        "❤️ " + _("Saved. Find it under ❤️ Saved in the menu.")
        if callback_data.on
        else _("Removed from saved.")
    )
    message = query.message
    if not isinstance(message, Message):
        return
    markup = _flipped(message.reply_markup, callback_data.ref, callback_data.on)
    if (
        message.reply_markup is not None
        and markup.model_dump() == message.reply_markup.model_dump()
    ):
        return  # a double tap: the button shows it already
    try:
        await bot.edit_message_reply_markup(
            chat_id=message.chat.id, message_id=message.message_id, reply_markup=markup
        )
    except TelegramBadRequest as error:
        if not (is_done_already(error) or is_gone(error)):
            raise


def create_router() -> Router:
    """A fresh router: one per dispatcher (a router can join only one)."""
    router = Router(name=__name__)
    router.message.register(on_my_orders, F.text, MenuButton(*MY_ORDERS_BUTTON))
    router.message.register(on_saved_menu, F.text, MenuButton(*SAVED_BUTTON))
    router.callback_query.register(on_order_item, OrderItemCB.filter())
    router.callback_query.register(on_saved_page, SavedCB.filter())
    router.callback_query.register(on_save, SaveCB.filter())
    return router
