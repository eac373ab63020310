"""Each route's path and query parameters as pydantic models: what the handler validates with
is what the OpenAPI document lists (``INPUTS``, one table for both)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from recoms.api.access import EVENTS, RECOMS, Route
from recoms.clicks import CLICK_PATH, LIST_NAME, SIGNATURE, UTM_VALUE, ClickLink
from recoms.domain import MAX_ID_LENGTH, MAX_LIMIT, ContactId, Identity, ProductId
from recoms.service.catalogue import SEARCH_CANDIDATES

INT64_MAX = 2**63 - 1
MAX_PRODUCTS = 100
MAX_CATEGORIES = 10
MAX_SEARCH_LENGTH = 200

IDENTIFIER_NAMES = ("contactId", "email", "phone", "externalCustomerId", "webId")
MISSING_IDENTIFIER = "at least one of " + ", ".join(IDENTIFIER_NAMES) + " is required"

CONTROL = r"\x00-\x1f\x7f"
PRINTABLE = f"^[^{CONTROL}]*$"
"""Text without control characters; NUL would even be refused by PostgreSQL."""
_EDGE = f'[^ ,"\\[\\]{CONTROL}]'
ARRAY_ITEM = f"^ *(?:{_EDGE}(?:[^,{CONTROL}]*{_EDGE})?)? *$"
"""One value of an array parameter: no commas (they separate values) or control characters,
not quoted or in brackets (a JSON array is not a list here); spaces around it are dropped,
and a blank value is left out."""
DIGITS = "^[0-9]{1,19}$"


@dataclass(frozen=True)
class Checked:
    """A string rule given to the JSON schema as ``pattern`` and checked by ``check``, which
    says in words what is wrong (a pattern in an error message helps nobody).

    ``tests/recoms/api/test_openapi.py`` holds the two to agreeing."""

    pattern: str
    check: Callable[[str], str]

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), "pattern": self.pattern}


def _printable(value: str) -> str:
    if re.search(f"[{CONTROL}]", value):
        raise ValueError("must not contain control characters")
    return value


def _array_item(value: str) -> str:
    _printable(value)
    if not re.fullmatch(ARRAY_ITEM, value):
        raise ValueError(
            "must not be quoted or in brackets: repeat the parameter (name=a&name=b) or "
            "separate the values with commas (name=a,b)"
        )
    return value.strip(" ")


def _digits(value: object) -> object:
    # Only what the document promises: "+1", " 1", "1_000" or "1.0" are not integers here.
    if isinstance(value, str) and not re.fullmatch(DIGITS, value):
        raise ValueError("must be an integer, in digits only")
    return value


def _true_or_false(value: object) -> object:
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("must be true or false")
    return value


NOT_BLANK = f"^[^{CONTROL}]*[^ {CONTROL}][^{CONTROL}]*$"
"""Text with something besides spaces, and without control characters."""


def _not_blank(value: str) -> str:
    _printable(value)
    if not value.strip(" "):
        raise ValueError("must not be blank")
    return value.strip(" ")


Printable = Checked(PRINTABLE, _printable)
Text = Annotated[str, Field(max_length=MAX_ID_LENGTH), Printable]
NamedText = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH), Checked(NOT_BLANK, _not_blank)
]
"""An id or a name: lengths count the text as sent, spaces around it are dropped after."""
Digits = BeforeValidator(_digits)
Id64 = Annotated[int, Field(ge=1, le=INT64_MAX), Digits]
Flag = Annotated[bool, BeforeValidator(_true_or_false)]
ArrayItem = Annotated[str, Field(max_length=MAX_ID_LENGTH), Checked(ARRAY_ITEM, _array_item)]


def _without_blanks(items: list[str]) -> list[str]:
    return [item for item in items if item]


def array_of(description: str, *, max_items: int, alias: str | None = None) -> Any:
    """A query array (``name=a&name=b``, ``name=a,b`` or ``name[]=a``) of ``ArrayItem``s."""
    return Field(
        default_factory=list,
        alias=alias,
        max_length=max_items,
        description=description
        + " Repeat the parameter (`name=a&name=b`), separate the values with commas"
        f" (`name=a,b`) or use `name[]=`; at most {max_items} values. A JSON array"
        ' (`["a"]`) is refused with 400.',
    )


QueryArray = Annotated[list[ArrayItem], AfterValidator(_without_blanks)]


class Parameters(BaseModel):
    """A route's path or query parameters, by their names on the wire only. Parameters the
    model does not name are ignored, as Yespo's API ignores them (a page's cache-buster must
    not break a list); an empty value counts as absent."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=False, extra="ignore", frozen=True
    )


# --- path parameters -----------------------------------------------------------------------


class DataSourcePath(Parameters):
    data_source_id: Id64 = Field(description="The data source's id.")


class TelegramUserPath(Parameters):
    telegram_user_id: Id64 = Field(description="The Telegram user id.")


class ProductPath(Parameters):
    product_id: Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH), Printable] = Field(
        description="The feed's `g:id`."
    )


class FeedJobPath(Parameters):
    job_id: str = Field(description="The job's id, from the import's answer.")


class DocsAssetPath(Parameters):
    asset: Literal["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "start.js"] = (
        Field(description="A file of the Swagger UI page at /docs.")
    )


# --- query parameters ----------------------------------------------------------------------


class ContactNames(Protocol):
    """The fields of a model naming a contact; read-only, so a frozen model matches."""

    @property
    def contact_id(self) -> int | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def external_customer_id(self) -> str | None: ...
    @property
    def web_id(self) -> str | None: ...
    @property
    def telegram_user_id(self) -> int | None: ...


class NamesAContact:
    """A model naming a contact, in a query string or a JSON body, as the engine's Identity."""

    def to_identity(self: ContactNames) -> Identity:
        return Identity(
            contact_id=None if self.contact_id is None else ContactId(self.contact_id),
            external_id=present(self.external_customer_id),
            email=present(self.email),
            phone=present(self.phone),
            web_id=present(self.web_id),
            telegram_user_id=self.telegram_user_id,
        )


class IdentityQuery(NamesAContact, Parameters):
    """The ways a caller names a contact; ``telegramUserId`` is this engine's extension."""

    contact_id: Id64 | None = Field(default=None, description="The engine's contact id.")
    email: Annotated[str, Field(max_length=254), Printable] | None = Field(
        default=None, description="The contact's email."
    )
    phone: Annotated[str, Field(max_length=32), Printable] | None = Field(
        default=None,
        description="The contact's phone; E.164 or national (the server's default region).",
    )
    external_customer_id: Text | None = Field(default=None, description="The shop's customer id.")
    web_id: Text | None = Field(default=None, description="The tracker cookie `sc`.")
    telegram_user_id: Id64 | None = Field(
        default=None, description="The linked Telegram user id (an extension of this engine)."
    )


def present(value: str | None) -> str | None:
    return (value or "").strip() or None


class RecomsQuery(IdentityQuery):
    products: QueryArray = array_of(
        "Product ids (cart, viewed or ordered items) for product-based lists.",
        max_items=MAX_PRODUCTS,
    )
    categories: QueryArray = array_of(
        "Categories the items must be in, any of them (Yespo's meaning): a name (`Kitchen`) "
        "or a path (`Home > Kitchen`). Bestsellers, alternatives and you may also like honour "
        "it; a category the catalogue lacks gives an empty list.",
        max_items=MAX_CATEGORIES,
        alias="category",
    )

    @property
    def product_ids(self) -> list[ProductId]:
        # Repeats would only weigh a product twice; keep the caller's order.
        return [ProductId(product) for product in dict.fromkeys(self.products)]


class ProfileQuery(IdentityQuery):
    orders: Annotated[int, Field(ge=0, le=50), Digits] = Field(
        default=5, description="How many last orders to include."
    )


class ContactsQuery(Parameters):
    name: Annotated[str, Field(min_length=2, max_length=MAX_SEARCH_LENGTH), Printable] = Field(
        description="Part of the first, last or full name, any case; at least 2 characters."
    )
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), Digits] = Field(
        default=10, description="At most this many contacts."
    )


class ProductsQuery(Parameters):
    search: Annotated[str, Field(max_length=MAX_SEARCH_LENGTH), Printable] | None = Field(
        default=None, description="Matches id, title or brand, case-insensitive."
    )
    ids: QueryArray = array_of("Product ids; unknown ones are left out.", max_items=MAX_PRODUCTS)
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), Digits] = Field(
        default=10, description="At most this many search results."
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        # A rule across parameters, which OpenAPI cannot state: the fuzz test's hook keeps to it.
        if not present(self.search) and not self.ids:
            raise ValueError("either search or ids is required")
        if present(self.search) and self.ids:
            raise ValueError("give either search or ids, not both")
        return self


class SearchQuery(IdentityQuery):
    """A product search; the identifiers (all optional) name the customer whose personal
    list raises their matches."""

    q: Annotated[
        str, Field(min_length=1, max_length=MAX_SEARCH_LENGTH), Checked(NOT_BLANK, _not_blank)
    ] = Field(
        description="What the customer typed: words of the name, brand, category or id; "
        "typos are forgiven from three characters on."
    )
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), Digits] = Field(
        default=10, description="At most this many products."
    )
    offset: Annotated[int, Field(ge=0, le=SEARCH_CANDIDATES), Digits] = Field(
        default=0,
        description=f"Skip this many (paging). A search ranks its best {SEARCH_CANDIDATES} "
        "matches only: past them the list is empty.",
    )


def _matching(pattern: str, words: str) -> Checked:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(words)
        return value

    return Checked(pattern, check)


class ClickQuery(Parameters):
    """A shop link of a chat card, as the bot signs it (``recoms.clicks``)."""

    l: Annotated[str, Field(max_length=40), _matching(LIST_NAME, "a-z, 0-9 and _ only")] = (  # noqa: E741
        Field(description="The list the card was shown in (`for_you`, `bestsellers`, ...).")
    )
    c: Id64 | None = Field(default=None, description="The contact the card was shown to.")
    p: Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH), Printable] = Field(
        description="The product's id."
    )
    us: Annotated[str, Field(max_length=64), _matching(UTM_VALUE, "letters, digits, _ . -")] = (
        Field(description="`utm_source` of the shop URL.")
    )
    um: Annotated[str, Field(max_length=64), _matching(UTM_VALUE, "letters, digits, _ . -")] = (
        Field(description="`utm_medium` of the shop URL.")
    )
    s: Annotated[str, Field(min_length=22, max_length=22), _matching(SIGNATURE, "base64url")] = (
        Field(description="The link's signature (HMAC-SHA256 under the engine's click key).")
    )

    def link(self) -> ClickLink:
        return ClickLink(self.l, self.c, self.p, self.us, self.um)


class ListFiguresQuery(Parameters):
    days: Annotated[int, Field(ge=1, le=3660), Digits] | None = Field(
        default=None, description="The last this many days only (all time when absent)."
    )


class FeedImportQuery(Parameters):
    full: Flag = Field(
        default=True,
        description="For an XML body: the feed is the whole catalogue (deactivate the rest).",
    )


# --- which route reads which ---------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """The models a route's path and query parameters are validated with."""

    path: type[Parameters] | None = None
    query: type[Parameters] | None = None


DATA_SOURCE = "/api/v1/datasources/{dataSourceId}"
TELEGRAM_USER = "/api/v1/contacts/telegram/{telegramUserId}"

INPUTS: Mapping[Route, Inputs] = {
    ("GET", RECOMS): Inputs(path=DataSourcePath, query=RecomsQuery),
    ("POST", EVENTS): Inputs(),
    ("POST", "/api/v1/feed/import"): Inputs(query=FeedImportQuery),
    ("GET", "/api/v1/feed/import/{jobId}"): Inputs(path=FeedJobPath),
    ("GET", "/api/v1/datasources"): Inputs(),
    ("POST", "/api/v1/datasources"): Inputs(),
    ("GET", DATA_SOURCE): Inputs(path=DataSourcePath),
    ("PUT", DATA_SOURCE): Inputs(path=DataSourcePath),
    ("PATCH", DATA_SOURCE): Inputs(path=DataSourcePath),
    ("GET", "/api/v1/contacts"): Inputs(query=ContactsQuery),
    ("GET", "/api/v1/contacts/profile"): Inputs(query=ProfileQuery),
    ("POST", "/api/v1/contacts/telegram"): Inputs(),
    ("DELETE", TELEGRAM_USER): Inputs(path=TelegramUserPath),
    ("POST", TELEGRAM_USER + "/forget"): Inputs(path=TelegramUserPath),
    ("GET", "/api/v1/products"): Inputs(query=ProductsQuery),
    ("GET", "/api/v1/products/search"): Inputs(query=SearchQuery),
    ("GET", "/api/v1/products/{productId}"): Inputs(path=ProductPath),
    ("GET", "/docs/{asset}"): Inputs(path=DocsAssetPath),
    ("GET", CLICK_PATH): Inputs(query=ClickQuery),
    ("POST", "/api/v1/lists/shown"): Inputs(),
    ("GET", "/api/v1/lists/figures"): Inputs(query=ListFiguresQuery),
    ("GET", "/api/v1/clicks/key"): Inputs(),
}
"""Routes with parameters, by (method, path template); a route not named here takes none."""
