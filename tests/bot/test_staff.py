"""Staff commands: only staff see and use them; lookups and sends are written to the audit log."""

from __future__ import annotations

import logging

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage, SendPhoto

from bot.commands import register_commands
from bot.links import Opened
from bot.records import BotStore, Role
from recoms.service import RecomsService
from tests.bot.chat import IRYNA, OLENA, TARAS, Chat
from tests.bot.telegram import BOT_USERNAME, RecordingSession

STAFF_COMMANDS = [
    "/find +380501110001",
    "/recs olena-001",
    "/product mug-1",
    "/link olena-001",
    "/stats",
    "/staff_add 100002",
    "/staff_remove 900001",
]


@pytest.mark.parametrize("command", STAFF_COMMANDS)
async def test_non_staff_get_the_unknown_command_answer(
    command: str, chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(TARAS, "/no_such_command")
    unknown = session.last(TARAS.id).visible
    requests = await chat.send(TARAS, command)
    assert [type(r) for r in requests] == [SendMessage]
    assert session.last(TARAS.id).visible == unknown
    assert "do not know this command" in unknown
    assert await store.audit_log() == []


async def test_staff_commands_are_registered_for_staff_chats_only(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "/start")
    await chat.send(IRYNA, "/start")
    scopes = set(session.commands)
    assert ("chat", IRYNA.id, None) in scopes
    assert ("chat", IRYNA.id, "uk") in scopes
    assert "find" in session.commands[("chat", IRYNA.id, None)]
    assert not any(chat_id == TARAS.id for _, chat_id, _ in scopes)


async def test_find_shows_the_customer_and_their_lists(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(IRYNA, "/find +380 50 111 0001")
    found = session.last(IRYNA.id)
    assert "Customer #" in found.visible
    assert "olena-001" in found.visible
    assert "O-2" in found.visible  # the last orders, newest first
    assert found.visible.index("O-2") < found.visible.index("O-1")
    assert "Telegram: not linked" in found.visible
    labels = [text for text, _, _ in found.buttons()]
    assert "✨ New for you" in labels
    assert not any("Send" in label for label in labels), "nothing to send to an unlinked chat"

    await chat.press(IRYNA, found, "Popular now")
    assert "Meeting That Could Have Been an Email Mug" in session.last(IRYNA.id).visible

    for query in ("olena@example.com", "olena-001", "#" + found.visible.split("#")[1].split()[0]):
        await chat.send(IRYNA, f"/find {query}")
        assert "olena-001" in session.last(IRYNA.id).visible, query
    await chat.send(IRYNA, "/find nobody-999")
    assert "No customer found" in session.last(IRYNA.id).visible

    audit = await store.audit_log()
    assert [entry.action for entry in audit][-2:] == ["view", "find"]
    first_find = audit[-1]
    assert first_find.actor_id == IRYNA.id
    assert "+380501110001" not in first_find.detail
    assert "0001" in first_find.detail  # masked, not dropped
    assert any("olena@example.com" not in e.detail and "@example.com" in e.detail for e in audit)


async def test_an_agent_sends_a_list_to_the_customers_chat(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    await chat.send(IRYNA, "/find olena-001")
    found = session.last(IRYNA.id)
    assert "Telegram: linked" in found.visible
    before = len(session.chat(OLENA.id))
    await chat.press(IRYNA, found, "Send")  # the first Send: Buy again
    olena_chat = session.chat(OLENA.id)
    assert len(olena_chat) == before + 2
    assert "Наш консультант дібрав для вас" in olena_chat[-2].visible  # in her language
    assert "🔄 Купити знову" in olena_chat[-1].visible
    assert "▶" in [text for text, _, _ in olena_chat[-1].buttons()]
    assert "Sent" in session.last(IRYNA.id).visible
    sends = [entry for entry in await store.audit_log() if entry.action == "send"]
    assert len(sends) == 1
    assert sends[0].actor_id == IRYNA.id
    assert "buy_again" in sends[0].detail

    # Olena pages the list she was sent, in her own chat.
    await chat.press(OLENA, olena_chat[-1], "▶")
    assert "2/" in " ".join(text for text, _, _ in session.last(OLENA.id).buttons())


async def test_nothing_is_sent_to_a_customer_who_blocked_the_bot(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    await chat.block(OLENA)
    assert await store.is_blocked(OLENA.id)
    await chat.send(IRYNA, "/find olena-001")
    requests = await chat.press(IRYNA, session.last(IRYNA.id), "Send")
    assert not [r for r in requests if getattr(r, "chat_id", None) == OLENA.id]
    assert "blocked the bot" in session.last(IRYNA.id).visible
    assert (await store.audit_log())[0].detail.endswith("blocked")

    # Unblocking is recorded too, and sends work again.
    await chat.block(OLENA, blocked=False)
    assert not await store.is_blocked(OLENA.id)


async def test_a_block_telegram_reports_on_send_is_recorded(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    session.blocked_chats.add(OLENA.id)  # blocked, but no update about it reached the bot
    await chat.send(IRYNA, "/find olena-001")
    await chat.press(IRYNA, session.last(IRYNA.id), "Send")
    assert "blocked the bot" in session.last(IRYNA.id).visible
    assert await store.is_blocked(OLENA.id)
    # The next send skips her without asking Telegram.
    await chat.send(IRYNA, "/find olena-001")
    requests = await chat.press(IRYNA, session.last(IRYNA.id), "Send")
    assert not [r for r in requests if getattr(r, "chat_id", None) == OLENA.id]


async def test_recs_product_link_and_stats(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(IRYNA, "/recs olena-001 bestsellers")
    text = session.last(IRYNA.id).visible
    assert "Popular now" in text
    assert "1. Meeting That Could Have Been an Email Mug · €28.00 · ✅" in text

    await chat.send(IRYNA, "/product lamp-1")
    card, detail = session.chat(IRYNA.id)[-2:]
    assert "Stock: Out of stock" in detail.visible
    assert "Lamp of Lost Hope" in card.visible
    assert "⛔ Out of stock" in card.visible
    await chat.press(IRYNA, card, "Alternatives")
    alternatives = session.last(IRYNA.id).visible
    assert "Alternatives" in alternatives
    assert "Lamp of" in alternatives
    assert alternatives.startswith("🔁 Alternatives to Lamp of Lost Hope\n")
    assert "Lamp of Lost Hope" not in alternatives.split("\n", 1)[1]
    await chat.send(IRYNA, "/product no-such-product")
    assert "No product with this id" in session.last(IRYNA.id).visible
    await chat.send(IRYNA, "/product lamp")
    suggestions = session.last(IRYNA.id).visible
    assert "similar names" in suggestions
    assert "lamp-2 · Lamp of Renewed Hope" in suggestions

    await chat.send(IRYNA, "/link olena-001")
    answer = session.last(IRYNA.id).visible
    assert "It works once, until" in answer
    link = next(word for word in answer.split() if "start=" in word)
    assert link.startswith(f"https://t.me/{BOT_USERNAME}?start=")
    opened = await chat.dp["links"].open(link.split("start=")[1], TARAS.id)
    assert (opened.outcome, opened.external_id) == (Opened.LINKED, "olena-001")

    await chat.send(IRYNA, "/stats")
    stats = session.last(IRYNA.id).visible
    assert "Catalogue: 10 products, 9 in stock (90%)" in stats
    assert "Model built" in stats
    assert "personal: 0.4100 on recent orders, 0.3800 with the defaults" in stats
    assert "Recent staff actions" in stats
    assert "link external olena-001 via /link" in stats
    actions = [entry.action for entry in await store.audit_log()]
    assert actions[:4] == ["stats", "link", "product", "product"]


async def test_admins_add_and_remove_agents(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.send(IRYNA, "/staff_add 100002")
    assert "100002 is now staff (agent)" in session.last(IRYNA.id).visible
    assert "find" in session.commands[("chat", TARAS.id, None)]
    await chat.send(TARAS, "/find olena-001")
    assert "olena-001" in session.last(TARAS.id).visible
    await chat.send(TARAS, "/staff_add 100003")
    assert "Only admins" in session.last(TARAS.id).visible

    await chat.send(IRYNA, "/staff_remove 900001")
    assert "admin from the settings" in session.last(IRYNA.id).visible
    await chat.send(IRYNA, "/staff_remove 100002")
    assert "100002 is no longer staff" in session.last(IRYNA.id).visible
    assert ("chat", TARAS.id, None) not in session.commands
    await chat.send(TARAS, "/find olena-001")
    assert "do not know this command" in session.last(TARAS.id).visible
    actions = [entry.action for entry in await store.audit_log()]
    assert "staff_add" in actions
    assert "staff_remove" in actions


async def test_staff_usage_answers(chat: Chat, session: RecordingSession) -> None:
    for command, usage in (
        ("/find", "Usage: /find"),
        ("/recs", "Usage: /recs"),
        ("/product", "Usage: /product"),
        ("/link", "Usage: /link"),
        ("/staff_add x", "Usage: /staff_add"),
        ("/staff_remove", "Usage: /staff_remove"),
    ):
        requests = await chat.send(IRYNA, command)
        assert [type(r) for r in requests] == [SendMessage]
        assert usage in session.last(IRYNA.id).visible, command
    assert not session.calls(SendPhoto)


async def test_logs_never_carry_full_phone_numbers_or_emails(
    chat: Chat, session: RecordingSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what production logs (libraries log SQL at DEBUG)
    await chat.share_contact(OLENA, "380501110001")
    await chat.send(IRYNA, "/find +380501110001")
    await chat.send(IRYNA, "/find olena@example.com")
    await chat.press(IRYNA, session.last(IRYNA.id), "Send")
    assert "linked to contact" in caplog.text
    for secret in ("380501110001", "olena@example.com", "0501110001"):
        assert secret not in caplog.text


async def test_at_start_everyone_gets_the_customer_commands_and_staff_theirs(
    dispatcher: Dispatcher, bot: Bot, session: RecordingSession, store: BotStore
) -> None:
    await store.add_staff(TARAS.id, Role.AGENT, added_by=IRYNA.id)
    await register_commands(bot, dispatcher)
    assert session.commands[("default", None, None)] == [
        "start",
        "menu",
        "alerts",
        "language",
        "forget",
        "help",
    ]
    assert ("default", None, "uk") in session.commands
    for member in (IRYNA.id, TARAS.id):
        assert "stats" in session.commands[("chat", member, None)]
    assert not any(
        "find" in commands
        for (kind, _, _), commands in session.commands.items()
        if kind == "default"
    )


# --- /find by name -------------------------------------------------------------------------


@pytest.mark.engine
async def test_find_by_name_shows_one_customer_or_a_list_to_pick_from(
    chat: Chat, session: RecordingSession, store: BotStore, service: RecomsService
) -> None:
    await service.upsert_contact(external_id="olena-001", name="Олена Коваль")
    await service.upsert_contact(external_id="c-002", name="Олег Ковальчук")
    await service.upsert_contact(external_id="c-003", name="Iryna Shevchenko")

    await chat.send(IRYNA, "/find олена")
    found = session.last(IRYNA.id)
    assert "Customer #" in found.visible
    assert "olena-001" in found.visible
    assert "O-2" in found.visible  # the whole profile, orders included

    await chat.send(IRYNA, "/find КОВАЛ")
    picks = session.last(IRYNA.id)
    assert "2 customers match" in picks.visible
    labels = [text for text, _, _ in picks.buttons()]
    assert len(labels) == 2
    assert labels[0].startswith("Олег Ковальчук · c-002 · #")
    assert labels[1].startswith("Олена Коваль · +380501110001 · #")
    await chat.press(IRYNA, picks, "Олег Ковальчук")
    picked = session.last(IRYNA.id)
    assert "c-002" in picked.visible
    assert "O-4" in picked.visible
    await chat.press(IRYNA, picked, "Popular now")
    assert "Mug" in session.last(IRYNA.id).visible

    await chat.send(IRYNA, "/find Taras Nobody")
    assert "No customer found" in session.last(IRYNA.id).visible
    await chat.send(IRYNA, "/find o")
    assert "No customer found" in session.last(IRYNA.id).visible

    finds = [entry for entry in await store.audit_log() if entry.action == "find"]
    assert [entry.detail.endswith("(2 found)") for entry in finds].count(True) == 1
    assert any(entry.target.startswith("contact ") and not entry.detail for entry in finds)
