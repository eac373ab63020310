"""Repositories, one module per aggregate: queries over one ``AsyncSession`` that speak domain
objects and never commit."""

from recoms.storage.repositories.activity import Activity, ActivityRepository
from recoms.storage.repositories.buyers import Buyer, BuyerRepository
from recoms.storage.repositories.common import bulk_insert, chunked
from recoms.storage.repositories.contacts import ContactRepository, contact_from_row
from recoms.storage.repositories.datasources import (
    DataSourceRepository,
    data_source_from_row,
    params_from_json,
    params_to_json,
)
from recoms.storage.repositories.events import CartRepository, EventRepository
from recoms.storage.repositories.lists import (
    ListAction,
    ListEventRepository,
    ListFigures,
    SecretRepository,
)
from recoms.storage.repositories.orders import HistoryColumns, NewOrder, OrderRepository
from recoms.storage.repositories.products import (
    ProductRepository,
    product_from_row,
    product_values,
)
from recoms.storage.repositories.search import ProductSearchRepository
from recoms.storage.repositories.snapshots import CounterRepository, Snapshot, SnapshotRepository

__all__ = [
    "Activity",
    "ActivityRepository",
    "Buyer",
    "BuyerRepository",
    "CartRepository",
    "ContactRepository",
    "CounterRepository",
    "DataSourceRepository",
    "EventRepository",
    "HistoryColumns",
    "ListAction",
    "ListEventRepository",
    "ListFigures",
    "NewOrder",
    "OrderRepository",
    "ProductRepository",
    "ProductSearchRepository",
    "SecretRepository",
    "Snapshot",
    "SnapshotRepository",
    "bulk_insert",
    "chunked",
    "contact_from_row",
    "data_source_from_row",
    "params_from_json",
    "params_to_json",
    "product_from_row",
    "product_values",
]
