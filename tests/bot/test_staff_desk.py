"""What staff found lacking: their own /start and /help, a menu by role, adding an agent by
@username or a forwarded message, /recs naming an unknown list, /find with product names and
prices, and a product card with its id, category, stock and a button to send it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.records import BotStore, Role
from tests.bot.chat import DMYTRO, IRYNA, OLENA, TARAS, Chat
from tests.bot.telegram import RecordingSession


async def test_staff_start_and_help_show_the_staff_commands(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(IRYNA, "/start")
    greeting = session.last(IRYNA.id).visible
    assert "support staff (admin)" in greeting
    assert "/find" in greeting
    assert "/staff_add" in greeting
    assert "I pick products" not in greeting
    await chat.send(IRYNA, "/help")
    assert "/queue" in session.last(IRYNA.id).visible
    await chat.send(TARAS, "/help")
    assert "/find" not in session.last(TARAS.id).visible


async def test_agents_do_not_see_admin_commands(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await store.add_staff(DMYTRO.id, Role.AGENT, added_by=IRYNA.id)
    await chat.send(DMYTRO, "/start")
    await chat.send(IRYNA, "/start")
    agent_menu = session.commands[("chat", DMYTRO.id, None)]
    assert "find" in agent_menu
    assert "staff_add" not in agent_menu
    assert "staff_add" not in session.last(DMYTRO.id).visible
    assert "staff_add" in session.commands[("chat", IRYNA.id, None)]


async def test_staff_add_by_username_greets_the_new_agent(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(IRYNA, "/staff_add @nobody_here")
    assert "has started the bot" in session.last(IRYNA.id).visible
    await chat.send(OLENA, "/start")
    await chat.send(IRYNA, "/staff_add @Olena_K")
    assert await store.staff_role(OLENA.id) is Role.AGENT
    assert "Olena" in session.last(IRYNA.id).visible
    assert "is now staff" in session.last(IRYNA.id).visible
    greeting = session.last(OLENA.id).visible
    assert "Iryna" in greeting
    assert "/find" in greeting


async def test_staff_add_by_a_forwarded_message(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(IRYNA, "/staff_add")
    assert "Forward me a message" in session.last(IRYNA.id).visible
    forwarded = chat._message(
        IRYNA,
        text="hi, it's me",
        forward_origin={
            "type": "user",
            "date": int(datetime.now(UTC).timestamp()),
            "sender_user": TARAS.user(),
        },
    )
    await chat.feed(forwarded)
    assert await store.staff_role(TARAS.id) is Role.AGENT
    assert "is now staff" in session.last(IRYNA.id).visible
    assert "support staff" in session.last(TARAS.id).visible

    await chat.send(IRYNA, "/staff_add")
    hidden = chat._message(
        IRYNA,
        text="hidden",
        forward_origin={
            "type": "hidden_user",
            "date": int(datetime.now(UTC).timestamp()),
            "sender_user_name": "Somebody",
        },
    )
    await chat.feed(hidden)
    assert "privacy settings" in session.last(IRYNA.id).visible


async def test_recs_names_an_unknown_list(chat: Chat, session: RecordingSession) -> None:
    await chat.send(IRYNA, "/recs olena-001 favourites")
    said = session.last(IRYNA.id).visible
    assert "no list “favourites”" in said
    assert "bestsellers" in said
    await chat.send(IRYNA, "/recs nobody-999 bestsellers")
    assert "No customer found" in session.last(IRYNA.id).visible


async def test_find_shows_products_by_name_and_price(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(IRYNA, "/find olena-001")
    found = session.last(IRYNA.id).visible
    assert "Meeting That Could Have Been an Email Mug (€28.00)" in found
    assert "€" in found.split("O-2")[1].split("\n")[0], "the order's total"


async def test_a_staff_product_card_sends_to_a_customer(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    await chat.send(IRYNA, "/product mug-1")
    detail = session.last(IRYNA.id)
    assert "Id: mug-1" in detail.visible
    assert "Category:" in detail.visible
    assert "Stock: In stock" in detail.visible
    await chat.press(IRYNA, detail, "Send to a customer")
    assert "To whom?" in session.last(IRYNA.id).visible
    before = len(session.chat(OLENA.id))
    await chat.send(IRYNA, "olena-001")
    sent = session.chat(OLENA.id)[before:]
    assert "Наш консультант" in sent[0].visible
    assert "Meeting That Could Have Been an Email Mug" in sent[1].visible
    assert "Sent “Meeting That Could Have Been an Email Mug”" in session.last(IRYNA.id).visible
