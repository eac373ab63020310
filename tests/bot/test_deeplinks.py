"""Deep links: a random token within Telegram's 64 characters, stored by the bot, that links
once before it expires; nothing else opens anything."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.deeplinks import (
    MAX_EXTERNAL_ID_CHARS,
    DeepLinkError,
    is_token,
    new_token,
    start_link,
    token_hash,
)
from bot.links import DeepLinks, Minted, Opened
from bot.records import BotStore

PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def links(store: BotStore, clock: Clock) -> DeepLinks:
    return DeepLinks(store, "shop_bot", timedelta(hours=72), clock)


def payload_of(minted: Minted) -> str:
    assert minted.url == f"https://t.me/shop_bot?start={minted.token}"
    return minted.token


def test_a_token_fits_telegram_and_is_new_every_time() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(PAYLOAD.fullmatch(token) and is_token(token) for token in tokens)
    token = next(iter(tokens))
    assert len(token_hash(token)) == 64
    assert token not in token_hash(token)
    assert start_link("shop_bot", token) == f"https://t.me/shop_bot?start={token}"


@given(st.text(max_size=80))
def test_text_that_is_not_a_token_is_never_looked_up(text: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{32}", text):
        assert not is_token(text)


async def test_a_link_opens_once_for_the_first_who_opens_it(
    links: DeepLinks, store: BotStore
) -> None:
    payload = payload_of(await links.mint(None, " olena-001 ", minted_by=900001, via="/link"))
    first = await links.open(payload, 100001)
    assert (first.outcome, first.external_id) == (Opened.LINKED, "olena-001")
    for user in (100003, 100001):
        again = await links.open(payload, user)
        assert (again.outcome, again.first_opened_by) == (Opened.USED, 100001)
    minted = (await store.audit_log())[0]
    assert (minted.actor_id, minted.action, minted.target) == (
        900001,
        "link",
        "external olena-001",
    )


async def test_a_link_expires(links: DeepLinks, clock: Clock) -> None:
    payload = payload_of(await links.mint(None, "olena-001", minted_by=None, via="api"))
    clock.now = NOW + timedelta(hours=72)
    opened = await links.open(payload, 100001)
    assert opened.outcome is Opened.EXPIRED
    assert opened.expired_at == NOW + timedelta(hours=72)


async def test_a_released_link_opens_again(links: DeepLinks) -> None:
    payload = payload_of(await links.mint(None, "olena-001", minted_by=None, via="api"))
    opened = await links.open(payload, 100001)
    await links.release(opened)
    assert (await links.open(payload, 100003)).outcome is Opened.LINKED


async def test_two_people_opening_a_link_at_once_do_not_both_win(links: DeepLinks) -> None:
    payload = payload_of(await links.mint(None, "olena-001", minted_by=None, via="api"))
    openings = await asyncio.gather(*(links.open(payload, 100000 + n) for n in range(5)))
    assert [o.outcome for o in openings].count(Opened.LINKED) == 1


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=80))
async def test_made_up_or_altered_links_open_nothing(links: DeepLinks, text: str) -> None:
    payload = payload_of(await links.mint(None, "olena-001", minted_by=None, via="api"))
    altered = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for attempt in (text, altered, payload[:-3], payload + "A", payload.upper()):
        if attempt != payload:
            assert (await links.open(attempt, 100003)).outcome is Opened.INVALID


async def test_ids_that_cannot_be_linked_are_refused_when_minting(links: DeepLinks) -> None:
    assert await links.mint(None, "x" * MAX_EXTERNAL_ID_CHARS, minted_by=None, via="api")
    for bad in ("", "   ", "x" * (MAX_EXTERNAL_ID_CHARS + 1)):
        with pytest.raises(DeepLinkError):
            await links.mint(None, bad, minted_by=None, via="api")
    nameless = DeepLinks(links._store, None, timedelta(hours=1))
    with pytest.raises(DeepLinkError, match="BOT_USERNAME"):
        await nameless.mint(None, "olena-001", minted_by=None, via="command line")
