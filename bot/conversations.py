"""Support conversations as plain data, and the store protocol the support desk uses.

A customer has at most one open conversation; closing it ends it, and their next message opens
a new one (in the same forum topic, which stays the customer's). Every message of a
conversation is recorded, both ways, with the Telegram message ids on each side: that is how
an agent's reply to a delivered copy finds its conversation, and what the figures of /stats
are computed from. ``bot.storage`` implements the protocol on SQLAlchemy.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class Direction(enum.StrEnum):
    """Which way a recorded message went."""

    IN = "in"  # from the customer to the agents
    OUT = "out"  # from an agent to the customer
    NOTE = "note"  # an agent's internal note: the customer never sees it


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    customer_id: int  # the customer's Telegram user id (their private chat with the bot)
    opened_at: datetime
    customer_name: str = ""  # as Telegram named them when they wrote
    contact_id: int | None = None
    agent_id: int | None = None  # who answered first (in private-agents mode: who took it)
    agent_name: str = ""
    waiting_since: datetime | None = None  # the oldest customer message not answered yet
    first_reply_at: datetime | None = None
    reminded_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class Topic:
    """A customer's forum topic in the operators' group, kept across their conversations."""

    customer_id: int
    chat_id: int
    thread_id: int
    card_message_id: int | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Relayed:
    """One message of a conversation: where it was written and where its copy went."""

    conversation_id: int
    direction: Direction
    at: datetime
    customer_message_id: int | None  # in the customer's chat
    agent_chat_id: int | None  # the operators' group or an agent's private chat
    agent_message_id: int | None
    agent_id: int | None = None
    agent_name: str = ""  # as Telegram names the agent


@dataclass(frozen=True, slots=True)
class AgentFigures:
    agent_id: int
    name: str
    conversations: int  # conversations this agent answered first
    replies: int
    median_first_reply: timedelta | None


@dataclass(frozen=True, slots=True)
class SupportFigures:
    """What /stats shows of support; first-reply times over conversations since ``since``."""

    open_conversations: int
    waiting: int  # open and not answered yet
    conversations: int
    median_first_reply: timedelta | None
    agents: tuple[AgentFigures, ...]


class ConversationStore(Protocol):
    """The support desk's memory: conversations, topics, relayed messages, bans, duty."""

    async def open_conversation(self, customer_id: int) -> Conversation | None:
        """The customer's open conversation, if any."""
        ...

    async def start_conversation(
        self, customer_id: int, contact_id: int | None, now: datetime, name: str = ""
    ) -> tuple[Conversation, bool]:
        """The open conversation, or a new one: (conversation, whether it is new). Two
        messages arriving at once still make one conversation."""
        ...

    async def conversation(self, conversation_id: int) -> Conversation | None: ...

    async def record(self, message: Relayed) -> None:
        """Remember one relayed message; a customer message starts the wait for an answer,
        an agent's answer ends it (and is the first reply when none was before)."""
        ...

    async def customer_messages_since(self, customer_id: int, since: datetime) -> int:
        """How many messages the customer wrote to support since ``since`` (flood limit)."""
        ...

    async def find_by_copy(self, agent_chat_id: int, agent_message_id: int) -> Conversation | None:
        """The conversation a message in an agent's chat (or the group) belongs to."""
        ...

    async def agent_side_of(self, customer_id: int, customer_message_id: int) -> int | None:
        """Where a message of the customer's chat (theirs or an answer's copy) stands in the
        operators' group or the agent's chat: the message id there."""
        ...

    async def customer_side_of(self, agent_chat_id: int, agent_message_id: int) -> int | None:
        """Where a message of the group or an agent's chat stands in the customer's chat."""
        ...

    async def take(self, conversation_id: int, agent_id: int, agent_name: str) -> Conversation:
        """Make the agent the one who answers, unless another took it first: the conversation
        with the agent who has it now."""
        ...

    async def close(self, conversation_id: int, now: datetime) -> bool:
        """False when it was closed already."""
        ...

    async def waiting(self) -> list[Conversation]:
        """Open conversations waiting for an answer, longest waiting first."""
        ...

    async def open_conversations(self) -> list[Conversation]:
        """Open conversations, the oldest unanswered message first, then the oldest opened."""
        ...

    async def mark_reminded(self, conversation_id: int, now: datetime) -> bool:
        """Note the SLA reminder: False when one was sent already (another replica)."""
        ...

    async def figures(self, since: datetime) -> SupportFigures: ...

    async def topic(self, customer_id: int) -> Topic | None: ...

    async def topic_by_thread(self, chat_id: int, thread_id: int) -> Topic | None: ...

    async def save_topic(self, topic: Topic) -> None: ...

    async def claim_topic(self, customer_id: int, now: datetime, stale_after: timedelta) -> bool:
        """Claim opening the customer's topic, for this replica alone: False while another
        holds the claim. A claim older than ``stale_after`` (its replica stopped mid-way) is
        taken over."""
        ...

    async def release_topic(self, customer_id: int) -> None:
        """Give up the claim on opening the customer's topic (the topic is saved, or not)."""
        ...

    async def forget_customer(self, customer_id: int) -> Topic | None:
        """Delete the customer's conversations, their messages and the topic mapping (the
        topic itself is Telegram's: returned so the caller can delete it there)."""
        ...

    async def ban(self, customer_id: int, by: int) -> None: ...

    async def unban(self, customer_id: int) -> bool: ...

    async def is_banned(self, customer_id: int) -> bool: ...

    async def set_duty(self, agent_id: int, on_duty: bool) -> None: ...

    async def off_duty(self, agent_ids: Sequence[int]) -> set[int]:
        """Which of these agents said ``/duty off`` (everyone is on duty until they do)."""
        ...
