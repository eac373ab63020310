"""What the engine's use cases hand back: import summaries, rebuild reports and figures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recoms.domain import Rejected
from recoms.evaluation.tuning import Tuning
from recoms.importing.feed import Trimmed

Progress = Callable[[int], None]
"""Called with the number of records (or bytes) processed since the previous call."""


@dataclass
class ImportReport:
    """Summary of one import. ``skipped`` counts records left out on purpose, by reason
    (e.g. ``{"cancellation": 9288, "no customer": 107927}``); ``rejected`` lists bad records.

    ``read`` counts records read (feed items, order lines, events); ``created`` and
    ``updated`` count products for a feed, orders for an order file and events stored for
    an event file. ``lines``, ``contacts_created`` and ``products_created`` say what else an
    order or event import added. ``trimmed`` lists fields of stored feed items that were cut
    to their limit."""

    read: int = 0
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    lines: int = 0
    contacts_created: int = 0
    products_created: int = 0
    trimmed: list[Trimmed] = field(default_factory=list)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def add(self, other: ImportReport) -> None:
        """Count what ``other`` (one batch's report) counted into this one."""
        self.read += other.read
        self.created += other.created
        self.updated += other.updated
        self.deactivated += other.deactivated
        for reason, count in other.skipped.items():
            self.skip(reason, count)
        self.rejected += other.rejected
        self.lines += other.lines
        self.contacts_created += other.contacts_created
        self.products_created += other.products_created
        self.trimmed += other.trimmed


@dataclass(frozen=True)
class ModelFigures:
    """The model and catalogue a process serves from memory. ``built_at`` is None before the
    first rebuild; ``basket_pairs`` and ``customer_pairs`` count the stored neighbour pairs
    (bought in the same order, by the same customer); ``factors`` is the taste space's size."""

    built_at: datetime | None
    products: int
    basket_pairs: int
    customer_pairs: int
    factors: int
    catalogue_products: int


@dataclass(frozen=True)
class RebuildReport:
    """A model rebuild: the stored version, what it was built from, the settings its tuning
    chose (or why it kept the defaults), and its wall time."""

    version: int
    built_at: datetime
    orders: int
    lines: int
    products: int
    seconds: float
    tuning: Tuning


@dataclass(frozen=True)
class Stats:
    """What the engine holds; ``model_built_at`` is None before the first rebuild.
    ``model_tuning`` is ``Tuning.summary()`` of the newest model (None before the first
    rebuild that tuned or said why not)."""

    products: int
    products_in_stock: int
    contacts: int
    telegram_linked: int
    events_last_24h: int
    orders: int
    model_built_at: datetime | None
    model_tuning: Mapping[str, Any] | None = None
