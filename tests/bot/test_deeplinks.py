"""Deep-link payloads: at most 64 base64url characters, and only the key holder can make one."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.deeplinks import (
    MAX_EXTERNAL_ID_BYTES,
    DeepLinkError,
    sign_payload,
    start_link,
    verify_payload,
)

KEY = b"the shop's signing key"
PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
external_ids = st.text(min_size=1).filter(
    lambda s: s.strip() and len(s.encode()) <= MAX_EXTERNAL_ID_BYTES
)


@given(external_ids)
def test_a_signed_payload_fits_telegram_and_reads_back(external_id: str) -> None:
    payload = sign_payload(external_id, KEY)
    assert PAYLOAD.fullmatch(payload)
    assert verify_payload(payload, KEY) == external_id


@given(external_ids, st.data())
def test_any_change_to_a_payload_is_refused(external_id: str, data: st.DataObject) -> None:
    payload = sign_payload(external_id, KEY)
    position = data.draw(st.integers(0, len(payload) - 1))
    replacement = data.draw(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    )
    altered = payload[:position] + replacement + payload[position + 1 :]
    if altered != payload:
        with pytest.raises(DeepLinkError):
            verify_payload(altered, KEY)


@given(external_ids)
def test_a_payload_signed_with_another_key_is_refused(external_id: str) -> None:
    with pytest.raises(DeepLinkError):
        verify_payload(sign_payload(external_id, b"a forger's key"), KEY)


@given(st.text(max_size=100))
def test_arbitrary_text_is_never_accepted(text: str) -> None:
    with pytest.raises(DeepLinkError):
        verify_payload(text, KEY)


def test_ids_that_do_not_fit_are_refused_when_minting() -> None:
    assert len(sign_payload("x" * MAX_EXTERNAL_ID_BYTES, KEY)) <= 64
    with pytest.raises(DeepLinkError, match="at most 35"):
        sign_payload("x" * (MAX_EXTERNAL_ID_BYTES + 1), KEY)
    with pytest.raises(DeepLinkError):
        sign_payload("   ", KEY)
    with pytest.raises(DeepLinkError):
        sign_payload("olena-001", b"")


def test_the_link_names_the_bot() -> None:
    link = start_link("shop_bot", sign_payload("olena-001", KEY))
    assert link.startswith("https://t.me/shop_bot?start=")
    assert verify_payload(link.split("start=")[1], KEY) == "olena-001"
