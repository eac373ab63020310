"""A contact's or visitor's whole activity (purchases, cart, events) in one statement."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Float,
    Integer,
    String,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import ContactId, ProductId
from recoms.storage.models import (
    CartLineRow,
    ContactRow,
    EventRow,
    Id64,
    OrderLineRow,
    OrderRow,
    RunsOfUtcDateTime,
    WebIdRow,
)
from recoms.storage.repositories.contacts import IDENTIFIER_COLUMNS

CONTACT_KEYS = frozenset({"id", "external_id", "email", "phone", "web_id", "telegram_user_id"})
# Row kinds of the activity statement; event groups take the kinds from EVENTS_KIND on.
FOUND_KIND, PURCHASES_KIND, CART_KIND, EVENTS_KIND = 0, 1, 2, 3


@dataclass(frozen=True)
class Activity:
    """What a contact (or a visitor's web id) did, oldest first: the inputs of a personal list.

    ``contact_id`` is None for a visitor or when nobody matched; ``events`` holds the product
    ids of each event group asked for, by the group's name."""

    contact_id: ContactId | None
    purchases: list[tuple[ProductId, datetime, float]]
    events: dict[str, list[ProductId]]
    cart: list[ProductId]


class ActivityRepository:
    """Reads a whole history in one round trip: per-request latency is mostly round trips."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_contact(
        self,
        keys: Sequence[tuple[str, str | int]],
        *,
        purchases: int,
        events: Mapping[str, tuple[Sequence[str], int]],
    ) -> Activity | None:
        """The activity of the first contact matched by ``keys`` (``(field, value)`` pairs in
        the order they are tried, fields from ``CONTACT_KEYS``), or None when none matches.

        ``purchases`` is how many of the latest order lines to read; ``events`` maps a group
        name to the event names it takes and how many of the latest to read."""
        if not keys:
            return None
        statement = _contact_statement(
            tuple(field for field, _ in keys), purchases, _groups(events)
        )
        rows = await self._run(statement, {f"key_{n}": value for n, (_, value) in enumerate(keys)})
        if not rows or rows[0][0] != FOUND_KIND:
            return None
        return _activity(ContactId(int(rows[0][4])), rows[1:], events)

    async def of_visitor(
        self, web_id: str, *, events: Mapping[str, tuple[Sequence[str], int]]
    ) -> Activity:
        """A web id's events (as ``of_contact``) and the cart it holds before it is linked."""
        rows = await self._run(_visitor_statement(_groups(events)), {"web_id": web_id})
        return _activity(None, rows, events)

    async def _run(self, statement: Any, params: Mapping[str, Any]) -> Sequence[Any]:
        connection = await self.session.connection()
        return (await connection.execute(statement, params)).all()


EventGroups = tuple[tuple[str, tuple[str, ...], int], ...]


def _groups(events: Mapping[str, tuple[Sequence[str], int]]) -> EventGroups:
    return tuple((group, tuple(names), limit) for group, (names, limit) in events.items())


# Statements are built once per shape and reused: building and keying one costs more than
# SQLite's whole work on a contact's history.
@functools.lru_cache(maxsize=128)
def _contact_statement(fields: tuple[str, ...], purchases: int, events: EventGroups) -> Any:
    """Values bind as ``key_0``, ``key_1``... in the order of ``fields``."""
    found = _first_contact(fields)
    contact_id = select(found.c.id).scalar_subquery()
    return _ordered(
        [
            select(*_row(FOUND_KIND, seq=found.c.id)),
            _limited(
                select(
                    *_row(
                        PURCHASES_KIND,
                        OrderLineRow.product_id,
                        OrderRow.ordered_at,
                        cast(OrderLineRow.quantity, Float),
                        OrderLineRow.id,
                    )
                )
                .join(OrderRow, OrderLineRow.order_id == OrderRow.id)
                .where(OrderRow.contact_id == contact_id)
                .order_by(OrderRow.ordered_at.desc(), OrderLineRow.id.desc())
                .limit(purchases)
            ),
            _cart_part(CartLineRow.contact_id == contact_id),
            *_event_parts(EventRow.contact_id == contact_id, events),
        ]
    )


@functools.lru_cache(maxsize=8)
def _visitor_statement(events: EventGroups) -> Any:
    """The value binds as ``web_id``."""
    web_id = bindparam("web_id", type_=String)
    return _ordered(
        [
            _cart_part((CartLineRow.web_id == web_id) & CartLineRow.contact_id.is_(None)),
            *_event_parts(EventRow.web_id == web_id, events),
        ]
    )


def _ordered(parts: Sequence[Any]) -> Any:
    union = union_all(*parts).subquery()
    return select(union).order_by(union.c.kind, union.c.at, union.c.seq, union.c.seq2)


def _first_contact(fields: Sequence[str]) -> Any:
    """A one-row (or empty) subquery: the id of the contact the first matching key names."""
    branches = []
    for rank, field in enumerate(fields):
        value: BindParameter[Any] = bindparam(f"key_{rank}")
        order = literal_column(str(rank), Integer).label("rank")
        if field == "web_id":
            branch = (
                select(ContactRow.id.label("id"), order)
                .join(WebIdRow)
                .where(WebIdRow.web_id == value)
            )
        elif field == "id":
            branch = select(ContactRow.id.label("id"), order).where(ContactRow.id == value)
        else:
            column = IDENTIFIER_COLUMNS[field]
            branch = select(ContactRow.id.label("id"), order).where(column == value)
        branches.append(branch)
    ranked = union_all(*branches).subquery()
    return select(ranked.c.id).order_by(ranked.c.rank).limit(1).cte("found")


def _row(
    kind: int,
    product_id: Any = None,
    at: Any = None,
    quantity: Any = None,
    seq: Any = None,
    seq2: Any = None,
) -> list[Any]:
    """The columns every member of the activity UNION has, typed alike (NULLs cast)."""
    return [
        literal_column(str(kind), Integer).label("kind"),
        (cast(null(), String) if product_id is None else product_id).label("product_id"),
        # The first member's types convert the whole UNION's values.
        (cast(null(), RunsOfUtcDateTime()) if at is None else at).label("at"),
        (cast(null(), Float) if quantity is None else quantity).label("quantity"),
        (cast(null(), Id64) if seq is None else seq).label("seq"),
        (cast(null(), Id64) if seq2 is None else seq2).label("seq2"),
    ]


def _limited(query: Any) -> Any:
    """A member of a UNION with its own ORDER BY and LIMIT (SQLite wants it as a subquery)."""
    inner = query.subquery()
    return select(inner)


def _cart_part(owner: Any) -> Any:
    return select(
        *_row(
            CART_KIND,
            CartLineRow.product_id,
            seq=cast(CartLineRow.position, Id64),
            seq2=CartLineRow.id,
        )
    ).where(owner)


def _event_parts(owner: Any, events: EventGroups) -> list[Any]:
    return [
        _limited(
            select(
                *_row(
                    EVENTS_KIND + number,
                    EventRow.product_id,
                    EventRow.occurred_at,
                    seq=EventRow.id,
                )
            )
            .where(owner, EventRow.name.in_(names), EventRow.product_id.is_not(None))
            .order_by(EventRow.occurred_at.desc(), EventRow.id.desc())
            .limit(limit)
        )
        for number, (_, names, limit) in enumerate(events)
    ]


def _activity(
    contact_id: ContactId | None,
    rows: Sequence[Any],
    events: Mapping[str, tuple[Sequence[str], int]],
) -> Activity:
    """Rows arrive by kind, oldest first within a kind (the cart by position)."""
    groups = list(events)
    found = Activity(contact_id, [], {group: [] for group in groups}, [])
    for kind, product_id, at, quantity, _seq, _seq2 in rows:
        if kind == PURCHASES_KIND:
            found.purchases.append((ProductId(product_id), at, quantity))
        elif kind == CART_KIND:
            found.cart.append(ProductId(product_id))
        elif product_id:
            found.events[groups[kind - EVENTS_KIND]].append(ProductId(product_id))
    return found
