"""The API's request and response shapes: validated on the way in, documented in OpenAPI."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel

from recoms.api.queries import (
    INT64_MAX,
    MISSING_IDENTIFIER,
    Id64,
    NamedText,
    NamesAContact,
    Printable,
    Text,
)
from recoms.clicks import LIST_NAME
from recoms.domain import (
    MAX_LIMIT,
    Algorithm,
    CartLine,
    Contact,
    ContactProfile,
    DataSource,
    DataSourceParams,
    ForgottenLink,
    Order,
    OrderLine,
    ProductId,
    TelegramLink,
)
from recoms.presenters import price_to_json
from recoms.service import ImportReport, Stats
from recoms.service.jobs import FeedJob, JobState

MAX_EVENTS = 1000
MAX_CURATED_PRODUCTS = 500

ItemId = NamedText
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Items per list.")]
WindowDays = Annotated[int, Field(ge=1, le=3650, description="Bestseller window.")]
PriceRatio = Annotated[float, Field(gt=0, le=100)]
CuratedIds = Annotated[
    list[ItemId],
    Field(
        max_length=MAX_CURATED_PRODUCTS, description="The curated list of the `other` algorithm."
    ),
]


class ApiModel(BaseModel):
    """camelCase on the wire (as Yespo's API spells things); snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


# --- identifiers ---------------------------------------------------------------------------


class IdentityFields(NamesAContact, ApiModel):
    """The ways a caller names a contact; ``telegramUserId`` is this engine's extension."""

    contact_id: Id64 | None = None
    email: Annotated[str, Field(max_length=254), Printable] | None = None
    phone: Annotated[str, Field(max_length=32), Printable] | None = None
    external_customer_id: Text | None = None
    web_id: Text | None = None
    telegram_user_id: Id64 | None = None


# --- data sources --------------------------------------------------------------------------


class DataSourceParamsModel(ApiModel):
    limit: Limit = 10
    in_stock_only: bool = True
    exclude_purchased: bool = Field(
        default=False, description="Leave out what the contact has already bought."
    )
    purchased_only: bool = Field(
        default=False,
        description="Personal lists: only what the contact has bought (buy again), with no "
        "bestsellers to fill a short list. Not together with excludePurchased.",
    )
    window_days: WindowDays = 90
    price_ratio_min: PriceRatio = 0.7
    price_ratio_max: PriceRatio = 1.5
    product_ids: CuratedIds = Field(default_factory=list)

    @model_validator(mode="after")
    def _band(self) -> Self:
        # Rules across fields, which JSON Schema cannot state: the fuzz test's hook keeps to them.
        _check_band(self.price_ratio_min, self.price_ratio_max)
        _check_purchases(self.exclude_purchased, self.purchased_only)
        return self

    @classmethod
    def from_domain(cls, params: DataSourceParams) -> DataSourceParamsModel:
        return cls.model_validate(params, from_attributes=True)

    def to_domain(self) -> DataSourceParams:
        return DataSourceParams(
            **self.model_dump(by_alias=False, exclude={"product_ids"}),
            product_ids=tuple(ProductId(product) for product in self.product_ids),
        )


class DataSourceParamsPatch(ApiModel):
    """Any subset of the params; the rest (and those given as null) keep their values."""

    limit: Limit | None = None
    in_stock_only: bool | None = None
    exclude_purchased: bool | None = None
    purchased_only: bool | None = None
    window_days: WindowDays | None = None
    price_ratio_min: PriceRatio | None = None
    price_ratio_max: PriceRatio | None = None
    product_ids: CuratedIds | None = None

    @model_validator(mode="after")
    def _band(self) -> Self:
        if self.price_ratio_min is not None and self.price_ratio_max is not None:
            _check_band(self.price_ratio_min, self.price_ratio_max)
        _check_purchases(bool(self.exclude_purchased), bool(self.purchased_only))
        return self


def _check_band(low: float, high: float) -> None:
    if low > high:
        raise ValueError("priceRatioMin must not exceed priceRatioMax")


def _check_purchases(exclude_purchased: bool, purchased_only: bool) -> None:
    if exclude_purchased and purchased_only:
        raise ValueError("excludePurchased and purchasedOnly leave nothing to list together")


Name = Annotated[NamedText, Field(max_length=200)]


class DataSourceCreate(ApiModel):
    name: Name
    algorithm: Algorithm
    params: DataSourceParamsModel = Field(default_factory=DataSourceParamsModel)


class DataSourceReplace(ApiModel):
    """PUT: the whole record. ``id`` and ``algorithm`` may be echoed back but not changed
    (409); ``needsProducts`` may be echoed back and is ignored."""

    id: int | None = None
    name: Name
    algorithm: Algorithm | None = None
    needs_products: bool | None = None
    params: DataSourceParamsModel = Field(default_factory=DataSourceParamsModel)


class DataSourcePatch(ApiModel):
    name: Name | None = None
    params: DataSourceParamsPatch | None = None


class DataSourceOut(ApiModel):
    id: int
    name: str
    algorithm: Algorithm
    needs_products: bool = Field(description="Whether requests must name `products`.")
    params: DataSourceParamsModel

    @classmethod
    def from_domain(cls, source: DataSource) -> DataSourceOut:
        return cls(
            id=source.id,
            name=source.name,
            algorithm=source.algorithm,
            needs_products=source.algorithm.needs_products,
            params=DataSourceParamsModel.from_domain(source.params),
        )


# --- imports and events --------------------------------------------------------------------


def _web_url(value: str) -> str:
    # Only the web: a file path here would let a caller make the server read its own files.
    if not re.fullmatch(r"(?i)https?://[^\s\x00-\x1f\x7f]+", value):
        raise ValueError("must be an http:// or https:// URL")
    return value


class FeedImportRequest(ApiModel):
    url: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_web_url)
    ] = Field(description="An http(s) URL of a Google Merchant feed.")
    full: bool = Field(
        default=True, description="The feed is the whole catalogue: deactivate the rest."
    )


class RejectedOut(ApiModel):
    line: int
    reason: str


class ImportReportOut(ApiModel):
    read: int
    created: int
    updated: int
    deactivated: int
    skipped: dict[str, int]
    rejected: list[RejectedOut]
    trimmed: list[RejectedOut] = Field(
        description="Fields of stored items cut to their limit (a description at 5,000 "
        "characters, a title at 500), by the line of the item."
    )

    @classmethod
    def from_domain(cls, report: ImportReport) -> ImportReportOut:
        return cls.model_validate(report, from_attributes=True)


class FeedJobOut(ApiModel):
    job_id: str
    url: str = Field(description="Where to ask how the import is getting on.")
    state: JobState
    source: str = Field(
        description="The feed's URL without credentials or query, or 'request body'."
    )
    started_at: datetime
    finished_at: datetime | None
    received_bytes: int = Field(description="Bytes fetched so far from the feed's URL.")
    items_written: int = Field(description="Feed items written so far.")
    report: ImportReportOut | None = Field(description="What the import did, once done.")
    error: str | None = Field(description="Why the import stopped, once failed.")

    @classmethod
    def from_domain(cls, job: FeedJob, url: str) -> FeedJobOut:
        return cls(
            job_id=job.id,
            url=url,
            state=job.state,
            source=job.source,
            started_at=job.started_at,
            finished_at=job.finished_at,
            received_bytes=job.received_bytes,
            items_written=job.items,
            report=None if job.report is None else ImportReportOut.from_domain(job.report),
            error=job.error,
        )


class RejectedEvent(ApiModel):
    index: int = Field(description="Position of the event in the posted array, from 0.")
    reason: str


class EventsAccepted(ApiModel):
    accepted: int
    rejected: list[RejectedEvent] = Field(default_factory=list)


# --- contacts ------------------------------------------------------------------------------


class ContactOut(ApiModel):
    contact_id: int
    email: str | None
    phone: str | None
    external_customer_id: str | None
    name: str | None
    telegram_user_id: int | None
    web_ids: list[str]

    @classmethod
    def from_domain(cls, contact: Contact) -> ContactOut:
        return cls(
            contact_id=contact.id,
            email=contact.email,
            phone=contact.phone,
            external_customer_id=contact.external_id,
            name=contact.name,
            telegram_user_id=contact.telegram_user_id,
            web_ids=list(contact.web_ids),
        )


class ContactsOut(ApiModel):
    contacts: list[ContactOut] = Field(description="By name; at most the limit asked for.")


class TelegramLinkOut(ContactOut):
    known: bool = Field(
        description="The shop's own data names this contact: not one that the link created "
        "or a phone it added."
    )
    previous_telegram_user_id: int | None = Field(
        description="The Telegram user the contact was linked to before an own-contact share "
        "moved it."
    )

    @classmethod
    def from_link(cls, link: TelegramLink) -> TelegramLinkOut:
        return cls(
            **ContactOut.from_domain(link.contact).model_dump(),
            known=link.known,
            previous_telegram_user_id=link.previous_telegram_user_id,
        )


class TelegramForgetOut(ApiModel):
    contact_id: int
    deleted: bool = Field(description="The link had created the contact: it is gone.")
    removed: list[str] = Field(description="Fields the links had added, now removed.")

    @classmethod
    def from_domain(cls, forgotten: ForgottenLink) -> TelegramForgetOut:
        return cls(
            contact_id=forgotten.contact_id,
            deleted=forgotten.deleted,
            removed=list(forgotten.removed),
        )


class LineOut(ApiModel):
    product_id: str
    quantity: float
    price: float | None

    @classmethod
    def from_domain(cls, line: OrderLine | CartLine) -> LineOut:
        return cls(
            product_id=line.product_id,
            quantity=float(line.quantity),
            price=price_to_json(line.price),
        )


class OrderOut(ApiModel):
    number: str
    ordered_at: datetime
    currency: str | None
    lines: list[LineOut]

    @classmethod
    def from_domain(cls, order: Order) -> OrderOut:
        return cls(
            number=order.number,
            ordered_at=order.ordered_at,
            currency=order.currency,
            lines=[LineOut.from_domain(line) for line in order.lines],
        )


class ProfileOut(ApiModel):
    contact: ContactOut
    last_orders: list[OrderOut] = Field(description="Newest first.")
    cart: list[LineOut]
    recently_viewed: list[str] = Field(description="Product ids, newest first, no repeats.")

    @classmethod
    def from_domain(cls, profile: ContactProfile) -> ProfileOut:
        return cls(
            contact=ContactOut.from_domain(profile.contact),
            last_orders=[OrderOut.from_domain(order) for order in profile.last_orders],
            cart=[LineOut.from_domain(line) for line in profile.cart],
            recently_viewed=list(profile.recently_viewed),
        )


class TelegramLinkRequest(IdentityFields):
    """Link a Telegram user to the contact these identifiers name (created when unknown and
    named by phone or external id)."""

    telegram_user_id: int = Field(ge=1, le=INT64_MAX)
    own_contact_share: bool = Field(
        default=False,
        description="The phone came from Telegram's own-contact share (the sharer's own number, "
        "checked by Telegram). Only such a link may move a contact linked to another Telegram "
        "user, and only when the phone is the one on file; any other link of such a contact "
        "is refused with 409.",
    )
    name: Text | None = Field(
        default=None, description="Filled in when the contact has no name; forget removes it."
    )

    @model_validator(mode="after")
    def _named(self) -> Self:
        # The Telegram user id is what gets linked, not a way to find the contact.
        if dataclasses.replace(self.to_identity(), telegram_user_id=None).is_empty():
            raise ValueError(MISSING_IDENTIFIER)
        return self


# --- products (documentation and response checks) ------------------------------------------


class ProductOut(BaseModel):
    """A product as the recommendation API returns it: Yespo's fields, plus ``tags_*`` string
    fields: ``tags_old_price`` (the regular price, only on sale), ``tags_currency``,
    ``tags_image_link``, ``tags_availability`` and the feed's other fields by name."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    url: str
    price: float | None = Field(description="What the customer pays today (the sale price).")
    descr: str
    brand: str
    category: list[str] = Field(description="Category path from the root.")
    isInStock: int = Field(ge=0, le=1)


# --- system --------------------------------------------------------------------------------


class TunedListOut(ApiModel):
    name: str = Field(description="The list: personal, personal exclude_purchased, ...")
    metric: str = Field(description="What it was scored by on the held-out orders.")
    cases: int
    default: float = Field(description="The built-in settings' score.")
    chosen: float = Field(description="The chosen settings' score.")
    tried: int = Field(description="Candidate settings scored.")


class TuningOut(ApiModel):
    tuned: bool
    note: str = Field(description="Why the defaults were kept, when they were.")
    holdout_from: datetime | None = Field(description="Where the held-out orders start.")
    seconds: float
    settings: dict[str, float] = Field(
        description="Chosen settings that differ from the defaults, by dotted name."
    )
    lists: list[TunedListOut]


class StatsOut(ApiModel):
    products: int
    products_in_stock: int
    contacts: int
    telegram_linked: int
    events_last_24h: int
    orders: int
    model_built_at: datetime | None
    model_tuning: TuningOut | None = Field(
        default=None, description="The settings the newest model's rebuild chose, and why."
    )

    @classmethod
    def from_domain(cls, stats: Stats) -> StatsOut:
        return cls.model_validate(stats, from_attributes=True)


class ListShownIn(ApiModel):
    """A card of a list shown in the chat."""

    list_name: Annotated[str, Field(min_length=1, max_length=40, pattern=LIST_NAME)] = Field(
        description="The list (`for_you`, `bestsellers`, ...)."
    )
    product_id: ItemId
    contact_id: Id64 | None = Field(
        default=None, description="The contact it was shown to, when linked."
    )


class ListFiguresOut(ApiModel):
    list_name: str
    shown: int = Field(description="Cards of the list shown in the chat.")
    clicks: int = Field(description="Shop links of its cards followed.")


class ListsFiguresOut(ApiModel):
    lists: list[ListFiguresOut] = Field(description="By list name.")


class ClickKeyOut(ApiModel):
    key: str = Field(
        description="The key that signs shop links, base64url: for a bot that signs them "
        "itself (this engine over HTTP). Whoever holds it can count clicks for anyone."
    )


class Health(ApiModel):
    status: str


class ErrorOut(ApiModel):
    error: str = Field(description="A stable code: invalid_request, not_found, unauthorized, ...")
    message: str = Field(description="What was wrong, for a person to read.")


def dump(model: BaseModel) -> Any:
    """A response model as JSON-ready data (camelCase, datetimes as ISO 8601)."""
    return model.model_dump(mode="json")
