"""``ConversationStore`` on SQLAlchemy: each method is one short transaction."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations import (
    AgentFigures,
    Conversation,
    Direction,
    Relayed,
    SupportFigures,
    Topic,
)
from bot.storage.models import (
    AgentDutyRow,
    ConversationRow,
    SupportBanRow,
    SupportMessageRow,
    SupportTopicClaimRow,
    SupportTopicRow,
)


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        customer_id=row.customer_id,
        opened_at=row.opened_at,
        customer_name=row.customer_name,
        contact_id=row.contact_id,
        agent_id=row.agent_id,
        agent_name=row.agent_name,
        waiting_since=row.waiting_since,
        first_reply_at=row.first_reply_at,
        reminded_at=row.reminded_at,
        closed_at=row.closed_at,
    )


def _topic(row: SupportTopicRow) -> Topic:
    return Topic(
        customer_id=row.customer_id,
        chat_id=row.chat_id,
        thread_id=row.thread_id,
        card_message_id=row.card_message_id,
        closed=row.closed,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(value.total_seconds() for value in values))


class SqlConversationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # --- conversations -------------------------------------------------------------------
    async def open_conversation(self, customer_id: int) -> Conversation | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(ConversationRow).where(ConversationRow.open_customer_id == customer_id)
            )
            return _conversation(row) if row is not None else None

    async def start_conversation(
        self, customer_id: int, contact_id: int | None, now: datetime, name: str = ""
    ) -> tuple[Conversation, bool]:
        if (current := await self.open_conversation(customer_id)) is not None:
            return current, False
        try:
            async with self._sessions.begin() as session:
                row = ConversationRow(
                    customer_id=customer_id,
                    customer_name=name[:128],
                    contact_id=contact_id,
                    opened_at=now,
                    open_customer_id=customer_id,
                )
                session.add(row)
                await session.flush()
                return _conversation(row), True
        except IntegrityError:  # the customer's other message opened it meanwhile
            current = await self.open_conversation(customer_id)
            assert current is not None
            return current, False

    async def conversation(self, conversation_id: int) -> Conversation | None:
        async with self._sessions() as session:
            row = await session.get(ConversationRow, conversation_id)
            return _conversation(row) if row is not None else None

    async def record(self, message: Relayed) -> None:
        async with self._sessions.begin() as session:
            session.add(
                SupportMessageRow(
                    conversation_id=message.conversation_id,
                    direction=message.direction.value,
                    agent_id=message.agent_id,
                    customer_message_id=message.customer_message_id,
                    agent_chat_id=message.agent_chat_id,
                    agent_message_id=message.agent_message_id,
                    at=message.at,
                )
            )
            this = ConversationRow.id == message.conversation_id
            if message.direction is Direction.IN:
                await session.execute(
                    update(ConversationRow)
                    .where(this, ConversationRow.waiting_since.is_(None))
                    .values(waiting_since=message.at, reminded_at=None)
                )
            elif message.direction is Direction.OUT:
                await session.execute(
                    update(ConversationRow)
                    .where(this, ConversationRow.first_reply_at.is_(None))
                    .values(first_reply_at=message.at)
                )
                await session.execute(
                    update(ConversationRow)
                    .where(this, ConversationRow.agent_id.is_(None))
                    .values(agent_id=message.agent_id, agent_name=message.agent_name[:128])
                )
                await session.execute(
                    update(ConversationRow).where(this).values(waiting_since=None)
                )

    async def customer_messages_since(self, customer_id: int, since: datetime) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(SupportMessageRow)
                .join(ConversationRow, ConversationRow.id == SupportMessageRow.conversation_id)
                .where(
                    ConversationRow.customer_id == customer_id,
                    SupportMessageRow.direction == Direction.IN.value,
                    SupportMessageRow.at >= since,
                )
            )
            return int(count or 0)

    async def find_by_copy(self, agent_chat_id: int, agent_message_id: int) -> Conversation | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(ConversationRow)
                .join(SupportMessageRow, ConversationRow.id == SupportMessageRow.conversation_id)
                .where(
                    SupportMessageRow.agent_chat_id == agent_chat_id,
                    SupportMessageRow.agent_message_id == agent_message_id,
                )
                .limit(1)
            )
            return _conversation(row) if row is not None else None

    async def agent_side_of(self, customer_id: int, customer_message_id: int) -> int | None:
        async with self._sessions() as session:
            found = await session.scalar(
                select(SupportMessageRow.agent_message_id)
                .join(ConversationRow, ConversationRow.id == SupportMessageRow.conversation_id)
                .where(
                    ConversationRow.customer_id == customer_id,
                    SupportMessageRow.customer_message_id == customer_message_id,
                )
                .order_by(SupportMessageRow.id)
                .limit(1)
            )
            return int(found) if found is not None else None

    async def customer_side_of(self, agent_chat_id: int, agent_message_id: int) -> int | None:
        async with self._sessions() as session:
            found = await session.scalar(
                select(SupportMessageRow.customer_message_id)
                .where(
                    SupportMessageRow.agent_chat_id == agent_chat_id,
                    SupportMessageRow.agent_message_id == agent_message_id,
                )
                .order_by(SupportMessageRow.id)
                .limit(1)
            )
            return int(found) if found is not None else None

    async def take(self, conversation_id: int, agent_id: int, agent_name: str) -> Conversation:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == conversation_id, ConversationRow.agent_id.is_(None))
                .values(agent_id=agent_id, agent_name=agent_name[:128])
            )
            row = await session.get(ConversationRow, conversation_id, populate_existing=True)
            assert row is not None
            return _conversation(row)

    async def close(self, conversation_id: int, now: datetime) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == conversation_id, ConversationRow.closed_at.is_(None))
                .values(closed_at=now, open_customer_id=None, waiting_since=None)
            )
            return bool(getattr(result, "rowcount", 0))

    async def waiting(self) -> list[Conversation]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ConversationRow)
                .where(
                    ConversationRow.closed_at.is_(None), ConversationRow.waiting_since.is_not(None)
                )
                .order_by(ConversationRow.waiting_since, ConversationRow.id)
            )
            return [_conversation(row) for row in rows]

    async def open_conversations(self) -> list[Conversation]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ConversationRow)
                .where(ConversationRow.closed_at.is_(None))
                .order_by(ConversationRow.opened_at, ConversationRow.id)
            )
            found = [_conversation(row) for row in rows]
        # Waiting ones first, longest waiting first; then the answered ones, oldest first.
        return sorted(
            found,
            key=lambda c: (c.waiting_since is None, c.waiting_since or c.opened_at, c.id),
        )

    async def mark_reminded(self, conversation_id: int, now: datetime) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ConversationRow)
                .where(
                    ConversationRow.id == conversation_id, ConversationRow.reminded_at.is_(None)
                )
                .values(reminded_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    async def figures(self, since: datetime) -> SupportFigures:
        async with self._sessions() as session:
            open_rows = list(
                await session.scalars(
                    select(ConversationRow).where(ConversationRow.closed_at.is_(None))
                )
            )
            recent = list(
                await session.scalars(
                    select(ConversationRow).where(ConversationRow.opened_at >= since)
                )
            )
            replies = await session.execute(
                select(SupportMessageRow.agent_id, func.count())
                .where(
                    SupportMessageRow.direction == Direction.OUT.value,
                    SupportMessageRow.at >= since,
                    SupportMessageRow.agent_id.is_not(None),
                )
                .group_by(SupportMessageRow.agent_id)
            )
            reply_counts = {
                int(agent): int(count) for agent, count in replies.all() if agent is not None
            }
        waits: list[timedelta] = []
        per_agent: dict[int, list[timedelta]] = defaultdict(list)
        names = {row.agent_id: row.agent_name for row in recent if row.agent_id is not None}
        for row in recent:
            if row.first_reply_at is None:
                continue
            wait = row.first_reply_at - row.opened_at
            waits.append(wait)
            if row.agent_id is not None:
                per_agent[row.agent_id].append(wait)
        agents = tuple(
            AgentFigures(
                agent_id=agent,
                name=names.get(agent, ""),
                conversations=len(per_agent.get(agent, [])),
                replies=reply_counts.get(agent, 0),
                median_first_reply=_median(per_agent.get(agent, [])),
            )
            for agent in sorted(set(per_agent) | set(reply_counts))
        )
        return SupportFigures(
            open_conversations=len(open_rows),
            waiting=sum(row.waiting_since is not None for row in open_rows),
            conversations=len(recent),
            median_first_reply=_median(waits),
            agents=agents,
        )

    # --- topics --------------------------------------------------------------------------
    async def topic(self, customer_id: int) -> Topic | None:
        async with self._sessions() as session:
            row = await session.get(SupportTopicRow, customer_id)
            return _topic(row) if row is not None else None

    async def topic_by_thread(self, chat_id: int, thread_id: int) -> Topic | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(SupportTopicRow).where(
                    SupportTopicRow.chat_id == chat_id, SupportTopicRow.thread_id == thread_id
                )
            )
            return _topic(row) if row is not None else None

    async def save_topic(self, topic: Topic) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(SupportTopicRow, topic.customer_id)
            if row is None:
                row = SupportTopicRow(customer_id=topic.customer_id)
                session.add(row)
            row.chat_id = topic.chat_id
            row.thread_id = topic.thread_id
            row.card_message_id = topic.card_message_id
            row.closed = topic.closed

    async def claim_topic(self, customer_id: int, now: datetime, stale_after: timedelta) -> bool:
        claim = SupportTopicClaimRow.customer_id == customer_id
        try:
            async with self._sessions.begin() as session:
                await session.execute(
                    delete(SupportTopicClaimRow).where(
                        claim, SupportTopicClaimRow.claimed_at < now - stale_after
                    )
                )
                session.add(SupportTopicClaimRow(customer_id=customer_id, claimed_at=now))
        except IntegrityError:  # another replica holds it
            return False
        return True

    async def release_topic(self, customer_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(SupportTopicClaimRow).where(SupportTopicClaimRow.customer_id == customer_id)
            )

    async def forget_customer(self, customer_id: int) -> Topic | None:
        async with self._sessions.begin() as session:
            ids = select(ConversationRow.id).where(ConversationRow.customer_id == customer_id)
            # SQLite enforces no foreign keys unless told to: delete the messages explicitly.
            await session.execute(
                delete(SupportMessageRow).where(SupportMessageRow.conversation_id.in_(ids))
            )
            await session.execute(
                delete(ConversationRow).where(ConversationRow.customer_id == customer_id)
            )
            row = await session.get(SupportTopicRow, customer_id)
            topic = _topic(row) if row is not None else None
            if row is not None:
                await session.delete(row)
            await session.execute(
                delete(SupportBanRow).where(SupportBanRow.customer_id == customer_id)
            )
            return topic

    # --- bans and duty -------------------------------------------------------------------
    async def ban(self, customer_id: int, by: int) -> None:
        async with self._sessions.begin() as session:
            if await session.get(SupportBanRow, customer_id) is None:
                session.add(SupportBanRow(customer_id=customer_id, banned_by=by, banned_at=_now()))

    async def unban(self, customer_id: int) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(SupportBanRow).where(SupportBanRow.customer_id == customer_id)
            )
            return bool(getattr(result, "rowcount", 0))

    async def is_banned(self, customer_id: int) -> bool:
        async with self._sessions() as session:
            return await session.get(SupportBanRow, customer_id) is not None

    async def set_duty(self, agent_id: int, on_duty: bool) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(AgentDutyRow, agent_id)
            if row is None:
                session.add(AgentDutyRow(agent_id=agent_id, on_duty=on_duty, changed_at=_now()))
            else:
                row.on_duty, row.changed_at = on_duty, _now()

    async def off_duty(self, agent_ids: Sequence[int]) -> set[int]:
        if not agent_ids:
            return set()
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AgentDutyRow.agent_id).where(
                    AgentDutyRow.agent_id.in_(list(agent_ids)), AgentDutyRow.on_duty.is_(False)
                )
            )
            return {int(agent) for agent in rows}
