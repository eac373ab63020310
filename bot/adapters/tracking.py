"""Chat activity as the engine's tracker events, and shop links as the engine signs them:
one shape for both adapters."""

from __future__ import annotations

from typing import Any

from bot.ports import ChatActivity, ShopLink
from recoms.clicks import ClickLink

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


def click_link(link: ShopLink) -> ClickLink:
    """The engine's click link for the port's: the customer by contact id, or nobody."""
    return ClickLink(
        link.list_name,
        link.customer.contact_id,
        link.product_id,
        link.utm_source,
        link.utm_medium,
    )
