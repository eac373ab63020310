"""Support conversations, their relayed messages, customers' forum topics, bans, agents' duty.

Revision ID: bot0003
Revises: bot0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bot0003"
down_revision: str | None = "bot0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bot_conversations",
        sa.Column("id", Serial, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_name", sa.String(128), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_name", sa.String(128), nullable=False),
        sa.Column("opened_at", Time, nullable=False),
        sa.Column("waiting_since", Time, nullable=True),
        sa.Column("first_reply_at", Time, nullable=True),
        sa.Column("reminded_at", Time, nullable=True),
        sa.Column("closed_at", Time, nullable=True),
        sa.Column("open_customer_id", sa.BigInteger(), nullable=True, unique=True),
    )
    op.create_index("ix_bot_conversations_customer_id", "bot_conversations", ["customer_id"])
    op.create_table(
        "bot_support_messages",
        sa.Column("id", Serial, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.BigInteger(),
            sa.ForeignKey("bot_conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_message_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_message_id", sa.BigInteger(), nullable=True),
        sa.Column("at", Time, nullable=False),
    )
    op.create_index(
        "ix_bot_support_messages_conversation_id", "bot_support_messages", ["conversation_id"]
    )
    op.create_index(
        "ix_bot_support_messages_copy",
        "bot_support_messages",
        ["agent_chat_id", "agent_message_id"],
    )
    op.create_table(
        "bot_support_topics",
        sa.Column("customer_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("chat_id", "thread_id"),
    )
    op.create_table(
        "bot_support_bans",
        sa.Column("customer_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("banned_by", sa.BigInteger(), nullable=False),
        sa.Column("banned_at", Time, nullable=False),
    )
    op.create_table(
        "bot_agent_duty",
        sa.Column("agent_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("changed_at", Time, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bot_agent_duty")
    op.drop_table("bot_support_bans")
    op.drop_table("bot_support_topics")
    op.drop_index("ix_bot_support_messages_copy", table_name="bot_support_messages")
    op.drop_index("ix_bot_support_messages_conversation_id", table_name="bot_support_messages")
    op.drop_table("bot_support_messages")
    op.drop_index("ix_bot_conversations_customer_id", table_name="bot_conversations")
    op.drop_table("bot_conversations")
