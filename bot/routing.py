"""Where a person's message goes when no command, menu button or conversation step took it."""

from __future__ import annotations

import enum

from aiogram.types import Message

# Message fields that only service messages carry (a pin, a member joining, a topic created...).
_SERVICE_FIELDS = (
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "pinned_message",
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "general_forum_topic_hidden",
    "general_forum_topic_unhidden",
    "write_access_allowed",
    "users_shared",
    "chat_shared",
    "successful_payment",
    "message_auto_delete_timer_changed",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
)


class Route(enum.StrEnum):
    SUPPORT = "support"
    UNKNOWN_COMMAND = "unknown_command"
    IGNORE = "ignore"


def route(message: Message) -> Route:
    """The one rule for a customer's message that nothing more specific took.

    - a ``/command`` the bot does not know gets the unknown-command answer;
    - a service message (a pin, a member joining, a topic change) gets nothing;
    - everything a person writes or sends (text, a photo, a file, a voice note, a sticker, a
      location, a reply to any message) goes to support, as a question for an agent.

    A product search from free text will share this function: text that reads as a question
    (it asks, or is long) stays with support, other short texts go to the search. Keep the
    decision here so that the two never disagree about where a message went.
    """
    if message.text is not None and message.text.startswith("/"):
        return Route.UNKNOWN_COMMAND
    if any(getattr(message, field, None) for field in _SERVICE_FIELDS):
        return Route.IGNORE
    return Route.SUPPORT
