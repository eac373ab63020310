"""Recommendation requests: the data source and the asker's recent activity, read for ranking."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.algorithms import ContactHistory, Purchase
from recoms.domain import DataSource, DataSourceId, Identity, ProductId
from recoms.errors import InvalidRequest
from recoms.service import datasources
from recoms.service.contacts import HISTORY_VIEWS, VIEW_EVENTS, Contacts
from recoms.storage.repositories import CartRepository, EventRepository, OrderRepository

# A contact's latest order lines read for each personal list.
HISTORY_PURCHASES = 2_000
WISHLIST_EVENTS = ("AddToWishlist",)


def reference_products(products: Sequence[ProductId]) -> list[ProductId]:
    """The ids a request names, stripped, without blanks or repeats, in the caller's order."""
    return list(dict.fromkeys(ProductId(pid.strip()) for pid in products if pid.strip()))


async def data_source_for(
    session: AsyncSession, data_source_id: DataSourceId, products: Sequence[ProductId]
) -> DataSource:
    """Raises ``NotFound`` for an unknown data source and ``InvalidRequest`` when its
    algorithm needs products and none are given."""
    source = await datasources.get(session, data_source_id)
    if source.algorithm.needs_products and not products:
        raise InvalidRequest(
            f"data source {source.id} ({source.algorithm}) needs products: give the "
            "ids of the products to recommend for"
        )
    return source


async def history(contacts: Contacts, identity: Identity) -> ContactHistory | None:
    """The contact's history, a visitor's (web id only), or None for nobody known."""
    if identity.is_empty():
        return None
    session = contacts.session
    contact = await contacts.find(identity)
    if contact is None:
        return await _visitor_history(session, identity.web_id) if identity.web_id else None
    events = EventRepository(session)
    purchases = await OrderRepository(session).purchases(contact.id, HISTORY_PURCHASES)
    viewed = await events.products(
        VIEW_EVENTS, contact_id=contact.id, web_id=None, limit=HISTORY_VIEWS
    )
    wishlist = await events.products(
        WISHLIST_EVENTS, contact_id=contact.id, web_id=None, limit=HISTORY_VIEWS
    )
    cart = await CartRepository(session).get(contact_id=contact.id, web_id=None)
    return ContactHistory(
        purchases=[Purchase(pid, at, quantity) for pid, at, quantity in purchases],
        viewed=viewed,
        cart=[line.product_id for line in cart],
        wishlist=wishlist,
    )


async def _visitor_history(session: AsyncSession, web_id: str) -> ContactHistory | None:
    """What an anonymous visitor viewed and has in the cart; None when nothing yet."""
    viewed = await EventRepository(session).products(
        VIEW_EVENTS, contact_id=None, web_id=web_id, limit=HISTORY_VIEWS
    )
    cart = await CartRepository(session).get(contact_id=None, web_id=web_id)
    if not viewed and not cart:
        return None
    return ContactHistory(viewed=viewed, cart=[line.product_id for line in cart])
