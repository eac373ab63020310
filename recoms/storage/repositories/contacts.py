"""Contacts and their web ids: found by an identifier, created in bulk, linked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import BindParameter, Select, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from recoms.domain import CONTACT_KEYS, Contact, ContactId, IdentityKey
from recoms.storage.models import (
    CartLineRow,
    ContactRow,
    ContactSourceRow,
    EventRow,
    OrderRow,
    WebIdRow,
)
from recoms.storage.repositories.common import CONTACTS, chunked, escape_like


def contact_from_row(row: ContactRow, web_ids: Sequence[str] = ()) -> Contact:
    return Contact(
        id=ContactId(row.id),
        email=row.email,
        phone=row.phone,
        external_id=row.external_id,
        name=row.name,
        telegram_user_id=row.telegram_user_id,
        web_ids=tuple(web_ids),
    )


Ts = TypeVarTuple("Ts")

KEY_COLUMNS: dict[IdentityKey, InstrumentedAttribute[str | int | None]] = {
    IdentityKey.CONTACT_ID: ContactRow.id,
    IdentityKey.EXTERNAL_ID: ContactRow.external_id,
    IdentityKey.EMAIL: ContactRow.email,
    IdentityKey.PHONE: ContactRow.phone,
    IdentityKey.TELEGRAM_USER_ID: ContactRow.telegram_user_id,
}
"""The contacts column that holds each key; web ids have a table of their own."""


def where_key(
    query: Select[*Ts], key: IdentityKey, value: str | int | BindParameter[str | int]
) -> Select[*Ts]:
    """``query`` (over contacts) narrowed to the contact that ``key`` = ``value`` names."""
    if key is IdentityKey.WEB_ID:
        return query.join(WebIdRow).where(WebIdRow.web_id == value)
    return query.where(KEY_COLUMNS[key] == value)


class ContactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contact_id: int) -> Contact | None:
        row = await self.session.get(ContactRow, contact_id)
        return None if row is None else await self._with_web_ids(row)

    async def find_by(self, key: IdentityKey, value: str | int) -> Contact | None:
        """The contact ``key`` = ``value`` (as stored: normalised) names, or None."""
        row = await self.session.scalar(where_key(select(ContactRow), key, value))
        return None if row is None else await self._with_web_ids(row)

    async def _with_web_ids(self, row: ContactRow) -> Contact:
        web_ids = await self.session.scalars(
            select(WebIdRow.web_id).where(WebIdRow.contact_id == row.id).order_by(WebIdRow.web_id)
        )
        return contact_from_row(row, list(web_ids))

    async def ids_by(self, key: IdentityKey, values: Sequence[str]) -> dict[str, int]:
        """``{identifier: contact id}`` for the known values of one identifier column."""
        column = KEY_COLUMNS[key]
        found: dict[str, int] = {}
        for chunk in chunked(list(dict.fromkeys(values))):
            rows = await self.session.execute(
                select(column, ContactRow.id).where(column.in_(chunk))
            )
            found.update({str(value): int(contact_id) for value, contact_id in rows})
        return found

    async def ids_of_web_ids(self, web_ids: Sequence[str]) -> dict[str, int]:
        """``{web id: contact id}`` for the web ids of ``web_ids`` linked to a contact."""
        found: dict[str, int] = {}
        for chunk in chunked(list(dict.fromkeys(web_ids))):
            rows = await self.session.execute(
                select(WebIdRow.web_id, WebIdRow.contact_id).where(WebIdRow.web_id.in_(chunk))
            )
            found.update({str(web_id): int(contact_id) for web_id, contact_id in rows})
        return found

    async def named(self, text: str, limit: int) -> list[Contact]:
        """Contacts whose name contains ``text`` (any case), by name, at most ``limit``."""
        pattern = f"%{escape_like(text.lower())}%"
        rows = await self.session.scalars(
            select(ContactRow)
            .where(func.lower(ContactRow.name).like(pattern, escape="\\"))
            .order_by(ContactRow.name, ContactRow.id)
            .limit(limit)
        )
        return [contact_from_row(row) for row in rows]

    async def identifiers_by(
        self, key: IdentityKey, values: Sequence[str]
    ) -> list[tuple[int, str | None, str | None, str | None]]:
        """(id, external id, email, phone) of the contacts holding any of ``values`` in one
        identifier column."""
        column = KEY_COLUMNS[key]
        found: list[tuple[int, str | None, str | None, str | None]] = []
        for chunk in chunked(list(dict.fromkeys(values))):
            rows = await self.session.execute(
                select(
                    ContactRow.id, ContactRow.external_id, ContactRow.email, ContactRow.phone
                ).where(column.in_(chunk))
            )
            found.extend((int(cid), ext, email, phone) for cid, ext, email, phone in rows)
        return found

    async def create(
        self,
        *,
        now: datetime,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
        name: str | None = None,
        telegram_user_id: int | None = None,
    ) -> Contact:
        row = ContactRow(
            email=email,
            phone=phone,
            external_id=external_id,
            name=name,
            telegram_user_id=telegram_user_id,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return contact_from_row(row)

    async def create_many(self, contacts: Sequence[Mapping[str, Any]], now: datetime) -> list[int]:
        """Insert contacts (dicts of ``external_id``, ``email``, ``phone``, ``name``; at least
        one identifier each) and return their ids in order."""
        if not contacts:
            return []
        rows = [
            {
                "email": contact.get("email"),
                "phone": contact.get("phone"),
                "external_id": contact.get("external_id"),
                "name": contact.get("name"),
                "created_at": now,
            }
            for contact in contacts
        ]
        # A plain executemany, then the ids by identifier: RETURNING with row order kept
        # makes SQLite insert row by row.
        await self.session.execute(insert(CONTACTS), rows)
        ids: list[int | None] = [None] * len(rows)
        for key in CONTACT_KEYS:
            wanted = {
                row[key]: position
                for position, row in enumerate(rows)
                if ids[position] is None and row[key] is not None
            }
            if wanted:
                found = await self.ids_by(key, [str(value) for value in wanted])
                for value, contact_id in found.items():
                    ids[wanted[value]] = contact_id
        if any(contact_id is None for contact_id in ids):
            raise ValueError("every new contact needs an external id, email or phone")
        return [contact_id for contact_id in ids if contact_id is not None]

    async def update(self, contact_id: int, **values: Any) -> None:
        if values:
            await self.session.execute(
                update(ContactRow)
                .where(ContactRow.id == contact_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def link_web_id(self, web_id: str, contact_id: int) -> bool:
        """Point ``web_id`` at the contact; returns whether anything changed."""
        current = await self.session.scalar(
            select(WebIdRow.contact_id).where(WebIdRow.web_id == web_id)
        )
        if current == contact_id:
            return False
        if current is None:
            await self.session.execute(
                insert(WebIdRow).values(web_id=web_id, contact_id=contact_id)
            )
        else:
            await self.session.execute(
                update(WebIdRow).where(WebIdRow.web_id == web_id).values(contact_id=contact_id)
            )
        return True

    async def clear_telegram(self, telegram_user_id: int) -> None:
        await self.session.execute(
            update(ContactRow)
            .where(ContactRow.telegram_user_id == telegram_user_id)
            .values(telegram_user_id=None)
            .execution_options(synchronize_session=False)
        )

    async def delete(self, contact_id: int) -> None:
        """Remove the contact; its web ids, cart and source marks go with it, its orders and
        events stay without a contact."""
        await self.session.execute(
            delete(ContactSourceRow).where(ContactSourceRow.contact_id == contact_id)
        )
        await self.session.execute(
            delete(ContactRow)
            .where(ContactRow.id == contact_id)
            .execution_options(synchronize_session=False)
        )

    async def mark_added(
        self, contact_id: int, fields: Iterable[str], source: str, now: datetime
    ) -> None:
        """Remember that ``source`` added these fields (``contact``: created the contact);
        a field already marked keeps its first mark."""
        wanted = set(fields)
        if not wanted:
            return
        marked = set(
            await self.session.scalars(
                select(ContactSourceRow.field).where(
                    ContactSourceRow.contact_id == contact_id,
                    ContactSourceRow.field.in_(wanted),
                )
            )
        )
        for field in sorted(wanted - marked):
            self.session.add(
                ContactSourceRow(contact_id=contact_id, field=field, source=source, added_at=now)
            )
        await self.session.flush()

    async def added_fields(self, contact_id: int, source: str) -> set[str]:
        """The fields ``source`` added to the contact (``contact`` when it created it)."""
        fields = await self.session.scalars(
            select(ContactSourceRow.field).where(
                ContactSourceRow.contact_id == contact_id, ContactSourceRow.source == source
            )
        )
        return set(fields)

    async def unmark(self, contact_id: int, source: str) -> None:
        await self.session.execute(
            delete(ContactSourceRow).where(
                ContactSourceRow.contact_id == contact_id, ContactSourceRow.source == source
            )
        )

    async def has_shop_data(self, contact_id: int) -> bool:
        """Whether an order, event, cart line or web id refers to the contact: what reaches a
        contact through the shop's own data (imports, the tracker)."""
        referring = [
            exists().where(table.contact_id == contact_id)
            for table in (OrderRow, EventRow, CartLineRow, WebIdRow)
        ]
        found = await self.session.scalar(
            select(referring[0] | referring[1] | referring[2] | referring[3])
        )
        return bool(found)

    async def counts(self) -> tuple[int, int]:
        """(contacts, contacts linked to a Telegram user)."""
        total = await self.session.scalar(select(func.count()).select_from(ContactRow))
        linked = await self.session.scalar(
            select(func.count())
            .select_from(ContactRow)
            .where(ContactRow.telegram_user_id.is_not(None))
        )
        return int(total or 0), int(linked or 0)
