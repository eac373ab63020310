"""The engine's use cases; the one place that opens sessions and owns transactions.

SKELETON: signatures agreed between the storage/import, API, algorithm and bot work.
Each method's body is filled in by the storage/service work; callers code against these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from recoms.domain import (
    Contact,
    ContactProfile,
    DataSource,
    DataSourceId,
    DataSourceParams,
    Algorithm,
    Identity,
    Product,
    ProductId,
)


@dataclass(frozen=True)
class Rejected:
    """One input record that was skipped: where it was and why."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """Summary of one import. ``skipped`` counts records left out on purpose, by reason
    (e.g. ``{"cancellation": 9288, "no customer": 107927}``); ``rejected`` lists bad records."""

    read: int = 0
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True)
class RebuildReport:
    version: int
    built_at: datetime
    orders: int
    lines: int
    products: int
    seconds: float


@dataclass(frozen=True)
class Stats:
    products: int
    products_in_stock: int
    contacts: int
    telegram_linked: int
    events_last_24h: int
    orders: int
    model_built_at: datetime | None


Progress = Callable[[int], None]
"""Called with the number of records (or bytes) processed since the previous call."""


class RecomsService:
    """Everything the API, the CLI and the bot's embedded adapter may ask of the engine."""

    # --- catalogue ---------------------------------------------------------------------
    async def import_feed(
        self, source: str | Path, *, full: bool = True, progress: Progress | None = None
    ) -> ImportReport:
        """Import a Google Merchant feed from a file path or an http(s) URL, streaming.

        With ``full`` the feed is the whole catalogue: active products absent from it are
        deactivated. Raises ``FeedError`` when the XML is hostile or unreadable."""
        raise NotImplementedError

    async def get_product(self, product_id: ProductId) -> Product:
        """Raises ``NotFound``."""
        raise NotImplementedError

    async def get_products(self, product_ids: Sequence[ProductId]) -> list[Product]:
        """Known products in the order asked; unknown ids are left out."""
        raise NotImplementedError

    async def search_products(self, query: str, *, limit: int = 10) -> list[Product]:
        """Active products whose id, title or brand contains ``query`` (case-insensitive)."""
        raise NotImplementedError

    # --- orders and events -------------------------------------------------------------
    async def import_orders(
        self,
        path: Path,
        *,
        columns: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import an order CSV (or .csv.gz). ``columns`` maps our names to the file's headers."""
        raise NotImplementedError

    async def import_events(
        self, lines: Iterable[str], *, progress: Progress | None = None
    ) -> ImportReport:
        """Import tracker events, one JSON object per line."""
        raise NotImplementedError

    async def track(self, payload: Mapping[str, Any]) -> None:
        """Record one tracker event (the HTTP ``POST`` body). Raises ``InvalidRequest``."""
        raise NotImplementedError

    # --- contacts ----------------------------------------------------------------------
    async def find_contact(self, identity: Identity) -> Contact | None:
        raise NotImplementedError

    async def upsert_contact(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
        name: str | None = None,
    ) -> Contact:
        """Find by external id, email or phone (normalised) and fill in what is new; else create."""
        raise NotImplementedError

    async def link_telegram(self, identity: Identity, telegram_user_id: int) -> Contact:
        """Link a Telegram user to the contact named by ``identity``, creating the contact when
        the identity carries a phone or external id that is not known yet. A Telegram user is
        linked to one contact at most: an earlier link is moved."""
        raise NotImplementedError

    async def unlink_telegram(self, telegram_user_id: int) -> None:
        raise NotImplementedError

    async def contact_profile(self, identity: Identity, *, orders: int = 5) -> ContactProfile:
        """Raises ``NotFound`` for an unknown contact."""
        raise NotImplementedError

    # --- data sources and recommendations ----------------------------------------------
    async def list_data_sources(self) -> list[DataSource]:
        raise NotImplementedError

    async def get_data_source(self, data_source_id: DataSourceId) -> DataSource:
        raise NotImplementedError

    async def create_data_source(
        self, name: str, algorithm: Algorithm, params: DataSourceParams
    ) -> DataSource:
        raise NotImplementedError

    async def update_data_source(
        self,
        data_source_id: DataSourceId,
        *,
        name: str | None = None,
        params: DataSourceParams | None = None,
    ) -> DataSource:
        raise NotImplementedError

    async def recommend(
        self,
        data_source_id: DataSourceId,
        identity: Identity = Identity(),
        *,
        products: Sequence[ProductId] = (),
        category: str | None = None,
    ) -> list[Product]:
        """The data source's list for this request, best first.

        Raises ``NotFound`` for an unknown data source and ``InvalidRequest`` when the
        algorithm needs products and none are given. An unknown contact is not an error."""
        raise NotImplementedError

    # --- model -------------------------------------------------------------------------
    async def rebuild(self) -> RebuildReport:
        """Recompute the item-to-item structures from stored orders and swap them in."""
        raise NotImplementedError

    async def stats(self) -> Stats:
        raise NotImplementedError
