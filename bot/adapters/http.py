"""The Recommender port over HTTP: any Yespo-compatible API, or this project's own on other hosts.

Recommendations use Yespo's ``GET /api/v2/contacts/recoms/{id}`` (HTTP Basic, the API key as
the password). Profiles, linking, products and statistics use this project's ``/api/v1``
endpoints; a plain Yespo account has none of them, and those calls raise
``UnsupportedByBackend`` there (the bot then says the feature is unavailable).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

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
    UnsupportedByBackend,
)

log = logging.getLogger(__name__)
IDS_PER_CALL = 100
"""Product ids in one ``GET /api/v1/products?ids=...`` (the API's own limit)."""

MAX_SEARCH_LENGTH = 200
"""The longest search the engine's API takes; a longer one is cut rather than refused."""
_IMAGE_KEYS = ("tags_image_link", "image", "picture", "tags_picture", "imageUrl")


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


class _Product(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | int
    name: str = ""
    url: str = ""
    price: float | str | None = None
    # tags_* since the engine answers exactly Yespo's fields; the names before, from an engine
    # of an earlier version.
    old_price: float | str | None = Field(
        default=None, validation_alias=AliasChoices("tags_old_price", "oldPrice")
    )
    currency: str | None = Field(
        default=None, validation_alias=AliasChoices("tags_currency", "currency")
    )
    descr: str = ""
    brand: str | None = ""
    category: list[str] | str = Field(default_factory=list)
    in_stock: int | bool = Field(default=1, alias="isInStock")
    availability: str | None = Field(
        default=None, validation_alias=AliasChoices("tags_availability", "availability")
    )

    def card(self) -> ProductCard:
        extra: Mapping[str, Any] = self.model_extra or {}
        image = next(
            (str(extra[key]) for key in _IMAGE_KEYS if isinstance(extra.get(key), str)), ""
        )
        price = _decimal(self.price)
        old_price = _decimal(self.old_price)
        category = (
            tuple(part.strip() for part in self.category.split(">"))
            if isinstance(self.category, str)
            else tuple(self.category)
        )
        return ProductCard(
            id=str(self.id),
            name=self.name,
            url=self.url,
            image=image,
            price=price,
            old_price=old_price if old_price is not None and old_price != price else None,
            currency=self.currency,
            brand=self.brand or "",
            availability=Availability.read(self.availability, in_stock=bool(self.in_stock)),
            description=self.descr,
            category=category,
        )


class _Camel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Contact(_Camel):
    contact_id: int = Field(alias="contactId")
    email: str | None = None
    phone: str | None = None
    external_id: str | None = Field(default=None, alias="externalCustomerId")
    name: str | None = None
    telegram_user_id: int | None = Field(default=None, alias="telegramUserId")


class _Contacts(_Camel):
    contacts: list[_Contact]


class _Link(_Contact):
    known: bool = True
    previous_telegram_user_id: int | None = Field(default=None, alias="previousTelegramUserId")


class _Forgotten(_Camel):
    contact_id: int = Field(alias="contactId")
    deleted: bool
    removed: list[str] = Field(default_factory=list)


class _Line(_Camel):
    product_id: str = Field(alias="productId")
    quantity: float = 1
    price: float | None = None


class _Order(_Camel):
    number: str
    ordered_at: datetime = Field(alias="orderedAt")
    currency: str | None = None
    lines: list[_Line] = Field(default_factory=list)


class _Profile(_Camel):
    contact: _Contact
    last_orders: list[_Order] = Field(default_factory=list, alias="lastOrders")
    cart: list[_Line] = Field(default_factory=list)
    recently_viewed: list[str] = Field(default_factory=list, alias="recentlyViewed")


class _TunedList(_Camel):
    name: str
    chosen: float
    default: float


class _Tuning(_Camel):
    lists: list[_TunedList] = Field(default_factory=list)


class _Stats(_Camel):
    products: int
    products_in_stock: int = Field(alias="productsInStock")
    contacts: int
    telegram_linked: int = Field(alias="telegramLinked")
    events_last_24h: int = Field(
        validation_alias=AliasChoices("eventsLast24h", "eventsLast24H", "events_last_24h")
    )
    model_built_at: datetime | None = Field(default=None, alias="modelBuiltAt")
    model_tuning: _Tuning | None = Field(default=None, alias="modelTuning")


class _ClickKey(_Camel):
    key: str


class _ListFigures(_Camel):
    list_name: str = Field(alias="listName")
    shown: int
    clicks: int


class _ListsFigures(_Camel):
    lists: list[_ListFigures]


def _profile(contact: _Contact, profile: _Profile | None = None) -> CustomerProfile:
    orders = [
        OrderSummary.from_lines(
            order.number,
            order.ordered_at,
            order.currency,
            [
                (
                    line.product_id,
                    Decimal(str(line.quantity)),
                    None if line.price is None else Decimal(str(line.price)),
                )
                for line in order.lines
            ],
        )
        for order in (profile.last_orders if profile else [])
    ]
    return CustomerProfile(
        contact_id=contact.contact_id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        external_id=contact.external_id,
        telegram_user_id=contact.telegram_user_id,
        orders=tuple(orders),
        cart=tuple(line.product_id for line in profile.cart) if profile else (),
        recently_viewed=tuple(profile.recently_viewed) if profile else (),
    )


def identity_params(customer: CustomerKey) -> list[tuple[str, str]]:
    """Query parameters naming the customer the way Yespo's API does.

    ``telegramUserId`` is this project's extension; a user with nothing else to name them also
    gets a ``webId`` derived from it, so that a plain Yespo API (which needs one identifier)
    treats them as an unknown visitor and falls back to bestsellers."""
    params: list[tuple[str, str]] = []
    if customer.contact_id is not None:
        params.append(("contactId", str(customer.contact_id)))
    if customer.external_id:
        params.append(("externalCustomerId", customer.external_id))
    if customer.email:
        params.append(("email", customer.email))
    if customer.phone:
        params.append(("phone", customer.phone))
    if customer.telegram_user_id is not None:
        if not params:
            params.append(("webId", f"telegram-{customer.telegram_user_id}"))
        params.append(("telegramUserId", str(customer.telegram_user_id)))
    return params


class HttpRecommender:
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._headers = (
            {"Authorization": aiohttp.encode_basic_auth("bot", api_key)} if api_key else {}
        )
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._click_key: bytes | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        json: Mapping[str, Any] | None = None,
        missing_is_none: bool = False,
        project_endpoint: bool = True,
    ) -> Any:
        """The decoded JSON body, or None for a 404 that means "no such thing".

        A 404 for a missing endpoint (a plain Yespo API has none of ``/api/v1``) is
        ``UnsupportedByBackend``; other 4xx are ``RequestRejected``; the rest is unavailable."""
        url = self._base + path
        try:
            async with self._client().request(
                method, url, params=list(params), json=json
            ) as response:
                if response.status == 204:
                    return None
                text = await response.text()
                body = _json_or_none(response, text)
                if response.status < 300:
                    if body is None:
                        raise RecommenderUnavailable(f"{method} {path}: the answer is not JSON")
                    return body
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RecommenderUnavailable(f"{method} {path}: {error!r}") from error
        message = body.get("message", "") if isinstance(body, dict) else ""
        status = response.status
        if status == 404:
            # This project's API says what is missing: {"error": "not_found", "message": ...}.
            # Any other 404 on an /api/v1 path means the server has no such endpoint.
            missing_thing = (
                isinstance(body, dict)
                and body.get("error") == "not_found"
                and not message.startswith("no such endpoint")
            )
            if project_endpoint and not missing_thing:
                raise UnsupportedByBackend(
                    f"{method} {path} is not served at {self._base}: a plain Yespo API serves "
                    "recommendations only; profiles, linking, products and statistics need "
                    "this project's API"
                )
            if missing_is_none and missing_thing:
                return None
            raise RequestRejected(message or f"{method} {path}: not found")
        if status == 409:
            raise AlreadyLinked(message or f"{method} {path}: conflict")
        if status in (401, 403):
            raise RecommenderUnavailable(
                f"{method} {path}: the API refused the credentials (check BOT_RECOMS_API_KEY)"
            )
        if 400 <= status < 500:
            raise RequestRejected(message or f"{method} {path}: HTTP {status}")
        raise RecommenderUnavailable(f"{method} {path}: HTTP {status} {message}".strip())

    async def recommend(
        self, data_source_id: int, customer: CustomerKey, products: Sequence[str] = ()
    ) -> list[ProductCard]:
        params = identity_params(customer) + [("products", product) for product in products]
        body = await self._call(
            "GET",
            f"/api/v2/contacts/recoms/{int(data_source_id)}",
            params=params,
            project_endpoint=False,
        )
        return _products(body)

    async def product(self, product_id: str) -> ProductCard | None:
        body = await self._call(
            "GET", f"/api/v1/products/{quote(product_id, safe='')}", missing_is_none=True
        )
        if body is None:
            return None
        return _products([body])[0]

    async def products(self, product_ids: Sequence[str]) -> list[ProductCard]:
        wanted = list(dict.fromkeys(product_ids))
        cards: list[ProductCard] = []
        for start in range(0, len(wanted), IDS_PER_CALL):
            chunk = wanted[start : start + IDS_PER_CALL]
            body = await self._call(
                "GET", "/api/v1/products", params=[("ids", product) for product in chunk]
            )
            cards += _products(body)
        return cards

    async def search(
        self,
        query: str,
        limit: int = 10,
        *,
        offset: int = 0,
        customer: CustomerKey | None = None,
    ) -> list[ProductCard]:
        query = " ".join(query.split())[:MAX_SEARCH_LENGTH]
        if not query:
            return []
        params = [("q", query), ("limit", str(limit)), ("offset", str(offset))]
        if customer is not None:
            params += identity_params(customer)
        body = await self._call("GET", "/api/v1/products/search", params=params)
        return _products(body)

    async def profile(self, customer: CustomerKey) -> CustomerProfile | None:
        if customer.is_empty():
            return None
        params = [(name, value) for name, value in identity_params(customer) if name != "webId"]
        body = await self._call(
            "GET", "/api/v1/contacts/profile", params=params, missing_is_none=True
        )
        if body is None:
            return None
        try:
            parsed = _Profile.model_validate(body)
        except ValidationError as error:
            raise RecommenderUnavailable(f"unexpected profile from the API: {error}") from error
        return _profile(parsed.contact, parsed)

    async def customers_named(self, text: str, limit: int = 10) -> list[CustomerProfile]:
        body = await self._call(
            "GET", "/api/v1/contacts", params=[("name", text), ("limit", str(limit))]
        )
        try:
            parsed = _Contacts.model_validate(body)
        except ValidationError as error:
            raise RecommenderUnavailable(f"unexpected contacts from the API: {error}") from error
        return [_profile(contact) for contact in parsed.contacts]

    async def link_customer(
        self,
        customer: CustomerKey,
        telegram_user_id: int,
        *,
        own_contact_share: bool = False,
        name: str | None = None,
    ) -> LinkedCustomer:
        payload: dict[str, Any] = {"telegramUserId": telegram_user_id}
        if own_contact_share:
            payload["ownContactShare"] = True
        if name:
            payload["name"] = name[:200]
        if customer.contact_id is not None:
            payload["contactId"] = customer.contact_id
        if customer.external_id:
            payload["externalCustomerId"] = customer.external_id
        if customer.email:
            payload["email"] = customer.email
        if customer.phone:
            payload["phone"] = customer.phone
        body = await self._call("POST", "/api/v1/contacts/telegram", json=payload)
        try:
            link = _Link.model_validate(body)
        except ValidationError as error:
            raise RecommenderUnavailable(f"unexpected contact from the API: {error}") from error
        return LinkedCustomer(
            profile=_profile(link),
            known=link.known,
            previous_telegram_user_id=link.previous_telegram_user_id,
        )

    async def forget(self, telegram_user_id: int) -> ForgottenCustomer | None:
        body = await self._call(
            "POST",
            f"/api/v1/contacts/telegram/{int(telegram_user_id)}/forget",
            missing_is_none=True,
        )
        if body is None:
            return None
        try:
            forgotten = _Forgotten.model_validate(body)
        except ValidationError as error:
            raise RecommenderUnavailable(f"unexpected answer from the API: {error}") from error
        return ForgottenCustomer(
            contact_id=forgotten.contact_id,
            deleted=forgotten.deleted,
            removed=tuple(forgotten.removed),
        )

    async def record_activity(
        self, customer: CustomerKey, activity: ChatActivity, product_id: str
    ) -> None:
        if customer.contact_id is None:
            return
        # This project's events endpoint: Yespo's own tracker lives on another host.
        await self._call(
            "POST",
            "/api/v1/events",
            json=tracker_event(customer.contact_id, activity, product_id),
        )

    async def shop_link(self, base_url: str, link: ShopLink) -> str:
        click = click_link(link)
        if not click.well_formed():
            raise RequestRejected(f"cannot sign a shop link for list {link.list_name!r}")
        if self._click_key is None:
            body = await self._call("GET", "/api/v1/clicks/key")
            try:
                key = _ClickKey.model_validate(body).key
                self._click_key = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
            except (ValidationError, ValueError) as error:
                raise RecommenderUnavailable(f"unexpected click key: {error}") from error
        return click.url(base_url, self._click_key)

    async def record_shown(self, list_name: str, customer: CustomerKey, product_id: str) -> None:
        payload: dict[str, Any] = {"listName": list_name, "productId": product_id}
        if customer.contact_id is not None:
            payload["contactId"] = customer.contact_id
        await self._call("POST", "/api/v1/lists/shown", json=payload)

    async def list_clicks(self, days: int | None = None) -> list[ListClicks]:
        params = [] if days is None else [("days", str(days))]
        body = await self._call("GET", "/api/v1/lists/figures", params=params)
        try:
            parsed = _ListsFigures.model_validate(body)
        except ValidationError as error:
            raise RecommenderUnavailable(f"unexpected figures from the API: {error}") from error
        return [ListClicks(row.list_name, row.shown, row.clicks) for row in parsed.lists]

    async def stats(self) -> EngineStats:
        body = await self._call("GET", "/api/v1/stats")
        try:
            stats = _Stats.model_validate(body)
        except ValidationError as error:
            raise RecommenderUnavailable(f"unexpected stats from the API: {error}") from error
        tuning = stats.model_tuning.lists if stats.model_tuning else []
        return EngineStats(
            **stats.model_dump(exclude={"model_tuning"}),
            model_tuning=tuple(TunedList(row.name, row.chosen, row.default) for row in tuning),
        )


def _json_or_none(response: aiohttp.ClientResponse, text: str) -> Any:
    if "json" not in (response.content_type or ""):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _products(body: Any) -> list[ProductCard]:
    if not isinstance(body, list):
        raise RecommenderUnavailable("the API answered with something other than a product list")
    cards: list[ProductCard] = []
    for item in body:
        try:
            cards.append(_Product.model_validate(item).card())
        except ValidationError as error:
            # One odd product must not cost the customer the whole list.
            log.warning("skipped a product the API described oddly: %s", error)
    return cards
