"""Chat activity as the engine's tracker events: one shape for both adapters."""

from __future__ import annotations

from typing import Any

from bot.ports import ChatActivity

SITE_ID = "telegram"
"""The ``siteId`` of events from the chat, so that the event log tells them from the site's."""


def tracker_event(contact_id: int, activity: ChatActivity, product_id: str) -> dict[str, Any]:
    """Yespo's REST tracker body for ``activity`` by the contact (``user_es_contact_id``: the
    contact is named by its id alone, so the event can neither create nor merge contacts);
    the engine stamps the time it receives it."""
    return {
        "GeneralInfo": {
            "eventName": activity.value,
            "siteId": SITE_ID,
            "user_es_contact_id": contact_id,
        },
        activity.value: {"Product": {"productKey": product_id}},
    }
