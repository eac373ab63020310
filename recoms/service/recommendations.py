"""Recommendation requests: the data source and the asker's recent activity, read for ranking."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.algorithms import ContactHistory
from recoms.domain import Algorithm, DataSource, DataSourceId, Identity, ProductId
from recoms.errors import InvalidRequest
from recoms.service import answers, datasources
from recoms.service.answers import Subject
from recoms.service.contacts import HISTORY_VIEWS, VIEW_EVENTS, Identifiers, lookup_keys
from recoms.storage.repositories import Activity, ActivityRepository

# A contact's latest order lines read for each personal list.
HISTORY_PURCHASES = 2_000
WISHLIST_EVENTS = ("AddToWishlist",)
UNWISHED_EVENTS = ("RemoveFromWishlist",)
"""A later one takes the product out of the wishlist again."""
HISTORY_EVENTS = {
    "viewed": (VIEW_EVENTS, HISTORY_VIEWS),
    "wishlist": (WISHLIST_EVENTS, HISTORY_VIEWS),
}
VISITOR_EVENTS = {"viewed": (VIEW_EVENTS, HISTORY_VIEWS)}


def reference_products(products: Sequence[ProductId]) -> list[ProductId]:
    """The ids a request names, stripped, without blanks or repeats, in the caller's order."""
    if not products:
        return []
    return list(dict.fromkeys(ProductId(pid.strip()) for pid in products if pid.strip()))


def check_products(source: DataSource, products: Sequence[ProductId]) -> DataSource:
    """Raises ``InvalidRequest`` when the source's algorithm needs products and none are given."""
    if source.algorithm.needs_products and not products:
        raise InvalidRequest(
            f"data source {source.id} ({source.algorithm}) needs products: give the "
            "ids of the products to recommend for"
        )
    return source


def reads_history(source: DataSource) -> bool:
    """Whether ranking for ``source`` looks at the asker's history: personal lists do, the
    others only to leave out what the contact bought (``exclude_purchased``). Lists that do
    not are answered without reading the database at all."""
    return source.algorithm is Algorithm.PERSONAL or source.params.exclude_purchased


async def data_source_for(
    session: AsyncSession, data_source_id: DataSourceId, products: Sequence[ProductId]
) -> DataSource:
    """Raises ``NotFound`` for an unknown data source and ``InvalidRequest`` when its
    algorithm needs products and none are given."""
    return check_products(await datasources.get(session, data_source_id), products)


async def history(
    session: AsyncSession,
    identifiers: Identifiers,
    identity: Identity,
    *,
    everything_bought: bool = False,
) -> ContactHistory | None:
    """The contact's history, a visitor's (web id only), or None for nobody known;
    ``everything_bought`` reads every product the contact ever bought besides the latest
    order lines (for lists that leave them out).

    Read fresh (one statement for a known contact), so what the contact just did counts."""
    return (
        await subject_history(session, identifiers, identity, everything_bought=everything_bought)
    )[1]


async def subject_history(
    session: AsyncSession,
    identifiers: Identifiers,
    identity: Identity,
    *,
    everything_bought: bool = False,
) -> tuple[Subject, ContactHistory | None]:
    """As ``history``, with whom the identity named: the contact, else the visitor of its
    web id (even one with no activity yet), else nobody."""
    if identity.is_empty():
        return None, None
    activity = await ActivityRepository(session).of_contact(
        lookup_keys(identity, identifiers),
        purchases=HISTORY_PURCHASES,
        events=HISTORY_EVENTS,
        undone_by={"wishlist": UNWISHED_EVENTS},
        bought=everything_bought,
    )
    if activity is not None:
        assert activity.contact_id is not None
        return answers.contact(activity.contact_id), _contact_history(activity)
    if not identity.web_id:
        return None, None
    subject = answers.visitor(identity.web_id)
    visitor = await ActivityRepository(session).of_visitor(identity.web_id, events=VISITOR_EVENTS)
    if not visitor.events["viewed"] and not visitor.cart:
        return subject, None
    return subject, ContactHistory(viewed=visitor.events["viewed"], cart=visitor.cart)


def _contact_history(activity: Activity) -> ContactHistory:
    return ContactHistory(
        purchases=activity.purchases,
        viewed=activity.events["viewed"],
        cart=activity.cart,
        wishlist=activity.events["wishlist"],
        bought=frozenset(activity.bought),
    )
