"""Tables the bot keeps next to (never inside) the engine's: all named ``bot_*``."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite auto-numbers only an INTEGER PRIMARY KEY (already 64-bit there).
Serial = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite keeps no zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        int: BigInteger,
        datetime: UtcDateTime(),
    }


class UserRow(Base):
    """A Telegram user the bot has talked to: chosen language, linked contact, blocked flag."""

    __tablename__ = "bot_users"

    telegram_user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(16))
    contact_id: Mapped[int | None]
    linked_at: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # As Telegram names them when they linked: what staff see of who is linked.
    first_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))


class StaffRow(Base):
    """An agent or admin added by an admin (admins from settings are not stored)."""

    __tablename__ = "bot_staff"

    telegram_user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[int | None]
    added_at: Mapped[datetime]


class AuditRow(Base):
    """One staff action: who did what to whom, when. Phones and emails arrive masked."""

    __tablename__ = "bot_audit"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200), default="", index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class LinkTokenRow(Base):
    """A deep link's token (stored as its SHA-256): whom it links, until when, and who opened
    it first. Tokens are random, so the link itself says nothing about the customer."""

    __tablename__ = "bot_link_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    minted_by: Mapped[int | None]
    redeemed_at: Mapped[datetime | None]
    redeemed_by: Mapped[int | None]


class ProductRefRow(Base):
    """Short keys for product ids too long or too odd for 64-byte callback data."""

    __tablename__ = "bot_product_refs"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_id: Mapped[str] = mapped_column(Text)


class ConversationRow(Base):
    """A customer's conversation with support, from their first message to its closing."""

    __tablename__ = "bot_conversations"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(index=True)
    customer_name: Mapped[str] = mapped_column(String(128), default="")
    contact_id: Mapped[int | None]
    agent_id: Mapped[int | None]
    agent_name: Mapped[str] = mapped_column(String(128), default="")
    opened_at: Mapped[datetime]
    waiting_since: Mapped[datetime | None]
    first_reply_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Set while open, NULL once closed: a unique index on it allows one open conversation
    # per customer, on SQLite and PostgreSQL alike (NULLs never collide).
    open_customer_id: Mapped[int | None] = mapped_column(unique=True)


class SupportMessageRow(Base):
    """One message relayed in a conversation (or an internal note), with both sides' ids."""

    __tablename__ = "bot_support_messages"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("bot_conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(8))
    agent_id: Mapped[int | None]
    customer_message_id: Mapped[int | None]
    agent_chat_id: Mapped[int | None]
    agent_message_id: Mapped[int | None]
    at: Mapped[datetime]

    __table_args__ = (Index("ix_bot_support_messages_copy", "agent_chat_id", "agent_message_id"),)


class SupportTopicRow(Base):
    """The customer's forum topic in the operators' group, kept across conversations."""

    __tablename__ = "bot_support_topics"

    customer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    chat_id: Mapped[int]
    thread_id: Mapped[int]
    card_message_id: Mapped[int | None]
    closed: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("chat_id", "thread_id"),)


class SupportTopicClaimRow(Base):
    """A replica opening the customer's topic, from before ``createForumTopic`` until the
    topic is saved: another replica waits for it rather than opening a second topic."""

    __tablename__ = "bot_support_topic_claims"

    customer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    claimed_at: Mapped[datetime]


class SupportBanRow(Base):
    """A user whose messages to support are dropped."""

    __tablename__ = "bot_support_bans"

    customer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    banned_by: Mapped[int]
    banned_at: Mapped[datetime]


class AgentDutyRow(Base):
    """An agent's ``/duty on|off``; an agent without a row is on duty."""

    __tablename__ = "bot_agent_duty"

    agent_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    on_duty: Mapped[bool]
    changed_at: Mapped[datetime]


class SavedItemRow(Base):
    """A product a customer saved with ❤️ (the Saved list), by Telegram user."""

    __tablename__ = "bot_saved_items"

    telegram_user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    product_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    saved_at: Mapped[datetime]


class AlertRow(Base):
    """A customer's back-in-stock or price-drop alert, until it fires. Prices are kept as
    decimal text (exact on SQLite and PostgreSQL alike)."""

    __tablename__ = "bot_alerts"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    telegram_user_id: Mapped[int]
    product_id: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(8))
    price: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("telegram_user_id", "product_id", "kind"),)


class AlertDeliveryRow(Base):
    """A fired alert: one card to one chat, pending until sent (or refused). A worker holds
    it by ``claim`` until ``claimed_until``; a dead worker's claim runs out."""

    __tablename__ = "bot_alert_deliveries"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    telegram_user_id: Mapped[int] = mapped_column(index=True)
    product_id: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))
    price_then: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    fired_at: Mapped[datetime] = mapped_column(index=True)
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_bot_alert_deliveries_due", "state", "not_before"),)


class WorkerLeaseRow(Base):
    """Which process runs a job that must run in one place at a time (the alert worker, which
    paces Telegram sends for the whole bot), until when; renewed while it runs."""

    __tablename__ = "bot_worker_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(36))
    until: Mapped[datetime]
