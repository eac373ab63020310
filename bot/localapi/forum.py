"""Bot API methods of supergroups: forum topics, pinned messages, the chat and its members,
with the rights and error texts of Telegram."""

from __future__ import annotations

import re

from bot.localapi.errors import ApiError
from bot.localapi.model import GENERAL_TOPIC_ID, TOPIC_COLORS, ForumTopic
from bot.localapi.registry import Context, Params, method
from bot.localapi.sending import chat_of
from bot.localapi.state import BotApiState, ChatState, GroupChat, JsonDict, PrivateChat

TOPIC_NAME_LIMIT = 128


def _forum(state: BotApiState, params: Params) -> GroupChat:
    chat = chat_of(state, params)
    if not isinstance(chat, GroupChat) or not chat.is_forum:
        raise ApiError.bad_request("the chat is not a forum")
    return chat


def _topic(chat: GroupChat, params: Params) -> ForumTopic:
    thread_id = params.integer("message_thread_id")
    if not thread_id or thread_id < 0:
        raise ApiError.bad_request("invalid forum topic identifier specified")
    topic = chat.topics.get(thread_id)
    if topic is None or thread_id == GENERAL_TOPIC_ID:
        raise ApiError.bad_request("TOPIC_ID_INVALID")
    return topic


def _clean_name(value: str | None) -> str:
    """Telegram drops control characters, trims, and cuts the name to 128 characters."""
    name = re.sub(r"[\x00-\x1f\x7f]", " ", value or "").strip()
    return name[:TOPIC_NAME_LIMIT].strip()


def _bot_may(state: BotApiState, chat: GroupChat, right: str, topic: ForumTopic | None) -> bool:
    """The bot's own topics are its to manage; others' need the right."""
    if topic is not None and topic.creator_id == state.bot_id:
        return True
    bot = chat.member(state.bot_id)
    return bot is not None and bot.can(right)


@method("createForumTopic")
async def create_forum_topic(context: Context, params: Params) -> JsonDict:
    state = context.state
    chat = _forum(state, params)
    if not _bot_may(state, chat, "can_manage_topics", None):
        raise ApiError.bad_request("not enough rights to create a topic")
    name = _clean_name(params.text("name"))
    if not name:
        raise ApiError.bad_request("name must be non-empty")
    color = params.integer("icon_color")
    if color is not None and color not in TOPIC_COLORS:
        raise ApiError.bad_request(
            "local server: icon_color must be one of " + ", ".join(map(str, TOPIC_COLORS))
        )
    topic = state.open_topic(
        chat, state.bot_user, name, color, params.text("icon_custom_emoji_id")
    )
    return topic.to_dict()


@method("editForumTopic")
async def edit_forum_topic(context: Context, params: Params) -> bool:
    state = context.state
    chat = _forum(state, params)
    topic = _topic(chat, params)
    if not _bot_may(state, chat, "can_manage_topics", topic):
        raise ApiError.bad_request("not enough rights to edit the topic")
    raw_name = params.text("name")
    name = _clean_name(raw_name)
    if raw_name and not name:
        raise ApiError.bad_request("name must be non-empty")
    edit_emoji = "icon_custom_emoji_id" in params.values
    if not name and not edit_emoji:
        return True  # nothing asked for: Telegram does nothing and says yes
    emoji = params.text("icon_custom_emoji_id") or None
    same_emoji = not edit_emoji or emoji == topic.icon_custom_emoji_id
    if (name or topic.name) == topic.name and same_emoji:
        raise ApiError.bad_request("TOPIC_NOT_MODIFIED")
    edited: JsonDict = {}
    if name and name != topic.name:
        topic.name = edited["name"] = name
    if edit_emoji and emoji != topic.icon_custom_emoji_id:
        topic.icon_custom_emoji_id = emoji
        edited["icon_custom_emoji_id"] = emoji or ""
    state.service_message(
        chat, state.bot_user, {"forum_topic_edited": edited}, thread_id=topic.thread_id
    )
    return True


async def _toggle_closed(context: Context, params: Params, closed: bool) -> bool:
    state = context.state
    chat = _forum(state, params)
    topic = _topic(chat, params)
    if not _bot_may(state, chat, "can_manage_topics", topic):
        raise ApiError.bad_request("not enough rights to close or open the topic")
    state.close_topic(chat, topic, state.bot_user, closed=closed)
    return True


@method("closeForumTopic")
async def close_forum_topic(context: Context, params: Params) -> bool:
    return await _toggle_closed(context, params, closed=True)


@method("reopenForumTopic")
async def reopen_forum_topic(context: Context, params: Params) -> bool:
    return await _toggle_closed(context, params, closed=False)


@method("deleteForumTopic")
async def delete_forum_topic(context: Context, params: Params) -> bool:
    """The topic goes with all its messages, as in Telegram."""
    state = context.state
    chat = _forum(state, params)
    topic = _topic(chat, params)
    if not _bot_may(state, chat, "can_delete_messages", topic):
        raise ApiError.bad_request("not enough rights to delete the topic")
    del chat.topics[topic.thread_id]
    for message_id in [
        m.message_id
        for m in chat.messages.values()
        if m.thread_id == topic.thread_id or m.message_id == topic.thread_id
    ]:
        del chat.messages[message_id]
    chat.pinned = [m for m in chat.pinned if m in chat.messages]
    state.touch(chat)
    return True


@method("unpinAllForumTopicMessages")
async def unpin_all_forum_topic_messages(context: Context, params: Params) -> bool:
    state = context.state
    chat = _forum(state, params)
    topic = _topic(chat, params)
    _check_pin_rights(state, chat)
    chat.pinned = [m for m in chat.pinned if chat.messages[m].thread_id != topic.thread_id]
    state.touch(chat)
    return True


# --- pinned messages ---------------------------------------------------------------------------


def _check_pin_rights(state: BotApiState, chat: ChatState) -> None:
    if isinstance(chat, GroupChat):
        bot = chat.member(state.bot_id)
        if bot is None or not bot.can("can_pin_messages"):
            raise ApiError.bad_request("not enough rights to manage pinned messages in the chat")


@method("pinChatMessage")
async def pin_chat_message(context: Context, params: Params) -> bool:
    """Pin and say so in the chat, in the topic of the pinned message, as Telegram does."""
    state = context.state
    chat = chat_of(state, params)
    message_id = params.integer("message_id") or 0
    message = state.find_message(chat, message_id, "message to pin not found")
    _check_pin_rights(state, chat)
    if message.is_service:
        raise ApiError.bad_request("service messages can't be pinned")
    if message_id in chat.pinned:
        chat.pinned.remove(message_id)
    chat.pinned.append(message_id)
    state.service_message(chat, state.bot_user, thread_id=message.thread_id, pinned=message)
    return True


@method("unpinChatMessage")
async def unpin_chat_message(context: Context, params: Params) -> bool:
    """Unpin the message given, or the most recently pinned one."""
    state = context.state
    chat = chat_of(state, params)
    message_id = params.integer("message_id")
    if not message_id:
        if not chat.pinned:
            raise ApiError.bad_request("message to unpin not found")
        message_id = chat.pinned[-1]
    state.find_message(chat, message_id, "message to unpin not found")
    _check_pin_rights(state, chat)
    if message_id in chat.pinned:
        chat.pinned.remove(message_id)
    state.touch(chat)
    return True


@method("unpinAllChatMessages")
async def unpin_all_chat_messages(context: Context, params: Params) -> bool:
    state = context.state
    chat = chat_of(state, params)
    _check_pin_rights(state, chat)
    chat.pinned.clear()
    state.touch(chat)
    return True


# --- the chat and its members ------------------------------------------------------------------


@method("getChat")
async def get_chat(context: Context, params: Params) -> JsonDict:
    chat = context.state.find_chat(params.raw("chat_id"))
    info: JsonDict = {
        **chat.to_chat(),
        "accent_color_id": chat.id % 7 if isinstance(chat, GroupChat) else 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }
    if isinstance(chat, GroupChat):
        info["permissions"] = {
            "can_send_messages": True,
            "can_send_audios": True,
            "can_send_documents": True,
            "can_send_photos": True,
            "can_send_videos": True,
            "can_send_video_notes": True,
            "can_send_voice_notes": True,
            "can_send_polls": True,
            "can_send_other_messages": True,
            "can_add_web_page_previews": True,
            "can_change_info": False,
            "can_invite_users": False,
            "can_pin_messages": False,
            "can_manage_topics": False,
        }
    if chat.pinned and chat.pinned[-1] in chat.messages:
        info["pinned_message"] = chat.messages[chat.pinned[-1]].to_dict(with_reply=False)
    return info


def _user_id(params: Params) -> int:
    user_id = params.integer("user_id")
    if user_id is None or user_id <= 0:
        raise ApiError.bad_request("invalid user_id specified")
    return user_id


@method("getChatMember")
async def get_chat_member(context: Context, params: Params) -> JsonDict:
    """A member's status and rights; someone who is not in the group has left it."""
    state = context.state
    chat = state.find_chat(params.raw("chat_id"))
    user_id = _user_id(params)
    if user_id == state.bot_id:
        user = state.bot_user
    elif user_id in state.users:
        user = state.users[user_id].to_user()
    else:
        raise ApiError.bad_request("user not found")
    if isinstance(chat, PrivateChat):
        status = "member" if user_id in (chat.user.id, state.bot_id) else "left"
        return {"status": status, "user": user}
    member = chat.members.get(user_id) if isinstance(chat, GroupChat) else None
    return member.to_dict() if member is not None else {"status": "left", "user": user}


@method("getChatAdministrators")
async def get_chat_administrators(context: Context, params: Params) -> list[JsonDict]:
    chat = context.state.find_chat(params.raw("chat_id"))
    if not isinstance(chat, GroupChat):
        raise ApiError.bad_request("there are no administrators in the private chat")
    return [m.to_dict() for m in chat.members.values() if m.is_admin]


@method("getChatMemberCount")
async def get_chat_member_count(context: Context, params: Params) -> int:
    chat = context.state.find_chat(params.raw("chat_id"))
    if not isinstance(chat, GroupChat):
        return 2
    return sum(1 for user_id in chat.members if chat.member(user_id) is not None)
