"""``AlertStore`` on SQLAlchemy: each method is one short transaction.

Firing and claiming are single conditional statements, so that replicas sharing the database
never fire one alert twice nor hold one delivery at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts import Alert, AlertDelivery, AlertFigures, AlertKind, DeliveryState
from bot.storage.models import AlertDeliveryRow, AlertRow, WorkerLeaseRow

_ERROR_CHARS = 500


def _price(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _alert(row: AlertRow) -> Alert:
    return Alert(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        product_id=row.product_id,
        kind=AlertKind(row.kind),
        price=_price(row.price),
        currency=row.currency,
        locale=row.locale,
        created_at=row.created_at,
    )


def _delivery(row: AlertDeliveryRow) -> AlertDelivery:
    return AlertDelivery(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        product_id=row.product_id,
        kind=AlertKind(row.kind),
        price_then=_price(row.price_then),
        currency=row.currency,
        locale=row.locale,
        attempts=row.attempts,
    )


def _unclaimed(now: datetime) -> Any:
    return or_(AlertDeliveryRow.claimed_until.is_(None), AlertDeliveryRow.claimed_until < now)


class SqlAlertStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def subscribe(
        self,
        telegram_user_id: int,
        product_id: str,
        kind: AlertKind,
        *,
        price: Decimal | None,
        currency: str | None,
        locale: str,
        now: datetime,
    ) -> bool:
        async with self._sessions.begin() as session:
            insert = (
                pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            )
            result = await session.execute(
                insert(AlertRow)
                .values(
                    telegram_user_id=telegram_user_id,
                    product_id=product_id,
                    kind=kind.value,
                    price=str(price) if price is not None else None,
                    currency=(currency or "")[:16] or None,
                    locale=locale[:16],
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["telegram_user_id", "product_id", "kind"])
            )
            return bool(getattr(result, "rowcount", 0))

    async def unsubscribe(self, telegram_user_id: int, product_id: str, kind: AlertKind) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(AlertRow).where(
                    AlertRow.telegram_user_id == telegram_user_id,
                    AlertRow.product_id == product_id,
                    AlertRow.kind == kind.value,
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def remove(self, telegram_user_id: int, alert_id: int) -> Alert | None:
        async with self._sessions.begin() as session:
            row = await session.get(AlertRow, alert_id)
            if row is None or row.telegram_user_id != telegram_user_id:
                return None
            alert = _alert(row)
            await session.delete(row)
            return alert

    async def alerts_of(self, telegram_user_id: int) -> list[Alert]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AlertRow)
                .where(AlertRow.telegram_user_id == telegram_user_id)
                .order_by(AlertRow.id)
            )
            return [_alert(row) for row in rows]

    async def forget(self, telegram_user_id: int) -> None:
        """The user's alerts and their deliveries not yet sent (``/forget``)."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(AlertRow).where(AlertRow.telegram_user_id == telegram_user_id)
            )
            await session.execute(
                delete(AlertDeliveryRow).where(
                    AlertDeliveryRow.telegram_user_id == telegram_user_id
                )
            )

    async def watched_products(self, after: str | None, limit: int) -> list[str]:
        statement = select(AlertRow.product_id).distinct().order_by(AlertRow.product_id)
        if after is not None:
            statement = statement.where(AlertRow.product_id > after)
        async with self._sessions() as session:
            return list(await session.scalars(statement.limit(limit)))

    async def alerts_on(self, product_ids: Sequence[str]) -> list[Alert]:
        if not product_ids:
            return []
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AlertRow)
                .where(AlertRow.product_id.in_(list(product_ids)))
                .order_by(AlertRow.id)
            )
            return [_alert(row) for row in rows]

    async def fire(self, alerts: Sequence[Alert], now: datetime) -> int:
        fired = 0
        async with self._sessions.begin() as session:
            for alert in alerts:
                # Whoever deletes the subscription makes its one delivery.
                result = await session.execute(delete(AlertRow).where(AlertRow.id == alert.id))
                if not getattr(result, "rowcount", 0):
                    continue
                session.add(
                    AlertDeliveryRow(
                        telegram_user_id=alert.telegram_user_id,
                        product_id=alert.product_id,
                        kind=alert.kind.value,
                        price_then=str(alert.price) if alert.price is not None else None,
                        currency=alert.currency,
                        locale=alert.locale,
                        state=DeliveryState.PENDING.value,
                        fired_at=now,
                        not_before=now,
                        attempts=0,
                        error="",
                    )
                )
                fired += 1
        return fired

    async def claim_deliveries(
        self, claim: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[AlertDelivery]:
        due = (
            select(AlertDeliveryRow.id)
            .where(
                AlertDeliveryRow.state == DeliveryState.PENDING.value,
                AlertDeliveryRow.not_before <= now,
                _unclaimed(now),
            )
            .order_by(AlertDeliveryRow.id)
            .limit(limit)
        )
        async with self._sessions.begin() as session:
            # The conditions again on the rows themselves: of two replicas that picked the
            # same ids, the one that updates a row second finds it claimed and leaves it.
            await session.execute(
                update(AlertDeliveryRow)
                .where(
                    AlertDeliveryRow.id.in_(list(await session.scalars(due))),
                    AlertDeliveryRow.state == DeliveryState.PENDING.value,
                    _unclaimed(now),
                )
                .values(
                    claim=claim,
                    claimed_until=now + lease,
                    attempts=AlertDeliveryRow.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            rows = await session.scalars(
                select(AlertDeliveryRow)
                .where(
                    AlertDeliveryRow.claim == claim,
                    AlertDeliveryRow.state == DeliveryState.PENDING.value,
                )
                .order_by(AlertDeliveryRow.id)
            )
            return [_delivery(row) for row in rows]

    async def finish_delivery(
        self, delivery_id: int, claim: str, state: DeliveryState, now: datetime, error: str = ""
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(AlertDeliveryRow)
                .where(AlertDeliveryRow.id == delivery_id, AlertDeliveryRow.claim == claim)
                .values(
                    state=state.value,
                    finished_at=now,
                    claim=None,
                    claimed_until=None,
                    error=error[:_ERROR_CHARS],
                )
            )

    async def postpone_delivery(
        self, delivery_id: int, claim: str, not_before: datetime, error: str
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(AlertDeliveryRow)
                .where(AlertDeliveryRow.id == delivery_id, AlertDeliveryRow.claim == claim)
                .values(
                    not_before=not_before,
                    claim=None,
                    claimed_until=None,
                    error=error[:_ERROR_CHARS],
                )
            )

    async def figures(self, since: datetime) -> AlertFigures:
        async with self._sessions() as session:
            active = await session.scalar(select(func.count()).select_from(AlertRow))
            rows = await session.execute(
                select(AlertDeliveryRow.state, func.count())
                .where(AlertDeliveryRow.fired_at >= since)
                .group_by(AlertDeliveryRow.state)
            )
            counts = {state: int(count) for state, count in rows}
        return AlertFigures(
            active=int(active or 0),
            pending=counts.get(DeliveryState.PENDING.value, 0),
            sent=counts.get(DeliveryState.SENT.value, 0),
            blocked=counts.get(DeliveryState.BLOCKED.value, 0),
            failed=counts.get(DeliveryState.FAILED.value, 0),
        )

    async def take_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        async with self._sessions.begin() as session:
            renewed = await session.execute(
                update(WorkerLeaseRow)
                .where(
                    WorkerLeaseRow.name == name,
                    or_(WorkerLeaseRow.holder == holder, WorkerLeaseRow.until < now),
                )
                .values(holder=holder, until=now + ttl)
            )
            if getattr(renewed, "rowcount", 0):
                return True
            insert = (
                pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            )
            taken = await session.execute(
                insert(WorkerLeaseRow)
                .values(name=name, holder=holder, until=now + ttl)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return bool(getattr(taken, "rowcount", 0))

    async def release_lease(self, name: str, holder: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(WorkerLeaseRow).where(
                    WorkerLeaseRow.name == name, WorkerLeaseRow.holder == holder
                )
            )
