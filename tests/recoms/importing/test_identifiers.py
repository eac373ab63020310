"""Phones and emails as contacts are matched by, and how they show in logs."""

from __future__ import annotations

import pytest

from recoms.importing.identifiers import mask_email, mask_phone, normalise_email, normalise_phone


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


def test_masks_hide_the_middle() -> None:
    assert mask_phone("+380501110001") == "+380*****0001"
    assert mask_phone("12345") == "***45"
    assert mask_email("olena@example.com") == "o***@example.com"
    assert mask_email("not an address") == "***"
