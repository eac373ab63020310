"""Model snapshots and the shared counters that tell other processes to reload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.storage.models import ModelSnapshotRow, SettingRow


@dataclass(frozen=True)
class Snapshot:
    version: int
    built_at: datetime
    orders: int
    lines: int
    data: bytes
    tuning: dict[str, Any] | None = None


@dataclass(frozen=True)
class SnapshotSummary:
    """The newest model's metadata, without its arrays."""

    built_at: datetime
    tuning: dict[str, Any] | None


class SnapshotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_version(self) -> int | None:
        version = await self.session.scalar(select(func.max(ModelSnapshotRow.version)))
        return None if version is None else int(version)

    async def latest_summary(self) -> SnapshotSummary | None:
        row = (
            await self.session.execute(
                select(ModelSnapshotRow.built_at, ModelSnapshotRow.tuning)
                .order_by(ModelSnapshotRow.version.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else SnapshotSummary(row.built_at, row.tuning)

    async def latest(self) -> Snapshot | None:
        row = await self.session.scalar(
            select(ModelSnapshotRow).order_by(ModelSnapshotRow.version.desc()).limit(1)
        )
        if row is None:
            return None
        return Snapshot(row.version, row.built_at, row.orders, row.lines, row.data, row.tuning)

    async def add(
        self,
        data: bytes,
        *,
        built_at: datetime,
        orders: int,
        lines: int,
        tuning: dict[str, Any] | None = None,
        keep: int = 2,
    ) -> int:
        """Store a snapshot (``tuning``: what the rebuild's tuning chose, as JSON), drop all
        but the newest ``keep``; returns the new version."""
        version = await self.session.scalar(
            insert(ModelSnapshotRow)
            .values(data=data, built_at=built_at, orders=orders, lines=lines, tuning=tuning)
            .returning(ModelSnapshotRow.version)
        )
        assert version is not None
        stale = list(
            await self.session.scalars(
                select(ModelSnapshotRow.version)
                .order_by(ModelSnapshotRow.version.desc())
                .offset(keep)
            )
        )
        if stale:
            await self.session.execute(
                delete(ModelSnapshotRow).where(ModelSnapshotRow.version.in_(stale))
            )
        return int(version)


class CounterRepository:
    """Named counters in ``engine_state``; bumping one tells other processes to reload."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> int:
        value = await self.session.scalar(select(SettingRow.value).where(SettingRow.key == key))
        return int(value or 0)

    async def bump(self, key: str) -> None:
        result = await self.session.execute(
            update(SettingRow)
            .where(SettingRow.key == key)
            .values(value=SettingRow.value + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 0:
            await self.session.execute(insert(SettingRow).values(key=key, value=1))
