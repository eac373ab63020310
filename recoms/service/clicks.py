"""Click-through of the chat's lists: the click-signing key, cards shown, shop links followed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.clicks import ClickLink, with_utm
from recoms.domain import ProductId
from recoms.errors import Forbidden, InvalidRequest, NotFound
from recoms.storage.database import Database
from recoms.storage.repositories import (
    ContactRepository,
    ListAction,
    ListEventRepository,
    ProductRepository,
    SecretRepository,
)

CLICK_KEY = "click-signing"
FORGED = "the link's signature does not match it: it was altered or made up"


def configured_key(secret: str) -> bytes:
    """The key a setting gives (any text), as the bytes HMAC takes."""
    return hashlib.sha256(b"recoms-click-key\x00" + secret.encode()).digest()


async def stored_key(database: Database, now: datetime) -> bytes:
    """The database's click key, made (32 random bytes) by the first process that needs it;
    every process and replica reads the same one."""
    async with database.sessions.begin() as session:
        repository = SecretRepository(session)
        key = await repository.get(CLICK_KEY)
        if key is None:
            await repository.add(CLICK_KEY, lambda: secrets.token_bytes(32), now)
            key = await repository.get(CLICK_KEY)
    assert key is not None
    return key


def checked(link: ClickLink) -> ClickLink:
    if not link.well_formed():
        raise InvalidRequest(
            "a click link names a list (a-z, 0-9, _), a product, and UTM source and medium "
            "(letters, digits, _ . -), and a contact id only when it is positive"
        )
    return link


async def _known_contact(session: AsyncSession, contact_id: int | None) -> int | None:
    """The contact id when such a contact exists (one forgotten since is nobody now)."""
    if contact_id is None:
        return None
    contact = await ContactRepository(session).get(contact_id)
    return None if contact is None else int(contact.id)


async def follow(
    session: AsyncSession, link: ClickLink, signature: str, key: bytes, now: datetime
) -> tuple[str, int | None]:
    """Where a signed link forwards, the catalogue's URL of its product with the link's UTM
    tags (``utm_campaign`` the list), and the contact the click is recorded for; the click is
    written in ``session``. Raises ``Forbidden`` for a signature that does not match,
    ``NotFound`` for a product the catalogue lacks or has no web address for."""
    if not checked(link).signed_by(key, signature):
        raise Forbidden(FORGED)
    product_id = ProductId(link.product_id)
    product = (await ProductRepository(session).get_many([product_id])).get(product_id)
    target = (
        with_utm(
            product.link,
            source=link.utm_source,
            medium=link.utm_medium,
            campaign=link.list_name,
        )
        if product is not None
        else None
    )
    if target is None:
        raise NotFound("product link", link.product_id)
    contact_id = await _known_contact(session, link.contact_id)
    await ListEventRepository(session).add(
        ListAction.CLICK,
        list_name=link.list_name,
        product_id=link.product_id,
        contact_id=contact_id,
        now=now,
    )
    return target, contact_id


async def shown(
    session: AsyncSession,
    *,
    list_name: str,
    product_id: str,
    contact_id: int | None,
    now: datetime,
) -> None:
    checked(ClickLink(list_name, contact_id, product_id, "x", "x"))
    await ListEventRepository(session).add(
        ListAction.SHOWN,
        list_name=list_name,
        product_id=product_id,
        contact_id=await _known_contact(session, contact_id),
        now=now,
    )
