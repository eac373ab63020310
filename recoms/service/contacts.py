"""Contacts: found by any identifier, created or filled in, linked to Telegram, profiled."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import (
    CONTACT_KEYS,
    Contact,
    ContactProfile,
    ForgottenLink,
    Identity,
    IdentityKey,
    TelegramLink,
)
from recoms.errors import Conflict, InvalidRequest, NotFound
from recoms.identifiers import mask_email, mask_phone, normalise_email, normalise_phone
from recoms.storage.repositories import (
    CartRepository,
    ContactRepository,
    EventRepository,
    OrderRepository,
)

MAX_NAME = 200
TELEGRAM = "telegram"
"""The source name of what Telegram links add to contacts."""
CREATED = "contact"
"""The field name that marks a contact a source created."""
REMOVABLE = ("phone", "name", "email", "external_id")
"""Fields a source may have added to a shop's contact, removed when its user is forgotten."""
VIEW_EVENTS = ("ProductPage",)
# A contact's latest views read at a time (for the profile and for personal lists).
HISTORY_VIEWS = 200
RECENTLY_VIEWED = 20


@dataclass(frozen=True)
class Identifiers:
    """Reads raw emails and phones into the one spelling contacts are stored under."""

    default_region: str

    def email(self, raw: str | None) -> str | None:
        return None if not raw else normalise_email(raw)

    def phone(self, raw: str | None) -> str | None:
        return None if not raw else normalise_phone(raw, self.default_region)

    def checked_email(self, raw: str | None) -> str | None:
        """As ``email``, but an address given and unreadable raises ``InvalidRequest``."""
        email = self.email(raw)
        if raw and email is None:
            raise InvalidRequest(f"not an email address: {mask_email(raw)}")
        return email

    def checked_phone(self, raw: str | None) -> str | None:
        """As ``phone``, but a number given and unreadable raises ``InvalidRequest``."""
        phone = self.phone(raw)
        if raw and phone is None:
            raise InvalidRequest(f"not a phone number: {mask_phone(raw)}")
        return phone


def clean_external_id(raw: str | None) -> str | None:
    return (raw or "").strip() or None


def clean_name(raw: str | None) -> str | None:
    return (raw or "").strip()[:MAX_NAME] or None


def lookup_keys(
    identity: Identity, identifiers: Identifiers
) -> list[tuple[IdentityKey, str | int]]:
    """The keys ``identity`` gives, in lookup order (``IdentityKey``'s), spelled as contacts
    store them; blank and unreadable ones are left out."""
    values: dict[IdentityKey, str | int | None] = {
        IdentityKey.CONTACT_ID: identity.contact_id,
        IdentityKey.EXTERNAL_ID: clean_external_id(identity.external_id),
        IdentityKey.EMAIL: identifiers.email(identity.email),
        IdentityKey.PHONE: identifiers.phone(identity.phone),
        IdentityKey.WEB_ID: identity.web_id or None,
        IdentityKey.TELEGRAM_USER_ID: identity.telegram_user_id,
    }
    return [(key, value) for key in IdentityKey if (value := values[key]) is not None]


# How each key is spelled on the wire (the API's parameters and the tracker's fields).
KEY_NAMES = {
    IdentityKey.CONTACT_ID: "contactId",
    IdentityKey.EXTERNAL_ID: "externalCustomerId",
    IdentityKey.EMAIL: "email",
    IdentityKey.PHONE: "phone",
    IdentityKey.WEB_ID: "webId",
    IdentityKey.TELEGRAM_USER_ID: "telegramUserId",
}


def describe(identity: Identity) -> str:
    """An identity for messages and logs, with phones and emails masked."""
    parts = []
    for key in IdentityKey:
        value = getattr(identity, key)
        if value is None or value == "":
            continue
        if key is IdentityKey.EMAIL:
            value = mask_email(value)
        elif key is IdentityKey.PHONE:
            value = mask_phone(value)
        parts.append(f"{KEY_NAMES[key]}={value}")
    return ", ".join(parts) or "nobody"


class Contacts:
    """Contact work within the caller's session; the caller owns the transaction."""

    def __init__(self, session: AsyncSession, identifiers: Identifiers) -> None:
        self.session = session
        self.identifiers = identifiers
        self.repository = ContactRepository(session)

    async def find(self, identity: Identity) -> Contact | None:
        """The contact the first of ``identity``'s keys (in ``IdentityKey`` order) that names
        one names, or None."""
        for key, value in lookup_keys(identity, self.identifiers):
            if (found := await self.repository.find_by(key, value)) is not None:
                return found
        return None

    async def upsert(
        self,
        *,
        now: datetime,
        external_id: str | None,
        email: str | None,
        phone: str | None,
        name: str | None,
    ) -> tuple[Contact, bool]:
        """Find the contact by external id, then email, then phone (all already normalised),
        fill in identifiers it lacks that no other contact holds, or create it. Returns
        (contact, created). Two contacts that each hold one of the identifiers are not
        merged: the first by that order wins and the other keeps its own."""
        given = dict(zip(CONTACT_KEYS, (external_id, email, phone), strict=True))
        found: Contact | None = None
        for key, value in given.items():
            if value is not None:
                found = await self.repository.find_by(key, value)
                if found is not None:
                    break
        if found is None:
            created = await self.repository.create(
                now=now, external_id=external_id, email=email, phone=phone, name=name
            )
            return created, True
        missing: dict[str, Any] = {}
        for key, value in given.items():
            # Filled in only when no other contact holds it: that would merge two people.
            if value is None or getattr(found, key) is not None:
                continue
            if await self.repository.find_by(key, value) is None:
                missing[key.value] = value
        if name and not found.name:
            missing["name"] = name
        if missing:
            await self.repository.update(found.id, **missing)
            found = dataclasses.replace(found, **missing)
        return found, False

    async def link_telegram(
        self,
        identity: Identity,
        telegram_user_id: int,
        *,
        own_contact_share: bool,
        name: str | None,
        now: datetime,
    ) -> TelegramLink:
        """See ``RecomsService.link_telegram``; identifiers are already checked readable."""
        lookup = dataclasses.replace(identity, telegram_user_id=None)
        contact = None if lookup.is_empty() else await self.find(lookup)
        phone = self.identifiers.phone(identity.phone)
        added: list[str] = []
        if contact is None and own_contact_share and phone is not None:
            # Her own number, new to the shop, joins the contact her chat is linked to.
            current = await self.repository.find_by(IdentityKey.TELEGRAM_USER_ID, telegram_user_id)
            if current is not None and current.phone is None:
                await self.repository.update(current.id, phone=phone)
                contact = dataclasses.replace(current, phone=phone)
                added.append("phone")
        created = False
        if contact is None:
            external = clean_external_id(identity.external_id)
            if not (external or phone):
                raise NotFound("contact", describe(identity))
            email = self.identifiers.email(identity.email)
            contact, created = await self.upsert(
                now=now, external_id=external, email=email, phone=phone, name=clean_name(name)
            )
            if created:
                given = {"external_id": external, "email": email, "phone": phone}
                added += [CREATED, *(key for key, value in given.items() if value is not None)]
                added += ["name"] if contact.name else []
        previous = contact.telegram_user_id
        if previous is not None and previous != telegram_user_id:
            # Only Telegram's own-contact share of the number on file proves the contact is the
            # sharer's; a link (which anyone may have been forwarded) never moves it.
            if not (own_contact_share and phone is not None and contact.phone == phone):
                raise Conflict(
                    f"contact {contact.id} is linked to another Telegram user; only its own "
                    "phone number, shared from Telegram, can move it"
                )
        else:
            previous = None
        if not created and (fill := clean_name(name)) and not contact.name:
            await self.repository.update(contact.id, name=fill)
            added.append("name")
        if contact.telegram_user_id != telegram_user_id:
            # Cleared first: the unique index must not see two rows with this id, even for a
            # moment.
            await self.repository.clear_telegram(telegram_user_id)
            await self.repository.update(contact.id, telegram_user_id=telegram_user_id)
        await self.repository.mark_added(contact.id, added, TELEGRAM, now)
        known = not (created or "phone" in added) and await self._shop_knows(contact.id)
        linked = await self.repository.get(contact.id)
        assert linked is not None
        return TelegramLink(linked, known=known, previous_telegram_user_id=previous)

    async def _shop_knows(self, contact_id: int) -> bool:
        """Whether the contact is the shop's: not one a link created, or one the shop's own
        data (orders, events, cart, web ids) has reached since."""
        if CREATED not in await self.repository.added_fields(contact_id, TELEGRAM):
            return True
        return await self.repository.has_shop_data(contact_id)

    async def forget_telegram(self, telegram_user_id: int) -> ForgottenLink | None:
        """See ``RecomsService.forget_telegram``."""
        contact = await self.repository.find_by(IdentityKey.TELEGRAM_USER_ID, telegram_user_id)
        if contact is None:
            return None
        added = await self.repository.added_fields(contact.id, TELEGRAM)
        if CREATED in added and not await self.repository.has_shop_data(contact.id):
            await self.repository.delete(contact.id)
            return ForgottenLink(contact.id, deleted=True)
        # In a contact a link created, the identifiers are how the shop's data has found it
        # since: they are the shop's now. Only the name stays the bot's.
        removable = ("name",) if CREATED in added else REMOVABLE
        removed = tuple(field for field in removable if field in added)
        values: dict[str, Any] = dict.fromkeys(removed)
        await self.repository.update(contact.id, telegram_user_id=None, **values)
        await self.repository.unmark(contact.id, TELEGRAM)
        return ForgottenLink(contact.id, deleted=False, removed=removed)

    async def profile(self, identity: Identity, *, orders: int) -> ContactProfile:
        """Raises ``NotFound`` for an unknown contact."""
        contact = await self.find(identity)
        if contact is None:
            raise NotFound("contact", describe(identity))
        last_orders = await OrderRepository(self.session).last_orders(contact.id, orders)
        cart = await CartRepository(self.session).get(contact_id=contact.id, web_id=None)
        viewed = await EventRepository(self.session).products(
            VIEW_EVENTS, contact_id=contact.id, web_id=None, limit=HISTORY_VIEWS
        )
        return ContactProfile(
            contact=contact,
            last_orders=tuple(last_orders),
            cart=tuple(cart),
            recently_viewed=tuple(list(dict.fromkeys(reversed(viewed)))[:RECENTLY_VIEWED]),
        )
