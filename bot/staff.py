"""Who is staff: admins from settings plus agents and admins that an admin added (stored)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.records import BotStore, Role


class StaffDirectory:
    def __init__(self, store: BotStore, admins: Iterable[int]) -> None:
        self._store = store
        self.configured_admins = frozenset(admins)

    async def role(self, telegram_user_id: int) -> Role | None:
        if telegram_user_id in self.configured_admins:
            return Role.ADMIN
        return await self._store.staff_role(telegram_user_id)

    async def add(self, telegram_user_id: int, role: Role, added_by: int) -> None:
        await self._store.add_staff(telegram_user_id, role, added_by)

    async def remove(self, telegram_user_id: int) -> bool:
        return await self._store.remove_staff(telegram_user_id)

    async def member_ids(self) -> list[int]:
        stored = [member.telegram_user_id for member in await self._store.staff()]
        return sorted(self.configured_admins.union(stored))
