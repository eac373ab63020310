"""Back-in-stock and price-drop alerts: what a subscription and a delivery are, the store
protocol behind them, and the rule that decides when an alert fires.

A subscription lives until it fires; firing turns it, in one transaction, into a delivery
(one card to one chat), which the delivery worker (``bot.delivery``) sends and records.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from bot.ports import ProductCard, Recommender


class AlertKind(enum.StrEnum):
    BACK_IN_STOCK = "back"
    PRICE_DROP = "price"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    """Not sent yet (or being sent: a claim says by whom, until when)."""
    SENT = "sent"
    BLOCKED = "blocked"
    """The user has blocked the bot: not sent, and the user is marked blocked."""
    FAILED = "failed"
    """Telegram refused it (a chat that is gone) or it failed too many times."""


@dataclass(frozen=True, slots=True)
class Alert:
    """A subscription. ``price`` is the product's price when the customer subscribed (what
    a price drop is measured against); ``locale`` the language they were spoken to in."""

    id: int
    telegram_user_id: int
    product_id: str
    kind: AlertKind
    price: Decimal | None
    currency: str | None
    locale: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AlertDelivery:
    """A fired alert on its way. ``price_then``: the price at subscription."""

    id: int
    telegram_user_id: int
    product_id: str
    kind: AlertKind
    price_then: Decimal | None
    currency: str | None
    locale: str
    attempts: int


@dataclass(frozen=True, slots=True)
class AlertFigures:
    """For staff ``/stats``: subscriptions waiting now, deliveries fired since a moment."""

    active: int
    pending: int
    sent: int
    blocked: int
    failed: int


class AlertStore(Protocol):
    """Subscriptions and deliveries; every method is one short transaction."""

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
        """False when the user has this alert already (its price is kept)."""
        ...

    async def unsubscribe(
        self, telegram_user_id: int, product_id: str, kind: AlertKind
    ) -> bool: ...

    async def remove(self, telegram_user_id: int, alert_id: int) -> Alert | None:
        """Remove one of the user's alerts by id; None when it is not theirs (or gone)."""
        ...

    async def alerts_of(self, telegram_user_id: int) -> list[Alert]:
        """The user's alerts, oldest first."""
        ...

    async def watched_products(self, after: str | None, limit: int) -> list[str]:
        """Product ids that have alerts, in id order, from just after ``after``."""
        ...

    async def alerts_on(self, product_ids: Sequence[str]) -> list[Alert]:
        """Every alert on these products, by id."""
        ...

    async def fire(self, alerts: Sequence[Alert], now: datetime) -> int:
        """Turn the alerts into pending deliveries; an alert already fired or removed (by a
        replica, or its user) is skipped. Returns how many fired here."""
        ...

    async def claim_deliveries(
        self, claim: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[AlertDelivery]:
        """Take up to ``limit`` pending deliveries that are due and nobody holds (or whose
        holder's lease ran out: it died mid-way), oldest first, for ``lease``."""
        ...

    async def finish_delivery(
        self, delivery_id: int, claim: str, state: DeliveryState, now: datetime, error: str = ""
    ) -> None: ...

    async def postpone_delivery(
        self, delivery_id: int, claim: str, not_before: datetime, error: str
    ) -> None:
        """Give the delivery back, to be tried again from ``not_before``."""
        ...

    async def figures(self, since: datetime) -> AlertFigures: ...

    async def take_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the job's lease for ``ttl``: True when ``holder`` has it now (it held
        it, nobody did, or its holder's ran out)."""
        ...

    async def release_lease(self, name: str, holder: str) -> None: ...


def fires(alert: Alert, card: ProductCard) -> bool:
    """Whether the product as it stands now sets the alert off: back in stock, or a price
    below the price at subscription (in the same currency; an unknown price never fires)."""
    if alert.kind is AlertKind.BACK_IN_STOCK:
        return card.in_stock
    if alert.price is None or card.price is None or not card.price.is_finite():
        return False
    if alert.currency and card.currency and alert.currency.upper() != card.currency.upper():
        return False
    return card.price < alert.price


class Subscribed(enum.Enum):
    ADDED = "added"
    ALREADY = "already"
    IN_STOCK = "in stock"
    """A back-in-stock alert on a product that is in stock now: nothing to wait for."""
    NO_PRICE = "no price"
    UNKNOWN = "unknown"
    """The product is not in the catalogue (any more)."""


def _now() -> datetime:
    return datetime.now(UTC)


class Subscriptions:
    """What a customer's 🔔 and 🔕 taps and ``/alerts`` do."""

    def __init__(
        self,
        recommender: Recommender,
        alerts: AlertStore,
        now: Callable[[], datetime] = _now,
    ) -> None:
        self._recommender = recommender
        self._alerts = alerts
        self._now = now

    async def subscribe(
        self, telegram_user_id: int, product_id: str, kind: AlertKind, locale: str
    ) -> tuple[Subscribed, ProductCard | None]:
        """Subscribe at the product's price now (as the engine has it, not as the card
        showed it); the card is returned for the answer."""
        card = await self._recommender.product(product_id)
        if card is None:
            return Subscribed.UNKNOWN, None
        if kind is AlertKind.BACK_IN_STOCK and card.in_stock:
            return Subscribed.IN_STOCK, card
        if kind is AlertKind.PRICE_DROP and (card.price is None or not card.price.is_finite()):
            return Subscribed.NO_PRICE, card
        added = await self._alerts.subscribe(
            telegram_user_id,
            product_id,
            kind,
            price=card.price,
            currency=card.currency,
            locale=locale,
            now=self._now(),
        )
        return (Subscribed.ADDED if added else Subscribed.ALREADY), card

    async def unsubscribe(self, telegram_user_id: int, product_id: str, kind: AlertKind) -> bool:
        return await self._alerts.unsubscribe(telegram_user_id, product_id, kind)

    async def remove(self, telegram_user_id: int, alert_id: int) -> Alert | None:
        return await self._alerts.remove(telegram_user_id, alert_id)

    async def of(self, telegram_user_id: int) -> list[tuple[Alert, ProductCard | None]]:
        """The user's alerts, oldest first, each with its product as it stands now (None when
        the catalogue no longer has it)."""
        alerts = await self._alerts.alerts_of(telegram_user_id)
        if not alerts:
            return []
        cards = {
            card.id: card
            for card in await self._recommender.products([a.product_id for a in alerts])
        }
        return [(alert, cards.get(alert.product_id)) for alert in alerts]
