"""Phones as the bot reads them, and how they and emails reach its logs: as the engine's do."""

from __future__ import annotations

import pytest

from bot.privacy import mask, mask_email, mask_phone, read_phone
from recoms.domain import Identity
from recoms.service.contacts import describe


def test_phones_are_read_as_telegram_sends_them() -> None:
    assert read_phone("380501110001", "UA") == "+380501110001"
    assert read_phone("+380 50 111 00 01", "UA") == "+380501110001"
    assert read_phone("050 111 0001", "UA") == "+380501110001"
    assert read_phone("12025550143", "UA") == "+12025550143"
    assert read_phone("12", "UA") is None
    assert read_phone("not a phone", "UA") is None


def test_what_reaches_logs_is_masked() -> None:
    assert mask_phone("+380501110001") == "+380*****0001"
    assert mask_email("olena@example.com") == "o***@example.com"
    masked = mask("/find +380501110001 or olena@example.com")
    assert "+380501110001" not in masked
    assert "olena@" not in masked


@pytest.mark.parametrize(
    "phone",
    ["+380501110001", "+380 50 111 00 01", "380501110001", "+1 (202) 555-0143", "050 111 0001"],
)
def test_the_bot_masks_a_phone_as_the_engine_does(phone: str) -> None:
    """A number in the bot's audit log reads as it does in the engine's messages and logs."""
    engine = describe(Identity(phone=phone)).removeprefix("phone=")
    assert mask(f"/find {phone}") == f"/find {engine}"
