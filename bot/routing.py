"""Where a person's message goes when no command, menu button or conversation step took it.

Text a customer types is a product search or a question for support, by this rule (``route``):

- text with a question mark, an ``@`` or a link, a reply to a message, more than one line,
  more than six words or more than 60 characters is a question: it goes to support;
- so is a short phrase that speaks to a person (a greeting, thanks, yes or no, please, a
  pronoun: "hello", "thanks", "me too", "please forget me"; ``CHAT_WORDS``, English and
  Ukrainian) and anything shorter than three characters ("ok", "q");
- any other short phrase (one to three words, at most 40 characters) is a search;
- four to six words are either: the customer is offered "Search products" and "Ask a person";
- while the customer's support conversation is open, everything they write goes to support
  (checked by the handlers: it is the conversation's state, not the message's);
- a search that finds nothing passes the text on to support as a question.
"""

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
    SEARCH = "search"
    EITHER = "either"
    """A search or a question: the customer chooses."""
    UNKNOWN_COMMAND = "unknown_command"
    IGNORE = "ignore"


WRITTEN = (Route.SUPPORT, Route.SEARCH, Route.EITHER)
"""What a person writes or sends: support takes whatever the search did not."""
SEARCH_WORDS = 3
SEARCH_CHARS = 40
EITHER_WORDS = 6
EITHER_CHARS = 60
SHORTEST_SEARCH = 3
_QUESTION_MARKS = ("?", "？", "¿", "@", "http://", "https://", "www.")
_PUNCTUATION = ".,!;:…\"'«»()-–—"
# Words of a person talking to a person, not of a product name. Short on purpose: a word here
# sends any one-to-three-word phrase holding it to support.
CHAT_WORDS = frozenset(
    """
    hi hello hey hiya thanks thank thx ty ok okay yes yeah yep no nope please pls plz sorry
    bye goodbye cheers help good morning afternoon evening night i me my mine you your we us
    our anyone anybody someone somebody
    привіт привітик вітаю дякую дякуємо спасибі так ні будь ласка вибачте перепрошую добрий
    доброго день ранку вечора допоможіть допомога я мені мене мій моя моє мої ви вам вас ми
    нам нас хтось
    привет здравствуйте спасибо да нет пожалуйста извините помогите
    """.split()  # noqa: SIM905 (a block of words reads better than a list of quoted ones)
)


def _via_this_bot(message: Message) -> bool:
    """The person chose one of this bot's inline results in its own chat: our card, not theirs."""
    if message.via_bot is None or message.bot is None:
        return False
    return message.via_bot.id == message.bot.id


def reads_as(text: str) -> Route:
    """A plain text message (not a reply) by the rule in the module docstring."""
    stripped = text.strip()
    words = stripped.split()
    lowered = stripped.lower()
    if not words or "\n" in stripped or any(mark in lowered for mark in _QUESTION_MARKS):
        return Route.SUPPORT
    if len(words) <= SEARCH_WORDS and len(stripped) <= SEARCH_CHARS:
        if len(stripped) < SHORTEST_SEARCH:
            return Route.SUPPORT
        if any(word.strip(_PUNCTUATION) in CHAT_WORDS for word in lowered.split()):
            return Route.SUPPORT
        return Route.SEARCH
    if len(words) <= EITHER_WORDS and len(stripped) <= EITHER_CHARS:
        return Route.EITHER
    return Route.SUPPORT


def route(message: Message) -> Route:
    """The one rule for a customer's message that nothing more specific took.

    - a ``/command`` the bot does not know gets the unknown-command answer;
    - a service message (a pin, a member joining, a topic change) gets nothing, nor does a
      card the person shared from this bot's inline mode into the bot's own chat;
    - plain text is a search, a question or either (``reads_as``);
    - everything else a person sends (a photo, a file, a voice note, a sticker, a location, a
      reply to any message) goes to support, as a question for an agent.
    """
    if message.text is not None and message.text.startswith("/"):
        return Route.UNKNOWN_COMMAND
    if any(getattr(message, field, None) for field in _SERVICE_FIELDS):
        return Route.IGNORE
    if _via_this_bot(message):
        return Route.IGNORE
    if message.text is not None and message.reply_to_message is None:
        return reads_as(message.text)
    return Route.SUPPORT
