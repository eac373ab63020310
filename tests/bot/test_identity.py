"""Who may be linked to a shop customer: deep links that expire and work once, a linked
contact that only its owner's own phone number can take back, honest answers, and /forget
removing exactly what the bot added."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from aiogram.methods import EditMessageText

from bot.keyboards.callbacks import ForgetCB
from bot.ports import CustomerKey
from bot.records import BotStore
from recoms.domain import Identity
from recoms.service import RecomsService
from tests.bot.chat import IRYNA, OKSANA, OLENA, STRANGER, TARAS, Chat, Person
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import RecordingSession

MOVED = "linked to another Telegram account"


async def mint(chat: Chat, session: RecordingSession, external_id: str) -> str:
    """A deep link's payload, as an agent gets it with /link."""
    await chat.send(IRYNA, f"/link {external_id}")
    link = next(word for word in session.last(IRYNA.id).visible.split() if "start=" in word)
    return link.split("start=")[1]


def linked_to(engine: FakeEngine, external_id: str) -> int | None:
    contact = engine.find(CustomerKey(external_id=external_id))
    assert contact is not None
    return contact.telegram_user_id


async def test_a_deep_link_links_once_and_a_second_opening_is_refused(
    chat: Chat, session: RecordingSession, engine: FakeEngine, store: BotStore
) -> None:
    payload = await mint(chat, session, "olena-001")
    await chat.send(OLENA, f"/start {payload}")
    assert "Ваш акаунт магазину прив'язано" in session.last(OLENA.id).visible

    for second in (STRANGER, OKSANA, OLENA):
        await chat.send(second, f"/start {payload}")
        answer = session.last(second.id).visible
        expected = "вже використано" if second.language_code == "uk" else "already been used"
        assert expected in answer, answer
        assert "linked to this chat" not in answer
        assert "прив'язано до цього чату" not in answer
    assert linked_to(engine, "olena-001") == OLENA.id
    stranger = await store.user(STRANGER.id)
    assert stranger is None or stranger.contact_id is None

    attempts = [e for e in await store.audit_log() if e.action == "link_reused"]
    assert [e.actor_id for e in attempts] == [OLENA.id, OKSANA.id, STRANGER.id]
    assert all(str(OLENA.id) in e.detail for e in attempts), attempts
    assert all("olena-001" in e.target for e in attempts)


async def test_after_someone_else_opens_her_link_the_agents_send_still_reaches_her(
    chat: Chat, session: RecordingSession
) -> None:
    payload = await mint(chat, session, "olena-001")
    await chat.send(OLENA, f"/start {payload}")
    await chat.send(STRANGER, f"/start {payload}")
    before = len(session.chat(STRANGER.id))
    await chat.send(IRYNA, "/find olena-001")
    await chat.press(IRYNA, session.last(IRYNA.id), "Send")
    assert "Наш консультант дібрав для вас" in session.chat(OLENA.id)[-2].visible
    assert len(session.chat(STRANGER.id)) == before


async def test_a_deep_link_expires(
    chat: Chat, session: RecordingSession, engine: FakeEngine, store: BotStore
) -> None:
    payload = await mint(chat, session, "olena-001")
    links = chat.dp["links"]
    opened_at = links.clock() + timedelta(hours=72, minutes=1)
    links.clock = lambda: opened_at
    await chat.send(OLENA, f"/start {payload}")
    assert "Термін дії цього посилання минув" in session.last(OLENA.id).visible
    assert linked_to(engine, "olena-001") is None
    assert await store.user(OLENA.id) is None or (await store.user(OLENA.id)).contact_id is None  # type: ignore[union-attr]


async def test_a_link_fits_telegram_and_names_no_customer(
    chat: Chat, session: RecordingSession
) -> None:
    payload = await mint(chat, session, "olena-001")
    assert 1 <= len(payload) <= 64
    assert set(payload) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    assert "olena" not in payload.lower()
    assert payload != await mint(chat, session, "olena-001"), "every link is new"


async def test_a_contact_linked_to_someone_else_is_never_moved_by_a_deep_link(
    chat: Chat, session: RecordingSession, engine: FakeEngine, store: BotStore
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    payload = await mint(chat, session, "olena-001")
    await chat.send(STRANGER, f"/start {payload}")
    answer = session.last(STRANGER.id).visible
    assert "already linked to another Telegram account" in answer
    assert linked_to(engine, "olena-001") == OLENA.id
    olena = await store.user(OLENA.id)
    assert olena is not None
    assert olena.contact_id is not None
    refused = [e for e in await store.audit_log() if e.action == "link_refused"]
    assert len(refused) == 1
    assert refused[0].actor_id == STRANGER.id
    assert str(OLENA.id) in refused[0].detail


async def test_her_own_phone_takes_the_account_back_and_the_other_chat_is_told(
    chat: Chat, session: RecordingSession, engine: FakeEngine, store: BotStore
) -> None:
    payload = await mint(chat, session, "olena-001")
    await chat.send(STRANGER, f"/start {payload}")  # a forwarded link, opened first
    assert linked_to(engine, "olena-001") == STRANGER.id

    await chat.share_contact(OLENA, "+380501110001")
    assert "Дякую, Olena!" in session.last(OLENA.id).visible
    assert linked_to(engine, "olena-001") == OLENA.id
    told = session.last(STRANGER.id).visible
    assert "no longer linked" in told, told
    stranger = await store.user(STRANGER.id)
    assert stranger is not None
    assert stranger.contact_id is None
    moved = [e for e in await store.audit_log() if e.action == "link_moved"]
    assert len(moved) == 1
    assert moved[0].actor_id == OLENA.id
    assert str(STRANGER.id) in moved[0].detail
    assert str(OLENA.id) in moved[0].detail


async def test_an_unknown_phone_is_told_honestly(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    await chat.share_contact(TARAS, "+380501110002")
    answer = session.last(TARAS.id).visible
    assert "We don't know this number yet" in answer
    assert "appear here after your first order" in answer
    assert "Your shop account is linked" not in answer
    await chat.share_contact(OLENA, "+380501110001")
    assert "Ваш акаунт магазину прив'язано" in session.last(OLENA.id).visible


async def forget(chat: Chat, session: RecordingSession, person: Person) -> str:
    await chat.send(person, "/forget")
    requests = await chat.press_data(
        person, session.last(person.id), ForgetCB(confirm=True).pack()
    )
    edits = [r for r in requests if isinstance(r, EditMessageText)]
    assert edits, requests
    return session.messages[(person.id, edits[0].message_id or 0)].visible


async def test_forget_deletes_a_customer_the_bot_created(
    chat: Chat, session: RecordingSession, engine: FakeEngine, store: BotStore
) -> None:
    await chat.share_contact(TARAS, "+380501110002")
    assert engine.find(CustomerKey(phone="+380501110002")) is not None
    done = await forget(chat, session, TARAS)
    assert "the shop account I created for you" in done
    assert engine.find(CustomerKey(phone="+380501110002")) is None
    assert engine.find(CustomerKey(telegram_user_id=TARAS.id)) is None
    assert await store.user(TARAS.id) is None


async def test_forget_removes_the_phone_and_name_it_added_and_keeps_the_shops_data(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    # c-002 is a shop customer known by external id only, with two orders.
    payload = await mint(chat, session, "c-002")
    await chat.send(STRANGER, f"/start {payload}")
    await chat.share_contact(STRANGER, "+380501110003", first_name="Stepan")
    customer = engine.find(CustomerKey(external_id="c-002"))
    assert customer is not None
    assert (customer.phone, customer.name) == ("+380501110003", "Stepan")

    done = await forget(chat, session, STRANGER)
    assert "the phone number I added" in done
    assert "the name I added" in done
    assert "stays with the shop" in done
    customer = engine.find(CustomerKey(external_id="c-002"))
    assert customer is not None, "the shop's own customer stays"
    assert (customer.phone, customer.name, customer.telegram_user_id) == (None, None, None)
    profile = await engine.profile(CustomerKey(external_id="c-002"))
    assert profile is not None
    assert [order.number for order in profile.orders] == ["O-4", "O-3"]


async def test_forget_leaves_the_shops_own_phone(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    done = await forget(chat, session, OLENA)
    assert "номер телефону, який я додав" not in done
    olena = engine.find(CustomerKey(external_id="olena-001"))
    assert olena is not None
    assert (olena.phone, olena.email) == ("+380501110001", "olena@example.com")
    assert olena.telegram_user_id is None


async def test_find_shows_who_is_linked_and_the_link_history(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(IRYNA, "/find olena-001")
    assert "Telegram: not linked" in session.last(IRYNA.id).visible

    await chat.share_contact(OLENA, "+380501110001")
    payload = await mint(chat, session, "olena-001")
    await chat.send(STRANGER, f"/start {payload}")  # refused: she is linked
    await chat.send(IRYNA, "/find olena-001")
    found = session.last(IRYNA.id)
    assert "Olena" in found.visible
    assert "@olena_k" in found.visible
    assert 'href="tg://user?id=100001"' in (found.text or "")
    history = found.visible.split("Link history")[1]
    assert "own phone" in history
    assert str(STRANGER.id) in history


@pytest.mark.engine
async def test_the_same_rules_on_the_real_engine(
    chat: Chat, session: RecordingSession, service: RecomsService
) -> None:
    """On the embedded engine: a created customer goes, a shop's stays; a deep link never
    moves a linked customer."""
    await chat.share_contact(TARAS, "+380501110002")
    assert "We don't know this number yet" in session.last(TARAS.id).visible
    done = await forget(chat, session, TARAS)
    assert "the shop account I created for you" in done
    assert await service.find_contact(Identity(phone="+380501110002")) is None

    payload = await mint(chat, session, "c-002")
    await chat.send(STRANGER, f"/start {payload}")
    await chat.share_contact(STRANGER, "+380501110003", first_name="Stepan")
    before = copy.copy(await service.find_contact(Identity(external_id="c-002")))
    assert before is not None
    assert (before.phone, before.name) == ("+380501110003", "Stepan")
    await forget(chat, session, STRANGER)
    after = await service.find_contact(Identity(external_id="c-002"))
    assert after is not None
    assert (after.phone, after.name, after.telegram_user_id) == (None, None, None)
    profile = await service.contact_profile(Identity(external_id="c-002"))
    assert [order.number for order in profile.last_orders] == ["O-4", "O-3"]

    # A linked customer is not moved by a deep link, only by her own phone.
    await chat.share_contact(OLENA, "+380501110001")
    await chat.send(STRANGER, "/start " + await mint(chat, session, "olena-001"))
    assert "already linked to another Telegram account" in session.last(STRANGER.id).visible
    olena = await service.find_contact(Identity(external_id="olena-001"))
    assert olena is not None
    assert olena.telegram_user_id == OLENA.id
