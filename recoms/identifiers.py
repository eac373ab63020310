"""Contact identifiers: phones to E.164, emails to one spelling, and masks for logs.

The one rule for the engine and the bot (which imports it through ``bot.privacy``), so a number
is matched and masked alike on both sides. Pure: ``re`` and ``phonenumbers`` only, no settings
(the region is an argument) and nothing of the engine's layers; an import-linter contract keeps
it so.
"""

from __future__ import annotations

import re

import phonenumbers

# Deliberately loose: one "@", something before it, a dotted domain, no spaces. Whether a
# mailbox exists only its server can tell.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_MAX_EMAIL = 254
# What to mask in free text: anything with an "@" in it, and runs of seven or more digits that
# may be spaced, dashed or bracketed as people write phone numbers.
_EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+")
_PHONE_LIKE = re.compile(r"\+?\d[\d\s()\-]{5,}\d")
_SHOWN_TAIL = 4  # digits a masked phone shows at its end
_SHOWN_HEAD = 3  # at most, of the country code
_PHONE_DIGITS = 8  # fewer digits than this are no phone number worth showing any of


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
    """``+380 50 111 00 01`` -> ``+380*****0001``: enough to tell numbers apart in a log, not
    to call one.

    Only digits count (spacing is dropped; a leading ``+`` stays). A number shows its last four
    digits and at most three before them, always hiding at least four; fewer than eight digits
    show only the last two (none of four or fewer), and no digits at all read ``***``.
    """
    digits = re.sub(r"\D", "", phone)
    if not digits:
        return "***"
    plus = "+" if phone.strip().startswith("+") else ""
    if len(digits) < _PHONE_DIGITS:
        shown = digits[-2:] if len(digits) > 4 else ""
        return plus + "*" * (len(digits) - len(shown)) + shown
    head = min(_SHOWN_HEAD, len(digits) - _PHONE_DIGITS)
    return plus + digits[:head] + "*" * (len(digits) - head - _SHOWN_TAIL) + digits[-_SHOWN_TAIL:]


def mask_email(email: str) -> str:
    """``olena@example.com`` -> ``o***@example.com``; ``***`` when it is no address."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask(text: str) -> str:
    """``text`` with every email and phone-like digit run in it masked, as above (for free
    text such as a staff query on its way to a log or the audit log)."""
    text = _EMAIL_LIKE.sub(lambda match: mask_email(match.group(0)), text)
    return _PHONE_LIKE.sub(lambda match: mask_phone(match.group(0)), text)
