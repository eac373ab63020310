"""Only the customer's own number or a deep link the shop made links a chat to a customer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.deeplinks import new_token
from bot.links import DeepLinks
from bot.ports import CustomerKey
from bot.records import BotStore
from tests.bot.chat import OLENA, STRANGER, TARAS, Chat
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import RecordingSession


async def test_someone_elses_contact_is_refused(
    chat: Chat, session: RecordingSession, engine: FakeEngine, store: BotStore
) -> None:
    # Taras shares Olena's contact card (it carries her user id, not his).
    await chat.share_contact(TARAS, OLENA.phone or "", owner_id=OLENA.id, first_name="Olena")
    assert "share your own phone number" in session.last(TARAS.id).visible
    olena = engine.find(CustomerKey(phone="+380501110001"))
    assert olena is not None
    assert olena.telegram_user_id is None
    assert await store.user(TARAS.id) is None

    # A contact card without any Telegram user behind it is refused as well.
    await chat.share_contact(TARAS, "+380501110009", no_owner=True)
    assert "share your own phone number" in session.last(TARAS.id).visible
    assert engine.find(CustomerKey(phone="+380501110009")) is None


async def test_an_unreadable_number_gets_a_clear_answer(
    chat: Chat, session: RecordingSession, store: BotStore
) -> None:
    await chat.share_contact(STRANGER, "12")
    assert "could not read this phone number" in session.last(STRANGER.id).visible
    assert await store.user(STRANGER.id) is None


async def mint(chat: Chat, external_id: str) -> str:
    links: DeepLinks = chat.dp["links"]
    return (await links.mint(chat.bot, external_id, minted_by=None, via="api")).token


async def test_a_deep_link_links_the_chat(
    chat: Chat, session: RecordingSession, engine: FakeEngine, store: BotStore
) -> None:
    payload = await mint(chat, "olena-001")
    await chat.send(OLENA, f"/start {payload}")
    assert "Ваш акаунт магазину прив'язано" in session.last(OLENA.id).visible
    contact = engine.find(CustomerKey(external_id="olena-001"))
    assert contact is not None
    assert contact.telegram_user_id == OLENA.id
    user = await store.user(OLENA.id)
    assert user is not None
    assert user.contact_id == contact.contact_id


async def test_a_deep_link_for_a_new_customer_creates_them(chat: Chat, engine: FakeEngine) -> None:
    await chat.send(TARAS, "/start " + await mint(chat, "web-777"))
    contact = engine.find(CustomerKey(external_id="web-777"))
    assert contact is not None
    assert contact.telegram_user_id == TARAS.id


def _altered(payload: str) -> str:
    last = payload[-1]
    return payload[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda real: new_token(), id="made-up"),
        pytest.param(_altered, id="altered"),
        pytest.param(lambda real: real[:-3], id="truncated"),
        pytest.param(lambda real: real + "x", id="extended"),
        pytest.param(lambda real: "not-base64!!", id="malformed"),
        pytest.param(lambda real: "olena-001", id="plain-id"),
        # A signed payload of the earlier link format: it names her, but is no stored link.
        pytest.param(lambda real: "AW9sZW5hLTAwMYmYTHGvtXz3Pj0uUw", id="old-signed"),
    ],
)
async def test_a_made_up_altered_or_malformed_deep_link_is_refused(
    make: Callable[[str], str],
    chat: Chat,
    session: RecordingSession,
    engine: FakeEngine,
    store: BotStore,
) -> None:
    payload = make(await mint(chat, "olena-001"))
    await chat.send(TARAS, f"/start {payload}")
    assert "This link is not valid" in session.last(TARAS.id).visible
    olena = engine.find(CustomerKey(external_id="olena-001"))
    assert olena is not None
    assert olena.telegram_user_id is None
    assert await store.user(TARAS.id) is None


async def test_a_new_link_moves_the_chat_to_the_new_customer(
    chat: Chat, engine: FakeEngine, store: BotStore
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    await chat.send(OLENA, "/start " + await mint(chat, "c-002"))
    olena = engine.find(CustomerKey(external_id="olena-001"))
    other = engine.find(CustomerKey(external_id="c-002"))
    assert olena is not None
    assert other is not None
    assert olena.telegram_user_id is None
    assert other.telegram_user_id == OLENA.id
    user = await store.user(OLENA.id)
    assert user is not None
    assert user.contact_id == other.contact_id
