"""What the local Bot API server remembers, shaped as the Bot API describes it: people, chats,
forum topics, members, messages and files."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]

GENERAL_TOPIC_ID = 1  # Telegram's id of a forum's General topic; never a message_thread_id
# The colours Telegram allows for a topic icon (createForumTopic's icon_color).
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
# An administrator's rights as ChatMemberAdministrator lists them; the bot gets these.
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
    "can_manage_tags",
)
BOT_RIGHTS = frozenset(
    {
        "can_manage_chat",
        "can_delete_messages",
        "can_restrict_members",
        "can_invite_users",
        "can_pin_messages",
        "can_manage_topics",
    }
)


def now() -> int:
    return int(time.time())


@dataclass
class SimulatedUser:
    """A person in the web chat; the private chat with the bot has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone: str | None = None
    role: str = "customer"

    def to_user(self) -> JsonDict:
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def to_chat(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(frozen=True)
class SimulatedGroup:
    """A supergroup as it is set up before the server starts: who owns it, who is in it, and
    the bot's place in it (an administrator with ``bot_rights``, or a plain member)."""

    id: int
    title: str
    owner: int | None = None
    members: tuple[int, ...] = ()
    username: str | None = None
    is_forum: bool = True
    bot_rights: frozenset[str] | None = BOT_RIGHTS


@dataclass
class Member:
    """One user's place in a group: Telegram's creator, administrator, member, left or kicked."""

    user: JsonDict
    status: str
    rights: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")

    def can(self, right: str) -> bool:
        if self.status == "creator":
            return True
        return self.status == "administrator" and right in self.rights

    def to_dict(self) -> JsonDict:
        member: JsonDict = {"status": self.status, "user": self.user}
        if self.status == "creator":
            member["is_anonymous"] = False
        elif self.status == "administrator":
            member["can_be_edited"] = False
            member["is_anonymous"] = False
            member.update({right: right in self.rights for right in ADMIN_RIGHTS})
            member["can_post_messages"] = False
            member["can_edit_messages"] = False
        elif self.status == "kicked":
            member["until_date"] = 0
        return member


@dataclass
class ForumTopic:
    """A topic of a forum supergroup; its id is the id of the message that created it."""

    thread_id: int
    name: str
    icon_color: int
    creator_id: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False

    def to_dict(self) -> JsonDict:
        topic: JsonDict = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


# Per kind of file: Telegram's file_id prefix, the download folder and the message field.
FILE_KINDS = {
    "photo": ("AgAC", "photos"),
    "document": ("BQAC", "documents"),
    "voice": ("AwAC", "voice"),
    "sticker": ("CAAC", "stickers"),
}
# Kinds Telegram treats as one class of "documents": their file_ids are interchangeable.
DOCUMENT_KINDS = frozenset({"document", "voice", "sticker"})
KIND_NAMES = {"photo": "Photo", "document": "Document", "voice": "VoiceNote", "sticker": "Sticker"}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "text/plain": "txt",
}


@dataclass
class StoredFile:
    """A file someone sent: bytes kept in memory, or an HTTP URL the browser loads itself."""

    file_id: str
    file_unique_id: str
    kind: str = "photo"
    url: str | None = None
    content: bytes | None = None
    content_type: str = "image/jpeg"
    width: int = 800
    height: int = 800
    file_name: str | None = None
    duration: int | None = None
    emoji: str | None = None
    set_name: str | None = None

    @property
    def file_path(self) -> str:
        folder = FILE_KINDS[self.kind][1]
        extension = EXTENSIONS.get(self.content_type, "jpg" if self.kind == "photo" else "bin")
        return f"{folder}/{self.file_unique_id}.{extension}"

    def _ids(self) -> JsonDict:
        ids: JsonDict = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        return ids

    def photo_sizes(self) -> list[JsonDict]:
        size = {**self._ids(), "width": self.width, "height": self.height}
        if self.content is not None:
            size["file_size"] = len(self.content)
        return [size]

    def to_media(self) -> Any:
        """The value of the message field named by ``kind``."""
        if self.kind == "photo":
            return self.photo_sizes()
        media = self._ids()
        if self.kind == "document":
            if self.file_name:
                media["file_name"] = self.file_name
            media["mime_type"] = self.content_type
        elif self.kind == "voice":
            media["duration"] = self.duration or 0
            media["mime_type"] = self.content_type
        elif self.kind == "sticker":
            media.update(
                type="regular",
                width=self.width,
                height=self.height,
                is_animated=False,
                is_video=False,
            )
            if self.emoji:
                media["emoji"] = self.emoji
            if self.set_name:
                media["set_name"] = self.set_name
        if self.content is not None:
            media["file_size"] = len(self.content)
        return media


@dataclass
class StoredMessage:
    """One message of a chat, as the Bot API describes it."""

    message_id: int
    chat: ChatState
    sender: JsonDict
    date: int
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    media: StoredFile | None = None
    contact: JsonDict | None = None
    location: JsonDict | None = None
    service: JsonDict | None = None
    pinned_message: StoredMessage | None = None
    reply_markup: JsonDict | None = None
    reply_to: StoredMessage | None = None
    thread_id: int | None = None
    via_bot: JsonDict | None = None
    forward_origin: JsonDict | None = None
    inline_message_id: str | None = None
    edit_date: int | None = None
    options: JsonDict = field(default_factory=dict)

    @property
    def from_bot(self) -> bool:
        return bool(self.sender.get("is_bot"))

    @property
    def photo(self) -> StoredFile | None:
        return self.media if self.media is not None and self.media.kind == "photo" else None

    @property
    def is_service(self) -> bool:
        return self.service is not None or self.pinned_message is not None

    @property
    def has_caption(self) -> bool:
        """Media that carries a caption (a sticker does not)."""
        return self.media is not None and self.media.kind != "sticker"

    def implicit_reply(self) -> StoredMessage | None:
        """Telegram answers a topic message that replies to nothing as a reply to the topic's
        first message, the one that announced the topic."""
        if self.thread_id is None or self.thread_id >= self.message_id:
            return None
        return self.chat.messages.get(self.thread_id)

    def to_dict(self, *, with_reply: bool = True) -> JsonDict:
        message: JsonDict = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.to_chat(),
            "date": self.date,
        }
        if self.thread_id is not None:
            message["message_thread_id"] = self.thread_id
        if self.forward_origin is not None:
            message["forward_origin"] = self.forward_origin
            # Telegram still sends the fields that forward_origin replaced.
            message["forward_date"] = self.forward_origin["date"]
            if "sender_user" in self.forward_origin:
                message["forward_from"] = self.forward_origin["sender_user"]
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        reply = self.reply_to or self.implicit_reply()
        if reply is not None and with_reply:
            message["reply_to_message"] = reply.to_dict(with_reply=False)
        if self.via_bot is not None:
            message["via_bot"] = self.via_bot
        if self.thread_id is not None:
            message["is_topic_message"] = True
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.media is not None:
            message[self.media.kind] = self.media.to_media()
        if self.caption:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        if self.contact is not None:
            message["contact"] = self.contact
        if self.location is not None:
            message["location"] = self.location
        if self.service is not None:
            message.update(self.service)
        if self.pinned_message is not None:
            message["pinned_message"] = self.pinned_message.to_dict(with_reply=False)
        message.update(self.options)
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class ChatState:
    """A chat the bot is in: the messages, and what its apps show around them."""

    id: int
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: JsonDict | None = None
    menu_button: JsonDict | None = None
    pinned: list[int] = field(default_factory=list)  # oldest first
    action: str | None = None
    action_until: float = 0.0
    version: int = 0

    def to_chat(self) -> JsonDict:
        raise NotImplementedError


@dataclass
class PrivateChat(ChatState):
    """The private chat between one simulated user and the bot."""

    user: SimulatedUser = field(kw_only=True)
    started: bool = False
    blocked: bool = False

    def to_chat(self) -> JsonDict:
        return self.user.to_chat()


@dataclass
class GroupChat(ChatState):
    """A supergroup, a forum with topics unless ``is_forum`` is off."""

    name: str = field(kw_only=True)
    username: str | None = None
    is_forum: bool = True
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, ForumTopic] = field(default_factory=dict)

    def to_chat(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "title": self.name, "type": "supergroup"}
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def member(self, user_id: int) -> Member | None:
        found = self.members.get(user_id)
        return found if found is not None and found.status not in ("left", "kicked") else None
