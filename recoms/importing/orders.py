"""Order history CSV exports (.csv, .csv.gz) read into order lines; no storage here.

Decisions a shop's engineer may want to know:

- Encoding is UTF-8 (a byte order mark is fine). There is no silent fallback to cp1252:
  a file that is not UTF-8 may as well be cp1251 or latin-1, and guessing wrong would store
  mojibake. Such a file raises ``ImportFileError`` naming the first bad line; a caller that
  knows the encoding passes ``encoding=`` (``recoms import-orders --encoding``).
- Lines are read at most :data:`MAX_LINE` characters at a time, the header too: a file
  without line breaks costs no more memory than that. A longer line, a field over the csv
  module's limit (131,072 characters), a NUL byte or a line the csv module cannot read
  rejects that line only, with its number.
- The delimiter (``,``, ``;`` or tab) is taken from the header line.
- Dates: ISO 8601 (``2010-12-01 07:45:00``, ``T``, fractions, ``Z`` or offsets, date only),
  ``DD.MM.YYYY[ HH:MM[:SS]]`` and slashed dates, read month first (``12/1/2010 8:26``, the US
  and Excel habit) unless ``day_first``. Times without a zone are UTC; all are returned in UTC.
- Numbers: ``6.95`` and ``6,95``; thousands separators ``1,234.50``, or ``1.234,50`` in a
  semicolon-separated file (where ``1,234`` is then 1.234, not 1234).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from recoms.domain import MAX_AMOUNT, MAX_ID_LENGTH, MAX_QUANTITY, ProductId, Rejected
from recoms.errors import ImportFileError, InvalidRequest

ORDER_FIELDS = (
    "order_id",
    "product_id",
    "quantity",
    "price",
    "ordered_at",
    "external_customer_id",
    "email",
    "phone",
    "product_name",
    "currency",
)
REQUIRED = ("order_id", "product_id", "quantity", "ordered_at")

# Stock codes that are charges, fees, adjustments or vouchers rather than goods (those of
# the UCI "Online Retail II" export, which follows a common back-office habit). Compared
# case-insensitively; a trailing "*" matches a prefix.
NON_PRODUCT_CODES: frozenset[str] = frozenset(
    {
        "POST",  # postage
        "DOT",  # dotcom postage
        "M",  # manual line
        "D",  # discount
        "C2",  # carriage
        "C3",
        "BANK CHARGES",
        "AMAZONFEE",
        "ADJUST",
        "ADJUST2",
        "B",  # bad debt adjustment
        "CRUK",  # charity commission
        "S",  # samples
        "PADS",
        "TEST001",
        "TEST002",
        "GIFT",
        "GIFT_0001_*",  # gift vouchers
    }
)

# Header spellings recognised without a --columns mapping, compared after lowercasing and
# removing spaces, underscores, hyphens and dots; earlier spellings win.
HEADER_ALIASES: Mapping[str, tuple[str, ...]] = {
    "order_id": (
        "orderid",
        "invoice",
        "invoiceno",
        "invoiceid",
        "invoicenumber",
        "ordernumber",
        "orderno",
    ),
    "product_id": ("productid", "stockcode", "sku", "productkey", "productcode", "itemid"),
    "quantity": ("quantity", "qty", "lineitemquantity"),
    "price": ("price", "unitprice", "itemprice", "lineitemprice"),
    "ordered_at": (
        "orderedat",
        "invoicedate",
        "orderdate",
        "createdat",
        "date",
        "datetime",
        "orderdatetime",
        "purchasedat",
        "purchasedate",
    ),
    "external_customer_id": ("externalcustomerid", "customerid", "clientid"),
    "email": ("email", "emailaddress", "customeremail"),
    "phone": ("phone", "phonenumber", "customerphone", "telephone", "mobile"),
    "product_name": ("productname", "description", "name", "title", "itemname"),
    "currency": ("currency", "currencycode"),
}

PROGRESS_EVERY = 10_000
MAX_LINE = 1024 * 1024
CHECK_CHUNK = 1024 * 1024
"""The longest physical line read, in characters (a real order line is a few hundred)."""


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order line as the file gives it, cleaned: ids and names stripped, ``13085.0``
    customer ids read as ``13085``, ``ordered_at`` in UTC, ``phone`` and ``email`` raw
    (normalise them with :mod:`recoms.identifiers`)."""

    line: int
    order_id: str
    product_id: ProductId
    quantity: Decimal
    price: Decimal | None
    ordered_at: datetime
    external_customer_id: str | None
    email: str | None
    phone: str | None
    product_name: str | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A well-formed line left out on purpose; ``reason`` is one of ``cancellation`` (an
    order id like ``C489449``), ``negative quantity`` (a return or stock adjustment on an
    ordinary order), ``zero quantity``, ``not a product`` (postage, fees, vouchers...) and
    ``zero price`` (zero or negative)."""

    line: int
    reason: str


def parse_columns(option: str) -> dict[str, str]:
    """Read ``order_id=Invoice,product_id=StockCode,...`` into ``{our name: file header}``.

    Headers may contain spaces (``external_customer_id=Customer ID``) but not commas.
    Raises ``InvalidRequest`` for unknown names, duplicates and items without ``=``.
    """
    mapping: dict[str, str] = {}
    for item in option.split(","):
        if not item.strip():
            continue
        name, sep, header = item.partition("=")
        name, header = name.strip(), header.strip()
        if not sep or not name or not header:
            raise InvalidRequest(
                f"bad column mapping {item.strip()!r}: expected NAME=Header, e.g. order_id=Invoice"
            )
        if name not in ORDER_FIELDS:
            raise InvalidRequest(
                f"unknown column name {name!r}; known names: {', '.join(ORDER_FIELDS)}"
            )
        if name in mapping:
            raise InvalidRequest(f"column name {name!r} is mapped twice")
        mapping[name] = header
    return mapping


def read_orders(
    path: Path,
    columns: Mapping[str, str] | None = None,
    *,
    non_product_codes: Collection[str] = NON_PRODUCT_CODES,
    encoding: str = "utf-8",
    day_first: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Iterator[OrderRow | Skipped | Rejected]:
    """Yield each data line of an order CSV (gzip or plain, told apart by content) in file order.

    ``columns`` maps our names (:data:`ORDER_FIELDS`) to the file's headers; names it leaves
    out are recognised by common spellings. ``line`` is the physical line where a record
    starts (the header is line 1); blank lines are passed over. ``progress`` gets the number
    of lines read since its previous call, every few thousand lines and at the end.

    Raises ``ImportFileError`` when the file cannot be read at all: missing, not gzip though
    it says so, required columns absent, not in ``encoding``. That can happen after lines
    were yielded (a bad byte deep in the file), so a caller commits only at the end.
    """
    exact_codes, code_prefixes = _code_matcher(non_product_codes)
    with _open_text(path, encoding) as text:
        header_line, delimiter = _header_line(text, path, encoding)
        decimal_comma = delimiter == ";"
        try:
            header = next(csv.reader([header_line], delimiter=delimiter))
        except csv.Error as exc:
            raise ImportFileError(f"{path.name}: line 1: {_csv_reason(exc)}") from None
        index = _map_columns(header, columns or {})
        width = max(index.values()) + 1

        i_order, i_product = index["order_id"], index["product_id"]
        i_quantity, i_date = index["quantity"], index["ordered_at"]
        i_price = index.get("price", -1)
        i_customer = index.get("external_customer_id", -1)
        i_email, i_phone = index.get("email", -1), index.get("phone", -1)
        i_name, i_currency = index.get("product_name", -1), index.get("currency", -1)

        lines = _BoundedLines(text)
        reader = csv.reader(lines, delimiter=delimiter)
        last_date_text: str | None = None
        last_date: datetime | None = None
        start = 2
        count = 0
        reported = 0
        try:
            while True:
                problem: str | None
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    # The reader starts afresh at the next record: only this one is lost.
                    row = []
                    problem = lines.problem or _csv_reason(exc)
                else:
                    problem = lines.problem
                # line_num counts the lines this reader consumed, after the header line.
                line, start = start, reader.line_num + 2
                lines.problem = None
                if problem is not None:
                    count += 1
                    yield Rejected(line, problem)
                    continue
                if not row:
                    continue
                count += 1
                if progress is not None and count - reported >= PROGRESS_EVERY:
                    progress(count - reported)
                    reported = count
                if len(row) < width:
                    yield Rejected(
                        line, f"the line has {len(row)} fields, the header has {len(header)}"
                    )
                    continue

                order_id = row[i_order].strip()
                if not order_id:
                    yield Rejected(line, "empty order id")
                    continue
                if len(order_id) > MAX_ID_LENGTH:
                    yield Rejected(line, TOO_LONG_ORDER)
                    continue
                product_id = row[i_product].strip()
                if not product_id:
                    yield Rejected(line, "empty product id")
                    continue
                if len(product_id) > MAX_ID_LENGTH:
                    yield Rejected(line, TOO_LONG_PRODUCT)
                    continue
                quantity = _decimal(row[i_quantity], decimal_comma)
                if quantity is None or quantity > MAX_QUANTITY:
                    yield Rejected(line, f"bad quantity {row[i_quantity]!r}")
                    continue
                price: Decimal | None = None
                if i_price >= 0 and row[i_price].strip():
                    price = _decimal(row[i_price], decimal_comma)
                    if price is None or price > MAX_AMOUNT:
                        yield Rejected(line, f"bad price {row[i_price]!r}")
                        continue
                date_text = row[i_date]
                # Lines of one order share a timestamp: parse each distinct text once.
                if date_text != last_date_text:
                    last_date_text, last_date = date_text, _parse_datetime(date_text, day_first)
                if last_date is None:
                    yield Rejected(line, f"bad date {date_text!r}")
                    continue

                if order_id[0] in "Cc" and order_id[1:].isdigit():
                    yield Skipped(line, "cancellation")
                    continue
                code = product_id.upper()
                if code in exact_codes or (code_prefixes and code.startswith(code_prefixes)):
                    yield Skipped(line, "not a product")
                    continue
                if quantity <= 0:
                    yield Skipped(line, "negative quantity" if quantity else "zero quantity")
                    continue
                if price is not None and price <= 0:
                    yield Skipped(line, "zero price")
                    continue

                customer = row[i_customer].strip() if i_customer >= 0 else ""
                if customer.endswith(".0") and _FLOAT_INTEGER.fullmatch(customer):
                    customer = customer.partition(".")[0]
                if len(customer) > MAX_ID_LENGTH:
                    yield Rejected(line, TOO_LONG_CUSTOMER)
                    continue
                currency = row[i_currency].strip().upper() if i_currency >= 0 else ""
                if currency and not _CURRENCY.fullmatch(currency):
                    yield Rejected(line, f"bad currency {row[i_currency]!r}")
                    continue
                yield OrderRow(
                    line,
                    order_id,
                    ProductId(product_id),
                    quantity,
                    price,
                    last_date,
                    customer or None,
                    (row[i_email].strip() or None) if i_email >= 0 else None,
                    (row[i_phone].strip() or None) if i_phone >= 0 else None,
                    (row[i_name].strip() or None) if i_name >= 0 else None,
                    currency or None,
                )
        except UnicodeDecodeError:
            raise _encoding_error(path, encoding) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(f"{path.name}: cannot read past line {start}: {exc}") from None
        if progress is not None and count > reported:
            progress(count - reported)


def _header_line(text: IO[str], path: Path, encoding: str) -> tuple[str, str]:
    """The header line (read at most :data:`MAX_LINE` characters) and its delimiter.

    Raises ``ImportFileError``: unreadable, empty, or a header longer than that."""
    try:
        header_line = text.readline(MAX_LINE)
    except UnicodeDecodeError:
        raise _encoding_error(path, encoding) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFileError(f"{path.name}: cannot read the header line: {exc}") from None
    if len(header_line) >= MAX_LINE and not header_line.endswith(("\n", "\r")):
        raise ImportFileError(
            f"{path.name}: line 1: the header line is longer than {MAX_LINE} characters"
        )
    if not header_line.strip():
        raise ImportFileError(f"{path.name}: the file is empty or has no header line")
    if "\x00" in header_line:
        raise ImportFileError(f"{path.name}: line 1: the header line holds a NUL byte")
    return header_line, _sniff_delimiter(header_line)


class _BoundedLines:
    """The file's lines for the csv reader, at most :data:`MAX_LINE` characters each.

    A longer line is skipped to its end and a line with a NUL byte is passed on without it;
    either leaves its reason in ``problem`` for the record being read (the csv reader asks
    for lines one record at a time), which the caller rejects and clears."""

    def __init__(self, text: IO[str]) -> None:
        self._readline = text.readline
        self.problem: str | None = None

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self._readline(MAX_LINE)
        if not line:
            raise StopIteration
        if len(line) >= MAX_LINE and not line.endswith(("\n", "\r")):
            self.problem = f"the line is longer than {MAX_LINE} characters"
            while (rest := self._readline(MAX_LINE)) and not rest.endswith(("\n", "\r")):
                pass
            return "\n"
        if "\x00" in line:
            self.problem = "the line holds a NUL byte"
            return line.replace("\x00", "")
        return line


def _csv_reason(error: csv.Error) -> str:
    """What the csv module refused, in the import's words."""
    if "field larger than field limit" in str(error):
        return f"a field is longer than {csv.field_size_limit()} characters"
    return f"unreadable CSV: {error}"


def check_orders(
    path: Path, columns: Mapping[str, str] | None = None, *, encoding: str = "utf-8"
) -> None:
    """Read the file through once, cheaply, without parsing its lines: raises what
    :func:`read_orders` would raise as ``ImportFileError`` (missing columns, an encoding
    error, a broken gzip), so that a caller writing as it reads can refuse the file first."""
    with _open_text(path, encoding) as text:
        header_line, delimiter = _header_line(text, path, encoding)
        try:
            header = next(csv.reader([header_line], delimiter=delimiter))
        except csv.Error as exc:
            raise ImportFileError(f"{path.name}: line 1: {_csv_reason(exc)}") from None
        _map_columns(header, columns or {})
        try:
            while text.read(CHECK_CHUNK):
                pass
        except UnicodeDecodeError:
            raise _encoding_error(path, encoding) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(f"{path.name}: cannot be read to its end: {exc}") from None


_FLOAT_INTEGER = re.compile(r"\d+\.0+")
_CURRENCY = re.compile(r"[A-Z]{3}")
TOO_LONG_ORDER = f"order id longer than {MAX_ID_LENGTH} characters"
TOO_LONG_PRODUCT = f"product id longer than {MAX_ID_LENGTH} characters"
TOO_LONG_CUSTOMER = f"customer id longer than {MAX_ID_LENGTH} characters"
_COMMA_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
_DOT_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+(,\d+)?")
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")


def _decimal(text: str, decimal_comma: bool) -> Decimal | None:
    """A finite number, or None. Decimal itself ignores surrounding whitespace.

    A comma followed by three digits is a thousands separator, unless the file is
    semicolon-separated (the European habit, where the comma is the decimal mark)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        text = text.strip()
        if decimal_comma and _DOT_THOUSANDS.fullmatch(text):
            text = text.replace(".", "").replace(",", ".")
        elif not decimal_comma and _COMMA_THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
        elif _DECIMAL_COMMA.fullmatch(text):
            text = text.replace(",", ".")
        else:
            return None
        value = Decimal(text)
    return value if value.is_finite() else None


_DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)
_MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


def _parse_datetime(text: str, day_first: bool) -> datetime | None:
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _DATE_FORMATS + (_DAY_FIRST if day_first else _MONTH_FIRST):
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _code_matcher(codes: Collection[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    exact = frozenset(code.strip().upper() for code in codes if not code.endswith("*"))
    prefixes = tuple(code.strip().upper()[:-1] for code in codes if code.endswith("*"))
    return exact, prefixes


def _header_key(header: str) -> str:
    return re.sub(r"[\s_.\-]+", "", header).lower()


def _map_columns(header: list[str], columns: Mapping[str, str]) -> dict[str, int]:
    """Column index of each of our names found: explicit mapping first, then aliases."""
    unknown = [name for name in columns if name not in ORDER_FIELDS]
    if unknown:
        raise InvalidRequest(
            f"unknown column names: {', '.join(unknown)}; known names: {', '.join(ORDER_FIELDS)}"
        )
    stripped = [cell.strip() for cell in header]
    folded = [cell.casefold() for cell in stripped]
    keys = [_header_key(cell) for cell in stripped]
    index: dict[str, int] = {}
    missing: list[str] = []
    for name, wanted in columns.items():
        wanted = wanted.strip()
        if wanted in stripped:
            index[name] = stripped.index(wanted)
        elif wanted.casefold() in folded:
            index[name] = folded.index(wanted.casefold())
        else:
            missing.append(f"{name} ({wanted})")
    taken = set(index.values())
    for name in ORDER_FIELDS:
        if name in index or name in columns:
            continue
        for alias in HEADER_ALIASES[name]:
            found = [i for i, key in enumerate(keys) if key == alias and i not in taken]
            if found:
                index[name] = found[0]
                taken.add(found[0])
                break
    missing += [name for name in REQUIRED if name not in index and name not in columns]
    if missing:
        raise ImportFileError(
            f"missing columns: {', '.join(missing)}; found headers: {', '.join(stripped)}"
            " (map them with --columns NAME=Header,...)"
        )
    return index


def _sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda delimiter: counts[delimiter])


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(2) == b"\x1f\x8b"


def _open_text(path: Path, encoding: str) -> IO[str]:
    codec = _codec(encoding)
    try:
        codecs.lookup(codec)
    except LookupError:
        raise ImportFileError(f"unknown encoding {encoding!r}") from None
    try:
        # The text wrapper returned takes ownership and closes it.
        binary = gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")  # noqa: SIM115
    except OSError as exc:
        raise ImportFileError(f"cannot open {path}: {exc.strerror or exc}") from None
    return io.TextIOWrapper(binary, encoding=codec, newline="")


def _codec(encoding: str) -> str:
    """UTF-8 spellings read with the codec that drops a byte order mark."""
    if encoding.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig"):
        return "utf-8-sig"
    return encoding


def _encoding_error(path: Path, encoding: str) -> ImportFileError:
    """Find the first line that does not decode: reading it again is fine on this rare path."""
    codec = _codec(encoding)
    with gzip.open(path, "rb") if _is_gzip(path) else path.open("rb") as raw:
        for number, data in enumerate(raw, start=1):
            try:
                data.decode(codec)
            except UnicodeDecodeError as exc:
                bad = data[exc.start : exc.start + 1].hex()
                return ImportFileError(
                    f"{path.name}: line {number} is not valid {encoding} (byte 0x{bad} at "
                    f"column {exc.start + 1}); save the file as UTF-8 or give its encoding "
                    "with --encoding"
                )
    return ImportFileError(f"{path.name}: the file is not valid {encoding}")
