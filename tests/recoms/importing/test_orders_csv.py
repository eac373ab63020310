"""Order CSV exports: column mapping, messy lines, encodings, gzip and the real UCI export."""

from __future__ import annotations

import gzip
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from recoms.domain import ProductId
from recoms.errors import ImportFileError, InvalidRequest
from recoms.importing.orders import MAX_LINE, OrderRow, Skipped, parse_columns, read_orders
from recoms.service import Rejected
from tests.recoms.peak_memory import peak_rss_mb

RETAIL = Path("/work/shared/data/online_retail_II_2009_2010.csv.gz")

UCI_HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"


def write(tmp_path: Path, text: str, name: str = "orders.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_uci_export_reads_without_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        UCI_HEADER
        + "489434,79323W, WHITE CHERRY LIGHTS ,12,2009-12-01 07:45:00,6.75,13085.0,UK\n"
        + '489435,22041,"RECORD FRAME 7"" SINGLE",48,2009-12-01 07:46:00,2.1,,United Kingdom\n',
    )
    first, second = list(read_orders(path))
    assert first == OrderRow(
        line=2,
        order_id="489434",
        product_id=ProductId("79323W"),
        quantity=Decimal(12),
        price=Decimal("6.75"),
        ordered_at=datetime(2009, 12, 1, 7, 45, tzinfo=UTC),
        external_customer_id="13085",
        email=None,
        phone=None,
        product_name="WHITE CHERRY LIGHTS",
        currency=None,
    )
    # An anonymous line is a purchase all the same.
    assert isinstance(second, OrderRow)
    assert second.external_customer_id is None
    assert second.product_name == 'RECORD FRAME 7" SINGLE'


def test_skip_reasons(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        UCI_HEADER
        + "C489449,22087,PAPER BUNTING,-12,2009-12-01 10:33:00,2.95,16321,Australia\n"
        + "489439,POST,POSTAGE,3,2009-12-01 09:28:00,18.0,12682,France\n"
        + "489440,m,Manual,1,2009-12-01 09:28:00,1.0,,France\n"
        + "489441,gift_0001_20,Dotcomgiftshop Gift Voucher,1,2009-12-01 09:28:00,17.0,,UK\n"
        + "489464,21733,85123a mixed,-96,2009-12-01 10:52:00,0.0,,United Kingdom\n"
        + "489465,21734,free sample,2,2009-12-01 10:52:00,0.00,,United Kingdom\n"
        + "A506401,B,Adjust bad debt,1,2010-04-29 13:36:00,-53594.36,,United Kingdom\n"
        + "489466,DCGS0058,MISO PRETTY  GUM,1,2009-12-01 10:52:00,0.83,,United Kingdom\n",
    )
    items = list(read_orders(path))
    assert [(item.line, getattr(item, "reason", None)) for item in items] == [
        (2, "cancellation"),
        (3, "not a product"),
        (4, "not a product"),
        (5, "not a product"),
        (6, "negative quantity"),
        (7, "zero price"),
        (8, "not a product"),
        (9, None),
    ]
    assert all(isinstance(item, Skipped) for item in items[:-1])
    # Codes of goods that merely look odd are products.
    assert isinstance(items[-1], OrderRow)
    assert items[-1].product_id == "DCGS0058"


def test_own_non_product_codes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        UCI_HEADER
        + "1,SHIP-EU,Shipping,1,2010-01-01,5,,\n"
        + "2,POST,Poster,1,2010-01-01,5,,\n"
        + "3,FEE-01,Fee,1,2010-01-01,5,,\n",
    )
    items = list(read_orders(path, non_product_codes={"ship-eu", "FEE-*"}))
    assert [type(item) for item in items] == [Skipped, OrderRow, Skipped]


def test_broken_lines_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        UCI_HEADER
        + "1,A1,Cup,two,2010-01-01 10:00,1.5,,\n"
        + "2,A1,Cup,1,2010-01-01 10:00,1.5.0,,\n"
        + "3,A1,Cup,1,yesterday,1.5,,\n"
        + "4, ,Cup,1,2010-01-01 10:00,1.5,,\n"
        + ",A1,Cup,1,2010-01-01 10:00,1.5,,\n"
        + "\n"
        + "6,A1,Cup\n"
        + "7,A1,Cup,NaN,2010-01-01 10:00,1.5,,\n"
        + "8,A1,Cup,1,2010-13-01 10:00,1.5,,\n"
        + "9,A1,Cup,1,2010-01-01 10:00,1.5,,\n",
    )
    items = list(read_orders(path))
    assert items[:-1] == [
        Rejected(2, "bad quantity 'two'"),
        Rejected(3, "bad price '1.5.0'"),
        Rejected(4, "bad date 'yesterday'"),
        Rejected(5, "empty product id"),
        Rejected(6, "empty order id"),
        Rejected(8, "the line has 3 fields, the header has 8"),
        Rejected(9, "bad quantity 'NaN'"),
        Rejected(10, "bad date '2010-13-01 10:00'"),
    ]
    assert isinstance(items[-1], OrderRow)
    assert items[-1].line == 11


def test_line_numbers_follow_quoted_newlines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        UCI_HEADER
        + '1,A1,"Cup\nwith a saucer",1,2010-01-01 10:00,1.5,,\n'
        + "2,A2,Plate,x,2010-01-01 10:00,1.5,,\n",
    )
    first, second = list(read_orders(path))
    assert isinstance(first, OrderRow)
    assert first.product_name == "Cup\nwith a saucer"
    assert second == Rejected(4, "bad quantity 'x'")


def test_semicolons_decimal_commas_and_dotted_dates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "order_number;sku;qty;unit price;order date;email;phone;currency;title\n"
        "1001;SKU-1;2;1.234,50;01.12.2010 08:26;Olena@Example.com ;+380 50 111 0001;uah;Mug\n"
        "1002;SKU-2;1;6,95;2010-12-01T09:00:00+02:00;;;eur;\n"
        "1003;SKU-3;1;1,234;2010-12-01;;;eur;\n",
    )
    first, second, third = list(read_orders(path))
    assert isinstance(first, OrderRow)
    assert isinstance(second, OrderRow)
    assert isinstance(third, OrderRow)
    assert third.price == Decimal("1.234")
    assert first.order_id == "1001"
    assert first.price == Decimal("1234.50")
    assert first.product_id == "SKU-1"
    assert first.ordered_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    assert first.email == "Olena@Example.com"
    assert first.phone == "+380 50 111 0001"
    assert first.currency == "UAH"
    assert first.product_name == "Mug"
    assert second.price == Decimal("6.95")
    # A time with an offset is returned in UTC.
    assert second.ordered_at == datetime(2010, 12, 1, 7, 0, tzinfo=UTC)
    assert second.email is None
    assert second.product_name is None


def test_thousands_separators_and_tabs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Order ID\tProduct Key\tQuantity\tPrice\tcreated_at\n"
        '7\tP\t1\t"1,234.50"\t2010-12-01\n'
        "8\tP\t1\t1,5\t12/1/2010 8:26\n"
        "9\tP\t1\t1,234\t2010-12-01\n",
    )
    first, second, third = list(read_orders(path))
    assert isinstance(first, OrderRow)
    assert isinstance(second, OrderRow)
    assert isinstance(third, OrderRow)
    assert third.price == Decimal(1234)
    assert first.price == Decimal("1234.50")
    assert first.ordered_at == datetime(2010, 12, 1, tzinfo=UTC)
    assert second.price == Decimal("1.5")
    assert second.ordered_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)


def test_day_first_slashed_dates(tmp_path: Path) -> None:
    path = write(tmp_path, "order_id,product_id,quantity,ordered_at\n1,P,1,12/1/2010 8:26\n")
    [row] = read_orders(path, day_first=True)
    assert isinstance(row, OrderRow)
    assert row.ordered_at == datetime(2010, 1, 12, 8, 26, tzinfo=UTC)


def test_explicit_mapping_wins(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Name,Lineitem sku,Lineitem quantity,Paid at,Id,Total\n"
        "#1001,SKU-1,2,2010-12-01 08:26:00 +0200,55501,30.00\n",
    )
    columns = parse_columns("order_id=Name,product_id=Lineitem sku,ordered_at=paid at")
    [row] = read_orders(path, columns)
    assert isinstance(row, OrderRow)
    assert (row.order_id, row.product_id, row.quantity) == ("#1001", "SKU-1", Decimal(2))
    assert row.ordered_at == datetime(2010, 12, 1, 6, 26, tzinfo=UTC)
    # "Name" went to order_id, so it is not also read as the product's name.
    assert row.product_name is None


def test_missing_columns_name_what_was_found(tmp_path: Path) -> None:
    path = write(tmp_path, "Invoice,Article,Quantity,When\n1,A,1,2010-01-01\n")
    with pytest.raises(ImportFileError) as error:
        list(read_orders(path))
    assert error.value.message == (
        "missing columns: product_id, ordered_at; found headers: Invoice, Article, Quantity, "
        "When (map them with --columns NAME=Header,...)"
    )


def test_mapped_header_absent(tmp_path: Path) -> None:
    path = write(tmp_path, UCI_HEADER)
    with pytest.raises(ImportFileError, match=r"missing columns: product_id \(SKU\)"):
        list(read_orders(path, {"product_id": "SKU"}))


def test_parse_columns() -> None:
    assert parse_columns(
        "order_id=Invoice, product_id=StockCode,external_customer_id=Customer ID"
    ) == {"order_id": "Invoice", "product_id": "StockCode", "external_customer_id": "Customer ID"}
    with pytest.raises(InvalidRequest, match="unknown column name 'customer'"):
        parse_columns("customer=Customer ID")
    with pytest.raises(InvalidRequest, match="expected NAME=Header"):
        parse_columns("order_id:Invoice")
    with pytest.raises(InvalidRequest, match="mapped twice"):
        parse_columns("order_id=Invoice,order_id=Order")
    with pytest.raises(InvalidRequest, match="expected NAME=Header"):
        parse_columns("order_id=")


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    text = UCI_HEADER + "1,A1,Cup,1,2010-01-01 10:00,1.5,,\n" * 3
    text += "2,A2,Café crème,1,2010-01-01 10:00,1.5,,\n"
    path = write(tmp_path, text, encoding="cp1252")
    with pytest.raises(ImportFileError) as error:
        list(read_orders(path))
    assert "line 5 is not valid utf-8 (byte 0xe9 at column 9)" in error.value.message
    # Told the encoding, the same file reads.
    rows = list(read_orders(path, encoding="cp1252"))
    assert isinstance(rows[-1], OrderRow)
    assert rows[-1].product_name == "Café crème"


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff" + UCI_HEADER + "1,A1,Кружка,1,2010-01-01 10:00,1.5,,\n")
    [row] = read_orders(path)
    assert isinstance(row, OrderRow)
    assert row.product_name == "Кружка"


def test_gzip_recognised_by_content(tmp_path: Path) -> None:
    data = gzip.compress((UCI_HEADER + "1,A1,Cup,1,2010-01-01 10:00,1.5,,\n").encode())
    for name in ("orders.csv.gz", "orders.csv"):
        (tmp_path / name).write_bytes(data)
        [row] = read_orders(tmp_path / name)
        assert isinstance(row, OrderRow)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="cannot open"):
        list(read_orders(tmp_path / "absent.csv"))
    with pytest.raises(ImportFileError, match="empty"):
        list(read_orders(write(tmp_path, "")))
    (tmp_path / "fake.csv.gz").write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(ImportFileError, match=r"fake\.csv\.gz: cannot read the header line"):
        list(read_orders(tmp_path / "fake.csv.gz"))
    truncated = gzip.compress((UCI_HEADER + "1,A1,Cup,1,2010-01-01,1.5,,\n" * 2000).encode())
    (tmp_path / "cut.csv.gz").write_bytes(truncated[: len(truncated) // 2])
    with pytest.raises(ImportFileError, match="cannot read past line"):
        list(read_orders(tmp_path / "cut.csv.gz"))


def test_progress_counts_every_line(tmp_path: Path) -> None:
    path = write(tmp_path, UCI_HEADER + "1,A1,Cup,1,2010-01-01 10:00,1.5,,\n" * 25_001)
    calls: list[int] = []
    rows = list(read_orders(path, progress=calls.append))
    assert len(rows) == 25_001
    assert calls == [10_000, 10_000, 5_001]


@pytest.mark.skipif(not RETAIL.exists(), reason="the shared UCI export is not on this machine")
def test_first_lines_of_the_real_export(tmp_path: Path) -> None:
    with gzip.open(RETAIL, "rt", encoding="utf-8", newline="") as source:
        head = "".join(itertools.islice(source, 2001))
    path = tmp_path / "slice.csv.gz"
    path.write_bytes(gzip.compress(head.encode()))
    items = list(read_orders(path))
    assert len(items) == 2000
    reasons: dict[str, int] = {}
    for item in items:
        key = "order line" if isinstance(item, OrderRow) else item.reason
        reasons[key] = reasons.get(key, 0) + 1
    assert reasons == {
        "order line": 1907,
        "cancellation": 84,
        "not a product": 5,
        "negative quantity": 4,
    }
    rows = [item for item in items if isinstance(item, OrderRow)]
    assert sum(row.external_customer_id is None for row in rows) > 0
    assert rows[2].product_name == "WHITE CHERRY LIGHTS"


def test_a_header_without_a_line_break_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "endless.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(b"order_id,product_id,")
        chunk = b"x" * 2**20
        for _ in range(1024):  # 1 GB of header once unpacked, about 1 MB on disk
            out.write(chunk)
    assert path.stat().st_size < 2 * 2**20
    script = (
        "from pathlib import Path\n"
        "from recoms.errors import ImportFileError\n"
        "from recoms.importing.orders import read_orders\n"
        "try:\n"
        f"    list(read_orders(Path({str(path)!r})))\n"
        "except ImportFileError as error:\n"
        "    print(error.message)\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    )
    peak, printed = peak_rss_mb(script)
    assert "line 1: the header line is longer than" in printed
    assert peak < 300, f"{peak:.0f} MB"
    with pytest.raises(ImportFileError) as error:
        list(read_orders(path))
    assert error.value.message == (
        f"endless.csv.gz: line 1: the header line is longer than {MAX_LINE} characters"
    )


def test_a_header_field_over_the_csv_limit_is_a_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'order_id,"' + "h" * 200_000 + '"\n1,2\n')
    with pytest.raises(ImportFileError) as error:
        list(read_orders(path))
    assert error.value.message.startswith("orders.csv: line 1: ")
    assert "\n" not in error.value.message


def test_an_oversized_field_or_a_nul_byte_rejects_that_line_only(tmp_path: Path) -> None:
    good = "1,A1,Cup,1,2010-01-01 10:00,1.5,,\n"
    path = write(
        tmp_path,
        UCI_HEADER
        + good
        + f'2,A1,"{"d" * 200_000}",1,2010-01-01 10:00,1.5,,\n'
        + good.replace("1,A1", "3,A1")
        + "4,A\x001,Cup,1,2010-01-01 10:00,1.5,,\n"
        + "5,"
        + "z" * (MAX_LINE + 10)
        + "\n"
        + good.replace("1,A1", "6,A1"),
    )
    items = list(read_orders(path))
    assert [(type(item).__name__, item.line) for item in items] == [
        ("OrderRow", 2),
        ("Rejected", 3),
        ("OrderRow", 4),
        ("Rejected", 5),
        ("Rejected", 6),
        ("OrderRow", 7),
    ]
    assert items[1] == Rejected(3, "a field is longer than 131072 characters")
    assert items[3] == Rejected(5, "the line holds a NUL byte")
    assert items[4] == Rejected(6, f"the line is longer than {MAX_LINE} characters")


def test_the_encoding_error_names_the_option_that_fixes_it(tmp_path: Path) -> None:
    path = write(tmp_path, UCI_HEADER + "1,A1,Кава,1,2010-01-01 10:00,1.5,,\n", encoding="cp1251")
    with pytest.raises(ImportFileError, match="give its encoding with --encoding"):
        list(read_orders(path))
