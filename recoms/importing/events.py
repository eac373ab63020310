"""Web tracker events in Yespo's shapes (REST tracker and eS.js) read into plain event objects.

Accepted shapes, for every event name in :data:`EVENT_NAMES`:

- REST tracker: ``{"GeneralInfo": {"eventName": "StatusCart", "siteId": ..., "datetime": ...,
  "externalCustomerId": ..., "user_email": ..., "user_phone": ..., "cookies": {"sc": webId}},
  "StatusCart": {"Products": [{"productKey", "price", "quantity"}], "GUID": ...}}``; the body
  of ProductPage, AddToWishlist and RemoveFromWishlist is
  ``{"Product": {"productKey", "price", "isInStock"}}``,
  of CategoryPage ``{"Category": {"categoryKey"}}``.
- eS.js: the same without the wrappers, ``"ProductPage": {"productKey": ...}``,
  ``"StatusCart": [...]`` or ``{"StatusCart": [...], "GUID": ...}``, ``"PurchasedItems": [...]``;
  and ``GeneralInfo`` may be left out, its fields then sitting next to the event.

Field names are taken in camelCase, PascalCase or snake_case; ids, quantities and prices may be
strings or numbers, a price also with its currency (``"754 USD"``, as Yespo's own ProductPage
example sends it). Times are epoch milliseconds, epoch seconds or ISO 8601 (UTC when no zone).

Who the visitor is comes from ``GeneralInfo`` (or a CustomerData body): ``externalCustomerId``,
``user_email``, ``user_phone``, ``user_es_contact_id`` (the contact id, this engine's as in the
recommendation API's ``contactId``) and the ``sc`` cookie. Page events without data of their own
(``MainPage``, ``StatusCartPage``, ``NotFound``) are kept in the event log only.

Follows Yespo's "Transferring Website Behavior Data via REST API"
(docs.yespo.io/docs/how-transfer-website-behavior-data-through-rest-api).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from recoms.domain import (
    MAX_AMOUNT,
    MAX_ID_LENGTH,
    MAX_QUANTITY,
    CartLine,
    OrderLine,
    ProductId,
    Rejected,
)
from recoms.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class ProductView:
    product_id: ProductId
    price: Decimal | None = None
    in_stock: bool | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class CategoryView:
    category: str


@dataclass(frozen=True, slots=True)
class CartStatus:
    """The whole cart as it is now; no lines means an emptied cart."""

    lines: tuple[CartLine, ...]
    guid: str | None = None


@dataclass(frozen=True, slots=True)
class Purchase:
    """A placed order; ``order_number`` is the shop's, or the tracker's GUID when it sent none;
    ``currency`` the one its prices name (``"754 USD"``), if any."""

    order_number: str
    lines: tuple[OrderLine, ...]
    guid: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerData:
    """Who the visitor is: links the event's web id to a contact. At least one identifier."""

    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    contact_id: int | None = None


@dataclass(frozen=True, slots=True)
class WishlistAdd:
    product_id: ProductId


@dataclass(frozen=True, slots=True)
class WishlistRemove:
    """The product left the visitor's wishlist (this engine's extension of Yespo's events:
    the chat's ❤️ toggles). A later AddToWishlist puts it back."""

    product_id: ProductId


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str


@dataclass(frozen=True, slots=True)
class PageView:
    """A page of a kind that carries no data (``MainPage``...); the event name says which."""


EventPayload = (
    ProductView
    | CategoryView
    | CartStatus
    | Purchase
    | CustomerData
    | WishlistAdd
    | WishlistRemove
    | SearchRequest
    | PageView
)


@dataclass(frozen=True, slots=True)
class TrackerEvent:
    """One tracker event. ``name`` is the tracker's (``ProductPage``...); identifiers are raw
    as sent (normalise them with :mod:`recoms.identifiers`); ``web_id`` is the
    ``sc`` cookie; ``contact_id`` is ``user_es_contact_id``; ``occurred_at`` is in UTC."""

    name: str
    occurred_at: datetime
    site_id: str | None
    external_id: str | None
    email: str | None
    phone: str | None
    web_id: str | None
    payload: EventPayload
    contact_id: int | None = None

    @property
    def names_a_person(self) -> bool:
        """Whether the event says who the visitor is beyond the ``sc`` cookie: an email, a
        phone, an external id, a contact id (``user_es_contact_id``), or a CustomerData event.
        Such an event links the cookie to a contact, so only the shop's backend may send it
        (see ``RecomsService.track``)."""
        identified = self.external_id or self.email or self.phone or self.contact_id
        return bool(identified) or isinstance(self.payload, CustomerData)


PAGE_EVENTS = ("MainPage", "StatusCartPage", "NotFound")
"""Events that name only a kind of page: no data of their own."""
# Events whose data may be left out: CustomerData's identifiers may sit in GeneralInfo.
_BODY_OPTIONAL = frozenset(("CustomerData", *PAGE_EVENTS))

EVENT_NAMES = (
    "ProductPage",
    "CategoryPage",
    "StatusCart",
    "PurchasedItems",
    "CustomerData",
    "AddToWishlist",
    "RemoveFromWishlist",
    "SearchRequest",
    *PAGE_EVENTS,
)
_BY_LOWER_NAME = {name.lower(): name for name in EVENT_NAMES}


def parse_event(payload: Mapping[str, Any], *, received_at: datetime) -> TrackerEvent:
    """Read one tracker event; a missing time is ``received_at``.

    Raises ``InvalidRequest`` naming the first faults by path, e.g.
    ``StatusCart.Products[2].productKey is missing``.
    """
    if not isinstance(payload, Mapping):
        raise InvalidRequest(f"an event is a JSON object, not {_json_type(payload)}")
    general_raw = _get(payload, "GeneralInfo")
    if general_raw is None:
        general_raw, general_path = payload, ""
    elif not isinstance(general_raw, Mapping):
        raise InvalidRequest("GeneralInfo should be an object")
    else:
        general_path = "GeneralInfo"
    general = _validate(_General, general_raw, general_path)

    name = _event_name(payload, general.event_name)
    body = _get(payload, name)
    occurred_at = general.occurred_at or received_at
    event_payload = _PARSERS[name](body, general_raw)
    external_id, email, phone = general.external_id, general.email, general.phone
    contact_id = general.contact_id
    if isinstance(event_payload, CustomerData):
        # The visitor is who CustomerData says, when GeneralInfo does not say it already.
        external_id = external_id or event_payload.external_id
        email = email or event_payload.email
        phone = phone or event_payload.phone
        contact_id = contact_id or event_payload.contact_id
    return TrackerEvent(
        name=name,
        occurred_at=occurred_at,
        site_id=general.site_id,
        external_id=external_id,
        email=email,
        phone=phone,
        web_id=general.web_id,
        payload=event_payload,
        contact_id=contact_id,
    )


def read_events(
    lines: Iterable[str], *, received_at: datetime
) -> Iterator[TrackerEvent | Rejected]:
    """Read JSON lines, one event each, in order; blank lines are passed over and a bad line
    becomes ``Rejected`` with its 1-based line number."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            payload = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejected(number, f"bad JSON: {exc.msg} at column {exc.pos + 1}")
            continue
        try:
            yield parse_event(payload, received_at=received_at)
        except InvalidRequest as exc:
            yield Rejected(number, exc.message)


# --- validation ---------------------------------------------------------------------------


def _to_datetime(value: object) -> object:
    """Epoch milliseconds or seconds (numbers or digit strings), or ISO 8601, to UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Seconds since 1970 pass 1e11 only in the year 5138; milliseconds did in 1973.
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("is not a time") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("is not epoch milliseconds or an ISO 8601 time") from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return value


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


# A price with its currency code before or after, as trackers write it: "754 USD".
_PRICED = re.compile(
    r"(?:(?P<before>[A-Za-z]{3})\s*)?"
    r"(?P<amount>-?(?:\d+(?:[.,]\d*)?|[.,]\d+))"
    r"(?:\s*(?P<after>[A-Za-z]{3}))?"
)


def _split_price(text: str) -> tuple[str, str | None] | None:
    """The amount and the ISO 4217 currency of a price as trackers write it: ``"754 USD"``,
    ``"USD 754"`` and ``"754,50 UAH"`` (a decimal comma) give 754 and 754.50 with the code,
    a bare number none; None when the text is no price."""
    match = _PRICED.fullmatch(text.strip())
    if match is None or (match["before"] and match["after"]):
        return None
    currency = match["before"] or match["after"]
    return match["amount"].replace(",", "."), currency.upper() if currency else None


def _amount(value: object) -> object:
    value = _blank_to_none(value)
    if not isinstance(value, str):
        return value
    split = _split_price(value)
    if split is None:
        raise ValueError("is not a price: a number, optionally with its currency (754 USD)")
    return split[0]


def _currency(data: object) -> str | None:
    """The currency the ``price`` of ``data`` names, if any."""
    price = _get(data, "price") if isinstance(data, Mapping) else None
    split = _split_price(price) if isinstance(price, str) else None
    return None if split is None else split[1]


def _web_id(value: object) -> object:
    """The ``sc`` cookie of ``cookies``."""
    if isinstance(value, Mapping):
        return _get(value, "sc")
    return value


_NUL = re.compile("\x00")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _without_nul(value: str | None) -> str | None:
    # PostgreSQL cannot store NUL in text; refusing it here keeps it a bad event, not a failure.
    if value is not None and _NUL.search(value):
        raise ValueError("must not contain NUL characters")
    return value


def _printable(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Time = Annotated[datetime | None, BeforeValidator(_to_datetime)]
Text = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_without_nul)]
# Identifiers the engine stores and looks up: bounded as storage holds them, printable.
IdText = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_ID_LENGTH)] | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(_printable),
]
Amount = Annotated[Decimal | None, BeforeValidator(_amount), Field(ge=0, le=MAX_AMOUNT)]
Key = Annotated[str, Field(min_length=1), AfterValidator(_without_nul)]
ProductKey = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_printable)
]


# Field spellings trackers use, shared by the shapes that carry the same field.
_EXTERNAL_ID = AliasChoices("externalCustomerId", "ExternalCustomerId", "external_customer_id")
_EMAIL = AliasChoices("user_email", "userEmail", "email", "Email")
_PHONE = AliasChoices("user_phone", "userPhone", "phone", "Phone")
_PRODUCT_KEY = AliasChoices("productKey", "ProductKey", "product_key", "productId")
_PRICE = AliasChoices("price", "Price")
_CONTACT_ID = AliasChoices("user_es_contact_id", "userEsContactId", "contactId", "contact_id")
ContactIdField = Annotated[
    Annotated[int, Field(ge=1, le=2**63 - 1)] | None, BeforeValidator(_blank_to_none)
]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


class _General(_Model):
    event_name: Text = Field(
        None, validation_alias=AliasChoices("eventName", "EventName", "event_name")
    )
    site_id: Text = Field(None, validation_alias=AliasChoices("siteId", "SiteId", "site_id"))
    occurred_at: Time = Field(
        None, validation_alias=AliasChoices("datetime", "dateTime", "DateTime", "timestamp")
    )
    external_id: IdText = Field(None, validation_alias=_EXTERNAL_ID)
    email: Text = Field(None, validation_alias=_EMAIL)
    phone: Text = Field(None, validation_alias=_PHONE)
    contact_id: ContactIdField = Field(None, validation_alias=_CONTACT_ID)
    web_id: Annotated[IdText, BeforeValidator(_web_id)] = Field(
        None, validation_alias=AliasChoices("cookies", "Cookies", "webId", "web_id", "sc")
    )


class _Product(_Model):
    product_key: ProductKey = Field(validation_alias=_PRODUCT_KEY)
    price: Amount = Field(None, validation_alias=_PRICE)
    in_stock: Annotated[bool | None, BeforeValidator(_blank_to_none)] = Field(
        None, validation_alias=AliasChoices("isInStock", "IsInStock", "is_in_stock", "inStock")
    )


class _Line(_Model):
    product_key: ProductKey = Field(validation_alias=_PRODUCT_KEY)
    price: Amount = Field(None, validation_alias=_PRICE)
    quantity: Annotated[Decimal, Field(ge=0, le=MAX_QUANTITY)] = Field(
        Decimal(1), validation_alias=AliasChoices("quantity", "Quantity", "qty")
    )


class _Category(_Model):
    category_key: Key = Field(
        validation_alias=AliasChoices("categoryKey", "CategoryKey", "category_key", "category")
    )


class _Customer(_Model):
    external_id: IdText = Field(None, validation_alias=_EXTERNAL_ID)
    email: Text = Field(None, validation_alias=_EMAIL)
    phone: Text = Field(None, validation_alias=_PHONE)
    contact_id: ContactIdField = Field(None, validation_alias=_CONTACT_ID)
    name: Text = Field(
        None, validation_alias=AliasChoices("user_name", "userName", "name", "Name")
    )

    @property
    def names_someone(self) -> bool:
        return bool(self.external_id or self.email or self.phone or self.contact_id)


class _Search(_Model):
    query: Key = Field(
        validation_alias=AliasChoices("SearchQuery", "searchQuery", "search_query", "query")
    )


class _Order(_Model):
    order_number: IdText = Field(
        None, validation_alias=AliasChoices("OrderNumber", "orderNumber", "order_number")
    )
    guid: IdText = Field(None, validation_alias=AliasChoices("GUID", "guid", "Guid"))


_LINES = TypeAdapter(list[_Line])


_M = TypeVar("_M", bound=BaseModel)


def _validate(model: type[_M], data: object, path: str) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(_describe(exc, path)) from None


def _lines(data: object, path: str) -> list[_Line]:
    try:
        return _LINES.validate_python(data)
    except ValidationError as exc:
        raise InvalidRequest(_describe(exc, path)) from None


def _describe(exc: ValidationError, path: str) -> str:
    faults = []
    for error in exc.errors()[:3]:
        where = path
        for part in error["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
        kind, value = error["type"], error.get("input")
        if kind == "missing":
            faults.append(f"{where} is missing")
        elif kind == "string_too_short" and value is not None and not str(value).strip():
            faults.append(f"{where} is empty")
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            faults.append(f"{where} should be an object, not {_json_type(value)}")
        elif kind == "list_type":
            faults.append(f"{where} should be a list, not {_json_type(value)}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            faults.append(f"{where}: {message} (got {value!r})")
    more = len(exc.errors()) - len(faults)
    return "; ".join(faults) + (f" (and {more} more)" if more > 0 else "")


# --- shapes -------------------------------------------------------------------------------


def _event_name(payload: Mapping[str, Any], declared: str | None) -> str:
    if declared is not None:
        name = _BY_LOWER_NAME.get(declared.lower())
        if name is None:
            raise InvalidRequest(
                f"unknown event {declared!r}; supported: {', '.join(EVENT_NAMES)}"
            )
        if _get(payload, name) is None and name not in _BODY_OPTIONAL:
            raise InvalidRequest(f"{name} is missing: the event's data goes under its name")
        return name
    found = [_BY_LOWER_NAME[key.lower()] for key in payload if key.lower() in _BY_LOWER_NAME]
    if len(found) != 1:
        raise InvalidRequest(
            "GeneralInfo.eventName is missing"
            + (f" and the event is ambiguous: {', '.join(found)}" if found else "")
        )
    return found[0]


def _product_view(body: object, general: Mapping[str, Any]) -> ProductView:
    product, path = _unwrap(body, "Product", "ProductPage")
    parsed = _validate(_Product, product, path)
    return ProductView(
        ProductId(parsed.product_key), parsed.price, parsed.in_stock, _currency(product)
    )


def _wishlist_add(body: object, general: Mapping[str, Any]) -> WishlistAdd:
    product, path = _unwrap(body, "Product", "AddToWishlist")
    return WishlistAdd(ProductId(_validate(_Product, product, path).product_key))


def _wishlist_remove(body: object, general: Mapping[str, Any]) -> WishlistRemove:
    product, path = _unwrap(body, "Product", "RemoveFromWishlist")
    return WishlistRemove(ProductId(_validate(_Product, product, path).product_key))


def _category_view(body: object, general: Mapping[str, Any]) -> CategoryView:
    if isinstance(body, str | int):
        body = {"categoryKey": body}
    category, path = _unwrap(body, "Category", "CategoryPage")
    return CategoryView(_validate(_Category, category, path).category_key)


def _cart_status(body: object, general: Mapping[str, Any]) -> CartStatus:
    products, path, extra = _products(body, "StatusCart")
    lines = _lines(products, path)
    guid = _validate(_Order, {**general, **extra}, "StatusCart").guid
    return CartStatus(
        tuple(
            CartLine(ProductId(line.product_key), line.quantity, line.price)
            for line in lines
            if line.quantity > 0
        ),
        guid,
    )


def _purchase(body: object, general: Mapping[str, Any]) -> Purchase:
    products, path, extra = _products(body, "PurchasedItems")
    lines = [line for line in _lines(products, path) if line.quantity > 0]
    if not lines:
        raise InvalidRequest(f"{path} is empty: a purchase needs at least one product")
    order = _validate(_Order, {**general, **extra}, "PurchasedItems")
    number = order.order_number or order.guid
    if number is None:
        raise InvalidRequest("PurchasedItems.OrderNumber is missing, and there is no GUID")
    return Purchase(
        number,
        tuple(OrderLine(ProductId(line.product_key), line.quantity, line.price) for line in lines),
        order.guid,
        next(filter(None, map(_currency, products)), None) if isinstance(products, list) else None,
    )


def _customer_data(body: object, general: Mapping[str, Any]) -> CustomerData:
    if body is not None and not isinstance(body, Mapping):
        raise InvalidRequest(f"CustomerData should be an object, not {_json_type(body)}")
    customer = _validate(_Customer, body or {}, "CustomerData")
    if not customer.names_someone:
        # The REST tracker may carry the identifiers in GeneralInfo only. Never mixed with
        # the body's: that could merge two people.
        customer = _validate(_Customer, {**general, **(body or {})}, "CustomerData")
    if not customer.names_someone:
        raise InvalidRequest(
            "CustomerData needs an externalCustomerId, user_email, user_phone or "
            "user_es_contact_id"
        )
    return CustomerData(
        customer.external_id, customer.email, customer.phone, customer.name, customer.contact_id
    )


def _page_view(body: object, general: Mapping[str, Any]) -> PageView:
    return PageView()


def _search_request(body: object, general: Mapping[str, Any]) -> SearchRequest:
    if isinstance(body, str):
        body = {"SearchQuery": body}
    return SearchRequest(_validate(_Search, body, "SearchRequest").query)


_PARSERS: Mapping[str, Callable[[object, Mapping[str, Any]], EventPayload]] = {
    "ProductPage": _product_view,
    "CategoryPage": _category_view,
    "StatusCart": _cart_status,
    "PurchasedItems": _purchase,
    "CustomerData": _customer_data,
    "AddToWishlist": _wishlist_add,
    "RemoveFromWishlist": _wishlist_remove,
    "SearchRequest": _search_request,
    **dict.fromkeys(PAGE_EVENTS, _page_view),
}


def _unwrap(body: object, wrapper: str, path: str) -> tuple[object, str]:
    """``{"Product": {...}}`` (REST tracker) or the inner object itself (eS.js)."""
    if isinstance(body, Mapping):
        inner = _get(body, wrapper)
        if inner is not None:
            return inner, f"{path}.{wrapper}"
    return body, path


def _products(body: object, name: str) -> tuple[object, str, Mapping[str, Any]]:
    """The product list of a cart or purchase, its path, and the object around it."""
    if isinstance(body, Sequence) and not isinstance(body, str):
        return body, name, {}
    if not isinstance(body, Mapping):
        raise InvalidRequest(f"{name} should be an object or a list, not {_json_type(body)}")
    for key in ("Products", name):
        products = _get(body, key)
        if products is not None:
            return products, f"{name}.{key}", body
    raise InvalidRequest(f"{name}.Products is missing")


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    """``mapping[key]`` matched case-insensitively (trackers differ in spelling), or None."""
    if key in mapping:
        return mapping[key]
    lower = key.lower()
    return next((value for name, value in mapping.items() if name.lower() == lower), None)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Sequence):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__
