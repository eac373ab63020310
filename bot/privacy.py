"""Phone numbers as people share or type them in the chat, and masks for what reaches logs.

The rules are the engine's (:mod:`recoms.identifiers`), so a number the bot reads or masks is
read and masked as the engine does; this module adds only how Telegram writes numbers. It is
the bot's one door to those rules (the handlers' import-linter contract lets this one import
through).
"""

from __future__ import annotations

import re

from recoms.identifiers import mask, mask_email, mask_phone, normalise_phone

__all__ = ["mask", "mask_email", "mask_phone", "read_phone"]


def read_phone(raw: str, region: str) -> str | None:
    """E.164, or None when it is not a valid number.

    Telegram sends a shared contact's number with its country code but often without ``+``,
    so that reading is tried first; then the number as written in ``region``.
    """
    text = raw.strip()
    if not text.startswith("+"):
        digits = re.sub(r"\D", "", text)
        if digits and (international := normalise_phone("+" + digits, region)) is not None:
            return international
    return normalise_phone(text, region)
