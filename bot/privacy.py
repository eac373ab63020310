"""Phone numbers in, masked identifiers out: what may reach logs and the audit log."""

from __future__ import annotations

import re

import phonenumbers

_EMAIL = re.compile(r"([^\s@]+)@([^\s@]+)")
_PHONE_LIKE = re.compile(r"\+?\d[\d\s()\-]{5,}\d")


def normalize_phone(raw: str, region: str) -> str | None:
    """E.164, or None when it is not a valid number.

    Telegram sends a shared contact's number with its country code but often without ``+``,
    so that reading is tried first; then the number as written in ``region``.
    """
    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    if not digits or len(digits) > 17:
        return None
    candidates = [text] if text.startswith("+") else ["+" + digits, text]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, None if candidate.startswith("+") else region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return None


def mask_phone(phone: str) -> str:
    """``+380501110001`` -> ``+380*****0001``: enough to tell numbers apart, not to call."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) <= 4:
        return "*" * len(digits)
    shown_head = min(3, max(len(digits) - 8, 0))
    masked = digits[:shown_head] + "*" * (len(digits) - shown_head - 4) + digits[-4:]
    return ("+" if phone.strip().startswith("+") else "") + masked


def mask_email(email: str) -> str:
    """``olena@example.com`` -> ``o***@example.com``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask(text: str) -> str:
    """Any emails and phone-like digit runs in free text masked (for logs and the audit log)."""
    text = _EMAIL.sub(lambda match: mask_email(match.group(0)), text)
    return _PHONE_LIKE.sub(lambda match: mask_phone(match.group(0)), text)
