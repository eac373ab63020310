"""The Recommender port over the engine in the same process (``recoms.service.RecomsService``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from bot.adapters.tracking import click_link, tracker_event
from bot.ports import (
    AlreadyLinked,
    Availability,
    ChatActivity,
    CustomerKey,
    CustomerProfile,
    EngineStats,
    ForgottenCustomer,
    LinkedCustomer,
    ListClicks,
    OrderSummary,
    ProductCard,
    RecommenderUnavailable,
    RequestRejected,
    ShopLink,
    TunedList,
)
from recoms.domain import (
    Contact,
    ContactId,
    ContactProfile,
    DataSourceId,
    Identity,
    Order,
    Product,
    ProductId,
)
from recoms.errors import Conflict, InvalidRequest, NotFound, Unavailable
from recoms.service import RecomsService


def to_identity(customer: CustomerKey) -> Identity:
    return Identity(
        contact_id=ContactId(customer.contact_id) if customer.contact_id is not None else None,
        external_id=customer.external_id,
        email=customer.email,
        phone=customer.phone,
        telegram_user_id=customer.telegram_user_id,
    )


def to_card(product: Product) -> ProductCard:
    on_sale = product.sale_price is not None and product.price is not None
    return ProductCard(
        id=str(product.id),
        name=product.title,
        url=product.link,
        image=product.image_link,
        price=product.effective_price,
        old_price=product.price if on_sale else None,
        currency=product.currency,
        brand=product.brand,
        availability=Availability.read(product.availability, in_stock=product.in_stock),
        description=product.description,
        category=tuple(product.category),
    )


def _order_summary(order: Order) -> OrderSummary:
    lines = [(str(line.product_id), line.quantity, line.price) for line in order.lines]
    return OrderSummary.from_lines(order.number, order.ordered_at, order.currency, lines)


@contextmanager
def _engine_errors() -> Iterator[None]:
    """The engine's refusals are the request's fault; a database it cannot reach makes it
    unavailable for now. Anything else is a fault of ours and is not dressed up as either."""
    try:
        yield
    except Conflict as error:
        raise AlreadyLinked(error.message) from error
    except (InvalidRequest, NotFound) as error:
        raise RequestRejected(error.message) from error
    except Unavailable as error:
        raise RecommenderUnavailable(error.message) from error


def _contact_profile(contact: Contact, profile: ContactProfile | None = None) -> CustomerProfile:
    return CustomerProfile(
        contact_id=int(contact.id),
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        external_id=contact.external_id,
        telegram_user_id=contact.telegram_user_id,
        orders=tuple(_order_summary(order) for order in profile.last_orders) if profile else (),
        cart=tuple(str(line.product_id) for line in profile.cart) if profile else (),
        recently_viewed=tuple(str(pid) for pid in profile.recently_viewed) if profile else (),
    )


class EmbeddedRecommender:
    """Calls the service directly; a database out of reach becomes ``RecommenderUnavailable``."""

    def __init__(self, service: RecomsService) -> None:
        self._service = service

    async def recommend(
        self, data_source_id: int, customer: CustomerKey, products: Sequence[str] = ()
    ) -> list[ProductCard]:
        with _engine_errors():
            found = await self._service.recommend(
                DataSourceId(data_source_id),
                to_identity(customer),
                products=[ProductId(product) for product in products],
            )
        return [to_card(product) for product in found]

    async def product(self, product_id: str) -> ProductCard | None:
        with _engine_errors():
            try:
                return to_card(await self._service.get_product(ProductId(product_id)))
            except NotFound:
                return None

    async def products(self, product_ids: Sequence[str]) -> list[ProductCard]:
        with _engine_errors():
            found = await self._service.get_products([ProductId(pid) for pid in product_ids])
        return [to_card(product) for product in found]

    async def search(
        self,
        query: str,
        limit: int = 10,
        *,
        offset: int = 0,
        customer: CustomerKey | None = None,
    ) -> list[ProductCard]:
        identity = to_identity(customer) if customer is not None else Identity()
        with _engine_errors():
            found = await self._service.search_products(
                query, limit=limit, offset=offset, identity=identity
            )
        return [to_card(product) for product in found]

    async def profile(self, customer: CustomerKey) -> CustomerProfile | None:
        if customer.is_empty():
            return None
        with _engine_errors():
            try:
                profile = await self._service.contact_profile(to_identity(customer))
            except NotFound:
                return None
        return _contact_profile(profile.contact, profile)

    async def customers_named(self, text: str, limit: int = 10) -> list[CustomerProfile]:
        with _engine_errors():
            found = await self._service.contacts_named(text, limit=limit)
        return [_contact_profile(contact) for contact in found]

    async def link_customer(
        self,
        customer: CustomerKey,
        telegram_user_id: int,
        *,
        own_contact_share: bool = False,
        name: str | None = None,
    ) -> LinkedCustomer:
        # Whom to link is named by the shop's identifiers, never by a Telegram id.
        identity = to_identity(replace(customer, telegram_user_id=None))
        with _engine_errors():
            link = await self._service.link_telegram(
                identity, telegram_user_id, own_contact_share=own_contact_share, name=name
            )
        return LinkedCustomer(
            profile=_contact_profile(link.contact),
            known=link.known,
            previous_telegram_user_id=link.previous_telegram_user_id,
        )

    async def forget(self, telegram_user_id: int) -> ForgottenCustomer | None:
        with _engine_errors():
            forgotten = await self._service.forget_telegram(telegram_user_id)
        if forgotten is None:
            return None
        return ForgottenCustomer(
            contact_id=int(forgotten.contact_id),
            deleted=forgotten.deleted,
            removed=forgotten.removed,
        )

    async def record_activity(
        self, customer: CustomerKey, activity: ChatActivity, product_id: str
    ) -> None:
        if customer.contact_id is None:
            return
        with _engine_errors():
            await self._service.track(tracker_event(customer.contact_id, activity, product_id))

    async def shop_link(self, base_url: str, link: ShopLink) -> str:
        click = click_link(link)
        with _engine_errors():
            await self._service.sign_click(click)  # refuses what it could not verify
            return click.url(base_url, await self._service.click_key())

    async def record_shown(self, list_name: str, customer: CustomerKey, product_id: str) -> None:
        with _engine_errors():
            await self._service.record_shown(list_name, product_id, contact_id=customer.contact_id)

    async def list_clicks(self, days: int | None = None) -> list[ListClicks]:
        with _engine_errors():
            figures = await self._service.list_figures(days=days)
        return [ListClicks(f.list_name, f.shown, f.clicks) for f in figures]

    async def stats(self) -> EngineStats:
        with _engine_errors():
            stats = await self._service.stats()
        return EngineStats(
            products=stats.products,
            products_in_stock=stats.products_in_stock,
            contacts=stats.contacts,
            telegram_linked=stats.telegram_linked,
            events_last_24h=stats.events_last_24h,
            model_built_at=stats.model_built_at,
            model_tuning=tuple(
                TunedList(row["name"], row["chosen"], row["default"])
                for row in (stats.model_tuning or {}).get("lists", ())
            ),
        )

    async def close(self) -> None:
        """The service belongs to the composition root, which closes it."""
