"""Phones and emails as contacts are matched by, and how they show in logs."""

from __future__ import annotations

import pytest

from recoms.identifiers import mask, mask_email, mask_phone, normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+380501110001", "UA", "+380501110001"),
        ("050 111 0001", "UA", "+380501110001"),
        ("380501110001", "UA", "+380501110001"),
        ("0038 (050) 111-00-01", "ua", "+380501110001"),
        ("+44 20 7946 0958", "UA", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("050 111 0001", "GB", None),
        ("+38050111000", "UA", None),
        ("12345", "UA", None),
        ("call me", "UA", None),
        ("  ", "UA", None),
    ],
)
def test_normalise_phone(raw: str, region: str, expected: str | None) -> None:
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Olena@Example.COM ", "olena@example.com"),
        ("taras.k+shop@mail.example.ua", "taras.k+shop@mail.example.ua"),
        ("olena@example", None),
        ("olena example.com", None),
        ("@example.com", None),
        ("a@b@example.com", None),
        ("", None),
    ],
)
def test_normalise_email(raw: str, expected: str | None) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+380501110001", "+380*****0001"),
        ("+380 (50) 111-00-01", "+380*****0001"),
        ("380501110001", "380*****0001"),
        ("+1 202 555 0143", "+120****0143"),
        ("050 111 0001", "05****0001"),
        ("05011100", "****1100"),
        ("12345", "***45"),
        ("1234", "****"),
        ("call me", "***"),
    ],
)
def test_a_masked_phone_keeps_its_ends_and_hides_at_least_four_digits(
    phone: str, masked: str
) -> None:
    assert mask_phone(phone) == masked


def test_masks_hide_the_middle() -> None:
    assert mask_email("olena@example.com") == "o***@example.com"
    assert mask_email(" a@b@example.com") == "a***@example.com"
    assert mask_email("not an address") == "***"
    assert mask_email("@example.com") == "***"


def test_free_text_is_masked_wherever_a_phone_or_email_is_in_it() -> None:
    masked = mask("/find +380 50 111 00 01, then olena@example.com and 050-111-00-02")
    assert masked == "/find +380*****0001, then o***@example.com and 05****0002"
