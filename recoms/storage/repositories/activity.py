"""A contact's or visitor's whole activity (purchases, cart, events) in one statement."""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    CTE,
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Row,
    Select,
    SQLColumnExpression,
    String,
    and_,
    bindparam,
    cast,
    exists,
    label,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from recoms.domain import ContactId, IdentityKey, ProductId, Purchase
from recoms.storage.models import (
    CartLineRow,
    ContactRow,
    EventRow,
    Id64,
    OrderLineRow,
    OrderRow,
    RunsOfUtcDateTime,
)
from recoms.storage.repositories.contacts import where_key


class Part(enum.IntEnum):
    """Which member of the activity UNION a row comes from, in the order rows arrive.

    Event group ``n`` (in the order the groups are asked for) is ``EVENTS + n``."""

    FOUND = 0
    PURCHASES = 1
    CART = 2
    BOUGHT = 3
    EVENTS = 4


ActivityColumns = tuple[int, str | None, datetime | None, float | None, int | None, int | None]
ActivitySelect = Select[*ActivityColumns]
"""The activity statement and each member of its UNION. Columns: ``kind`` (a ``Part``),
``product_id``, ``at``, ``quantity``, ``seq``, ``seq2``; a member leaves NULL what it has no
use for. ``seq`` and ``seq2`` order rows of equal ``at``; the ``FOUND`` row holds the contact's
id in ``seq``. Rows are read as the typed tuples this describes, unpacked once each: a named
row object made per row costs a 2,000-line history a quarter of a millisecond more."""
ActivityRows = Sequence[Row[*ActivityColumns]]


@dataclass(frozen=True)
class Activity:
    """What a contact (or a visitor's web id) did, oldest first: the inputs of a personal list.

    ``contact_id`` is None for a visitor or when nobody matched; ``events`` holds the product
    ids of each event group asked for, by the group's name; ``bought``, when asked for, every
    product the contact ever bought (``purchases`` are only the latest lines)."""

    contact_id: ContactId | None
    purchases: list[Purchase]
    events: dict[str, list[ProductId]]
    cart: list[ProductId]
    bought: set[ProductId] = field(default_factory=set)


class ActivityRepository:
    """Reads a whole history in one round trip: per-request latency is mostly round trips."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_contact(
        self,
        keys: Sequence[tuple[IdentityKey, str | int]],
        *,
        purchases: int,
        events: Mapping[str, tuple[Sequence[str], int]],
        undone_by: Mapping[str, Sequence[str]] | None = None,
        bought: bool = False,
    ) -> Activity | None:
        """The activity of the first contact matched by ``keys`` (``(key, value)`` pairs in
        the order they are tried, values as stored), or None when none matches.

        ``purchases`` is how many of the latest order lines to read; ``events`` maps a group
        name to the event names it takes and how many of the latest to read; ``undone_by``
        maps a group to the events that take a product out of it when they came later (a
        wishlist's removals): such a product is not in the group. ``bought`` also reads every
        product the contact ever bought, however long ago."""
        if not keys:
            return None
        statement = _contact_statement(
            tuple(key for key, _ in keys), purchases, _groups(events, undone_by), bought
        )
        rows = await self._run(statement, {f"key_{n}": value for n, (_, value) in enumerate(keys)})
        if not rows:
            return None
        kind, *_, contact_id, _ = rows[0]
        if kind != Part.FOUND or contact_id is None:
            return None
        return _activity(ContactId(contact_id), rows[1:], events)

    async def of_visitor(
        self, web_id: str, *, events: Mapping[str, tuple[Sequence[str], int]]
    ) -> Activity:
        """A web id's events (as ``of_contact``) and the cart it holds before it is linked."""
        rows = await self._run(_visitor_statement(_groups(events)), {"web_id": web_id})
        return _activity(None, rows, events)

    async def _run(
        self, statement: ActivitySelect, params: Mapping[str, str | int]
    ) -> ActivityRows:
        connection = await self.session.connection()
        return (await connection.execute(statement, params)).all()


EventGroups = tuple[tuple[str, tuple[str, ...], int, tuple[str, ...]], ...]
"""(group, event names, how many, names of the events that undo one), in the order asked."""


def _groups(
    events: Mapping[str, tuple[Sequence[str], int]],
    undone_by: Mapping[str, Sequence[str]] | None = None,
) -> EventGroups:
    undone = undone_by or {}
    return tuple(
        (group, tuple(names), limit, tuple(undone.get(group, ())))
        for group, (names, limit) in events.items()
    )


# Statements are built once per shape and reused: building and keying one costs more than
# SQLite's whole work on a contact's history.
@functools.lru_cache(maxsize=128)
def _contact_statement(
    keys: tuple[IdentityKey, ...], purchases: int, events: EventGroups, bought: bool = False
) -> ActivitySelect:
    """Values bind as ``key_0``, ``key_1``... in the order of ``keys``."""
    found = _first_contact(keys)
    contact_id = select(found.c.id).scalar_subquery()
    everything = (
        [
            _row(Part.BOUGHT, OrderLineRow.product_id)
            .join(OrderRow, OrderLineRow.order_id == OrderRow.id)
            .where(OrderRow.contact_id == contact_id)
            .group_by(OrderLineRow.product_id)
        ]
        if bought
        else []
    )
    return _ordered(
        [
            _row(Part.FOUND, seq=found.c.id),
            _limited(
                _row(
                    Part.PURCHASES,
                    OrderLineRow.product_id,
                    OrderRow.ordered_at,
                    cast(OrderLineRow.quantity, Float),
                    OrderLineRow.id,
                )
                .join(OrderRow, OrderLineRow.order_id == OrderRow.id)
                .where(OrderRow.contact_id == contact_id)
                .order_by(OrderRow.ordered_at.desc(), OrderLineRow.id.desc())
                .limit(purchases)
            ),
            _cart_part(CartLineRow.contact_id == contact_id),
            *everything,
            *_event_parts(EventRow.contact_id == contact_id, events, by="contact_id"),
        ]
    )


@functools.lru_cache(maxsize=8)
def _visitor_statement(events: EventGroups) -> ActivitySelect:
    """The value binds as ``web_id``."""
    web_id = bindparam("web_id", type_=String)
    return _ordered(
        [
            _cart_part((CartLineRow.web_id == web_id) & CartLineRow.contact_id.is_(None)),
            *_event_parts(EventRow.web_id == web_id, events, by="web_id"),
        ]
    )


def _ordered(parts: Sequence[ActivitySelect]) -> ActivitySelect:
    rows = union_all(*parts).subquery()
    return select(
        rows.c.kind, rows.c.product_id, rows.c.at, rows.c.quantity, rows.c.seq, rows.c.seq2
    ).order_by(rows.c.kind, rows.c.at, rows.c.seq, rows.c.seq2)


def _first_contact(keys: Sequence[IdentityKey]) -> CTE:
    """A one-row (or empty) CTE: the id of the contact the first matching key names."""
    branches: list[Select[int, int]] = []
    for rank, key in enumerate(keys):
        value: BindParameter[str | int] = bindparam(f"key_{rank}")
        order = literal_column(str(rank), Integer).label("rank")
        branches.append(where_key(select(ContactRow.id.label("id"), order), key, value))
    ranked = union_all(*branches).subquery()
    return select(ranked.c.id).order_by(ranked.c.rank).limit(1).cte("found")


def _row(
    kind: int,
    product_id: SQLColumnExpression[str | None] | None = None,
    at: SQLColumnExpression[datetime | None] | None = None,
    quantity: SQLColumnExpression[float | None] | None = None,
    seq: SQLColumnExpression[int | None] | None = None,
    seq2: SQLColumnExpression[int | None] | None = None,
) -> ActivitySelect:
    """A member of the activity UNION: the columns every member has, typed alike (NULLs
    cast)."""
    return select(
        literal_column(str(int(kind)), Integer).label("kind"),
        label("product_id", cast(null(), String) if product_id is None else product_id),
        # The first member's types convert the whole UNION's values.
        label("at", cast(null(), RunsOfUtcDateTime()) if at is None else at),
        label("quantity", cast(null(), Float) if quantity is None else quantity),
        label("seq", cast(null(), Id64) if seq is None else seq),
        label("seq2", cast(null(), Id64) if seq2 is None else seq2),
    )


def _limited(query: ActivitySelect) -> ActivitySelect:
    """A member of a UNION with its own ORDER BY and LIMIT (SQLite wants it as a subquery)."""
    inner = query.subquery()
    return select(
        inner.c.kind, inner.c.product_id, inner.c.at, inner.c.quantity, inner.c.seq, inner.c.seq2
    )


def _cart_part(owner: ColumnElement[bool]) -> ActivitySelect:
    return _row(
        Part.CART,
        CartLineRow.product_id,
        seq=cast(CartLineRow.position, Id64),
        seq2=CartLineRow.id,
    ).where(owner)


def _event_parts(
    owner: ColumnElement[bool], events: EventGroups, *, by: str
) -> list[ActivitySelect]:
    """``by`` names the column that ``owner`` pins (whose events these are)."""
    return [
        _limited(
            _row(Part.EVENTS + number, EventRow.product_id, EventRow.occurred_at, seq=EventRow.id)
            .where(
                owner,
                EventRow.name.in_(names),
                EventRow.product_id.is_not(None),
                *([~_undone(undoing, by)] if undoing else []),
            )
            .order_by(EventRow.occurred_at.desc(), EventRow.id.desc())
            .limit(limit)
        )
        for number, (_, names, limit, undoing) in enumerate(events)
    ]


def _undone(names: tuple[str, ...], by: str) -> ColumnElement[bool]:
    """Whether the same owner sent one of ``names`` about the same product after the event
    (later in time, or at the same time and written later)."""
    later = aliased(EventRow)
    return exists().where(
        getattr(later, by) == getattr(EventRow, by),
        later.name.in_(names),
        later.product_id == EventRow.product_id,
        or_(
            later.occurred_at > EventRow.occurred_at,
            and_(later.occurred_at == EventRow.occurred_at, later.id > EventRow.id),
        ),
    )


def _activity(
    contact_id: ContactId | None,
    rows: ActivityRows,
    events: Mapping[str, tuple[Sequence[str], int]],
) -> Activity:
    """Rows arrive by kind, oldest first within a kind (the cart by position)."""
    groups = list(events)
    found = Activity(contact_id, [], {group: [] for group in groups}, [])
    for kind, product_id, at, quantity, _seq, _seq2 in rows:
        if kind == Part.PURCHASES:
            # Order lines never lack a product, a time or a quantity (NOT NULL columns).
            assert product_id is not None
            assert at is not None
            assert quantity is not None
            found.purchases.append(Purchase(ProductId(product_id), at, quantity))
        elif kind == Part.CART:
            assert product_id is not None
            found.cart.append(ProductId(product_id))
        elif kind == Part.BOUGHT:
            assert product_id is not None
            found.bought.add(ProductId(product_id))
        elif product_id:
            found.events[groups[kind - Part.EVENTS]].append(ProductId(product_id))
    return found
