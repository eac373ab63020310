"""The bot's repository and unit of work in one: each method is one short transaction."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.records import AuditEntry, BotUser, LinkToken, Role, StaffMember
from bot.storage.alerts import SqlAlertStore
from bot.storage.conversations import SqlConversationStore
from bot.storage.models import (
    AuditRow,
    LinkTokenRow,
    ProductRefRow,
    SavedItemRow,
    StaffRow,
    UserRow,
)

# Expired links are kept this long (for the audit of late openings), then dropped.
EXPIRED_LINKS_KEPT = timedelta(days=30)


def _now() -> datetime:
    return datetime.now(UTC)


def _audit_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        at=row.at, actor_id=row.actor_id, action=row.action, target=row.target, detail=row.detail
    )


class SqlBotStore:
    """``BotStore`` on SQLAlchemy (SQLite or PostgreSQL)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.conversations = SqlConversationStore(sessions)
        self.alerts = SqlAlertStore(sessions)

    @staticmethod
    def _insert(session: AsyncSession) -> Any:
        """INSERT with ON CONFLICT, which SQLite and PostgreSQL both have (spelled apart)."""
        return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert

    async def _upsert_user(self, telegram_user_id: int, **values: Any) -> None:
        async with self._sessions.begin() as session:
            statement = self._insert(session)(UserRow).values(
                telegram_user_id=telegram_user_id, created_at=_now(), **values
            )
            await session.execute(
                statement.on_conflict_do_update(index_elements=["telegram_user_id"], set_=values)
            )

    # --- users -------------------------------------------------------------------------
    async def user(self, telegram_user_id: int) -> BotUser | None:
        async with self._sessions() as session:
            row = await session.get(UserRow, telegram_user_id)
            if row is None:
                return None
            return BotUser(
                telegram_user_id=row.telegram_user_id,
                language=row.language,
                contact_id=row.contact_id,
                blocked=row.blocked_at is not None,
                first_name=row.first_name,
                username=row.username,
            )

    async def language(self, telegram_user_id: int) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(UserRow.language).where(UserRow.telegram_user_id == telegram_user_id)
            )

    async def set_language(self, telegram_user_id: int, language: str) -> None:
        await self._upsert_user(telegram_user_id, language=language)

    async def set_contact(
        self,
        telegram_user_id: int,
        contact_id: int,
        language: str | None = None,
        *,
        first_name: str | None = None,
        username: str | None = None,
    ) -> None:
        """Remember the link. ``language`` (the one the user is spoken to in) is kept unless
        they chose one already: staff sends reach the customer in it."""
        now = _now()
        names = {
            "first_name": (first_name or "")[:128] or None,
            "username": (username or "")[:64] or None,
        }
        async with self._sessions.begin() as session:
            # A contact is linked to one Telegram user at most, as in the engine.
            await session.execute(
                update(UserRow)
                .where(
                    UserRow.contact_id == contact_id, UserRow.telegram_user_id != telegram_user_id
                )
                .values(contact_id=None, linked_at=None)
            )
            statement = self._insert(session)(UserRow).values(
                telegram_user_id=telegram_user_id,
                created_at=now,
                contact_id=contact_id,
                linked_at=now,
                language=language,
                **names,
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["telegram_user_id"],
                    set_={
                        "contact_id": contact_id,
                        "linked_at": now,
                        "language": func.coalesce(UserRow.language, statement.excluded.language),
                        **names,
                    },
                )
            )

    async def remember_names(
        self, telegram_user_id: int, first_name: str, username: str | None
    ) -> None:
        await self._upsert_user(
            telegram_user_id,
            first_name=first_name[:128] or None,
            username=(username or "")[:64] or None,
        )

    async def user_by_username(self, username: str) -> BotUser | None:
        wanted = username.strip().removeprefix("@").lower()
        if not wanted:
            return None
        async with self._sessions() as session:
            telegram_user_id = await session.scalar(
                select(UserRow.telegram_user_id)
                .where(func.lower(UserRow.username) == wanted)
                .order_by(UserRow.created_at.desc())
                .limit(1)
            )
        return await self.user(telegram_user_id) if telegram_user_id is not None else None

    async def forget(self, telegram_user_id: int) -> None:
        """Delete what the bot stored about the user (language, link, blocked flag, saved
        products, alerts)."""
        await self.alerts.forget(telegram_user_id)
        async with self._sessions.begin() as session:
            await session.execute(
                delete(UserRow).where(UserRow.telegram_user_id == telegram_user_id)
            )
            await session.execute(
                delete(SavedItemRow).where(SavedItemRow.telegram_user_id == telegram_user_id)
            )

    async def mark_blocked(self, telegram_user_id: int) -> None:
        await self._upsert_user(telegram_user_id, blocked_at=_now())

    async def clear_blocked(self, telegram_user_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(UserRow)
                .where(
                    UserRow.telegram_user_id == telegram_user_id, UserRow.blocked_at.is_not(None)
                )
                .values(blocked_at=None)
            )

    async def is_blocked(self, telegram_user_id: int) -> bool:
        async with self._sessions() as session:
            blocked_at = await session.scalar(
                select(UserRow.blocked_at).where(UserRow.telegram_user_id == telegram_user_id)
            )
            return blocked_at is not None

    # --- staff -------------------------------------------------------------------------
    async def staff_role(self, telegram_user_id: int) -> Role | None:
        async with self._sessions() as session:
            role = await session.scalar(
                select(StaffRow.role).where(StaffRow.telegram_user_id == telegram_user_id)
            )
            return Role(role) if role is not None else None

    async def add_staff(self, telegram_user_id: int, role: Role, added_by: int | None) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(StaffRow, telegram_user_id)
            if row is None:
                session.add(
                    StaffRow(
                        telegram_user_id=telegram_user_id,
                        role=role.value,
                        added_by=added_by,
                        added_at=_now(),
                    )
                )
            else:
                row.role = role.value

    async def remove_staff(self, telegram_user_id: int) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(StaffRow).where(StaffRow.telegram_user_id == telegram_user_id)
            )
            return bool(getattr(result, "rowcount", 0))

    async def staff(self) -> list[StaffMember]:
        async with self._sessions() as session:
            rows = await session.scalars(select(StaffRow).order_by(StaffRow.telegram_user_id))
            return [
                StaffMember(
                    telegram_user_id=row.telegram_user_id,
                    role=Role(row.role),
                    added_by=row.added_by,
                    added_at=row.added_at,
                )
                for row in rows
            ]

    # --- audit log ---------------------------------------------------------------------
    async def audit(self, actor_id: int, action: str, target: str = "", detail: str = "") -> None:
        async with self._sessions.begin() as session:
            session.add(
                AuditRow(
                    at=_now(),
                    actor_id=actor_id,
                    action=action[:32],
                    target=target[:200],
                    detail=detail[:2000],
                )
            )

    async def audit_log(self, limit: int = 20) -> list[AuditEntry]:
        """Newest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            )
            return [_audit_entry(row) for row in rows]

    async def audit_of(
        self, targets: Sequence[str], actions: Collection[str], limit: int = 10
    ) -> list[AuditEntry]:
        """Entries of one of ``actions`` about any of ``targets``, newest first."""
        if not targets:
            return []
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AuditRow)
                .where(
                    AuditRow.target.in_([target[:200] for target in targets]),
                    AuditRow.action.in_(list(actions)),
                )
                .order_by(AuditRow.id.desc())
                .limit(limit)
            )
            return [_audit_entry(row) for row in rows]

    # --- deep links ----------------------------------------------------------------------
    async def add_link_token(
        self,
        token_hash: str,
        external_id: str,
        *,
        now: datetime,
        expires_at: datetime,
        minted_by: int | None,
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(LinkTokenRow).where(LinkTokenRow.expires_at < now - EXPIRED_LINKS_KEPT)
            )
            session.add(
                LinkTokenRow(
                    token_hash=token_hash,
                    external_id=external_id,
                    created_at=now,
                    expires_at=expires_at,
                    minted_by=minted_by,
                )
            )

    async def claim_link_token(
        self, token_hash: str, telegram_user_id: int, now: datetime
    ) -> tuple[bool, LinkToken | None]:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(LinkTokenRow)
                .where(
                    LinkTokenRow.token_hash == token_hash,
                    LinkTokenRow.redeemed_at.is_(None),
                    LinkTokenRow.expires_at > now,
                )
                .values(redeemed_at=now, redeemed_by=telegram_user_id)
                .execution_options(synchronize_session=False)
            )
            claimed = bool(getattr(result, "rowcount", 0))
            row = await session.get(LinkTokenRow, token_hash)
            if row is None:
                return False, None
            return claimed, LinkToken(
                external_id=row.external_id,
                expires_at=row.expires_at,
                redeemed_at=row.redeemed_at,
                redeemed_by=row.redeemed_by,
            )

    async def release_link_token(self, token_hash: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(LinkTokenRow)
                .where(LinkTokenRow.token_hash == token_hash)
                .values(redeemed_at=None, redeemed_by=None)
            )

    # --- product refs ------------------------------------------------------------------
    async def product_ref(self, product_id: str) -> str:
        """A short stable key for ``product_id`` (22 characters of base64url)."""
        digest = hashlib.sha256(product_id.encode()).digest()[:16]
        key = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        async with self._sessions.begin() as session:
            await session.execute(
                self._insert(session)(ProductRefRow)
                .values(key=key, product_id=product_id)
                .on_conflict_do_nothing(index_elements=["key"])
            )
        return key

    async def resolve_ref(self, key: str) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(ProductRefRow.product_id).where(ProductRefRow.key == key)
            )

    # --- saved products ------------------------------------------------------------------
    async def set_saved(self, telegram_user_id: int, product_id: str, saved: bool) -> bool:
        """Save or unsave; whether anything changed (saving twice keeps the first date)."""
        async with self._sessions.begin() as session:
            if saved:
                result = await session.execute(
                    self._insert(session)(SavedItemRow)
                    .values(
                        telegram_user_id=telegram_user_id, product_id=product_id, saved_at=_now()
                    )
                    .on_conflict_do_nothing(index_elements=["telegram_user_id", "product_id"])
                )
            else:
                result = await session.execute(
                    delete(SavedItemRow).where(
                        SavedItemRow.telegram_user_id == telegram_user_id,
                        SavedItemRow.product_id == product_id,
                    )
                )
            return bool(getattr(result, "rowcount", 0))

    async def is_saved(self, telegram_user_id: int, product_id: str) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(SavedItemRow.product_id).where(
                    SavedItemRow.telegram_user_id == telegram_user_id,
                    SavedItemRow.product_id == product_id,
                )
            )
            return found is not None

    async def saved_products(self, telegram_user_id: int, limit: int = 50) -> list[str]:
        """Newest first; ties (the same instant) by product id."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(SavedItemRow.product_id)
                .where(SavedItemRow.telegram_user_id == telegram_user_id)
                .order_by(SavedItemRow.saved_at.desc(), SavedItemRow.product_id)
                .limit(limit)
            )
            return list(rows)
