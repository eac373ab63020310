"""Contact identifiers: phones to E.164, emails to one spelling, and masks for logs."""

from __future__ import annotations

import re

import phonenumbers

# Deliberately loose: one "@", something before it, a dotted domain, no spaces. Whether a
# mailbox exists only its server can tell.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_MAX_EMAIL = 254


def normalise_phone(raw: str, default_region: str) -> str | None:
    """``raw`` as E.164 (``+380501110001``), reading numbers without a country code as
    numbers of ``default_region`` (ISO 3166 code, e.g. ``UA``); None unless it is a valid
    number there (spaces, dashes, brackets and a leading ``00`` or country code are fine)."""
    text = raw.strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_email(raw: str) -> str | None:
    """``raw`` stripped and lowercased, or None when it does not look like an address."""
    text = raw.strip().lower()
    if len(text) > _MAX_EMAIL or not _EMAIL.fullmatch(text):
        return None
    return text


def mask_phone(phone: str) -> str:
    """``+380501110001`` -> ``+380*****0001``: enough to tell numbers apart in a log."""
    text = phone.strip()
    if len(text) >= 10:
        return text[:4] + "*" * (len(text) - 8) + text[-4:]
    return "*" * max(len(text) - 2, 1) + text[-2:]


def mask_email(email: str) -> str:
    """``olena@example.com`` -> ``o***@example.com``."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"
