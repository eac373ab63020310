"""What every repository shares: the Core tables, IN lists in chunks, the bulk insert path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.storage.models import Base

PRODUCTS = Base.metadata.tables["products"]
CONTACTS = Base.metadata.tables["contacts"]
ORDERS = Base.metadata.tables["orders"]
ORDER_LINES = Base.metadata.tables["order_lines"]
EVENTS = Base.metadata.tables["events"]
CART_LINES = Base.metadata.tables["cart_lines"]

# Bound parameters per statement stay far below SQLite's and asyncpg's limits (32766).
IN_CHUNK = 500
BIG_IN_CHUNK = 5_000
T = TypeVar("T")


def escape_like(text: str) -> str:
    """``text`` matched literally by ``LIKE ... ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def bulk_insert(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert plain value tuples through the driver: ``executemany`` on SQLite, ``COPY`` on
    PostgreSQL, within the session's transaction.

    The hot path of order imports: SQLAlchemy's per-row parameter processing costs more than
    SQLite's own work at half a million lines. Values must be what the driver takes as they
    are (strings, numbers, ``None``, and ``Decimal`` for PostgreSQL only).
    """
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # COPY is a third faster than executemany on PostgreSQL. It goes to the driver's
        # connection directly, so make sure the transaction has begun there first.
        await connection.exec_driver_sql("SELECT 1")
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))
        return
    sql = str(insert(table).compile(dialect=connection.dialect, column_keys=list(columns)))
    await connection.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows))


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
