"""Whatever the product data (long, empty, HTML, emoji, odd prices and URLs), every card,
caption, staff text and callback fits Telegram's limits and is well-formed HTML."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiogram.utils.i18n import I18n
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards import CAPTION_LIMIT, TEXT_LIMIT, render_card, tg_len
from bot.keyboards.callbacks import ListCB, StaffCB
from bot.keyboards.cards import card_keyboard
from bot.ports import Availability, CustomerProfile, ListKind, OrderSummary, ProductCard
from bot.refs import ProductRefs
from bot.storage import SqlBotStore, open_bot_database
from bot.storage.database import migrate
from bot.views import compact_list_text, profile_text
from tests.bot.telegram import CALLBACK_LIMIT, parse_html

# Text with everything that breaks naive code: HTML specials, entities, emoji (two UTF-16
# units each), combining marks, right-to-left text, control characters.
nasty_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            ["<", ">", "&", '"', "&amp;", "<b>", "</i>", "😀", "👨‍👩‍👧", "\u0301", "\n"]
        ),
    ),
    max_size=1500,
).map("".join)
short_text = st.text(max_size=60)
prices = st.one_of(
    st.none(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=Decimal(0), max_value=Decimal("1e12"), places=2),
)
currencies = st.one_of(st.none(), st.sampled_from(["EUR", "UAH", "USD", "JPY"]), short_text)
urls = st.one_of(
    st.just(""),
    st.just("https://shop.example/p/1?a=1&b=<2>"),
    st.builds(lambda path: "https://shop.example/" + path, nasty_text),
    short_text,
)
product_ids = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True),
    st.text(min_size=1, max_size=400),
)
cards = st.builds(
    ProductCard,
    id=product_ids,
    name=nasty_text,
    url=urls,
    image=urls,
    price=prices,
    old_price=prices,
    currency=currencies,
    brand=nasty_text,
    availability=st.sampled_from(Availability),
    description=nasty_text,
    category=st.tuples(short_text),
)
locales = st.sampled_from(["en", "uk"])


@pytest.fixture(scope="module")
def context(i18n: I18n) -> Iterator[I18n]:
    with i18n.context():
        yield i18n


def assert_fits(html: str, limit: int) -> None:
    assert tg_len(html) <= limit, tg_len(html)  # even before Telegram strips the tags
    visible, errors = parse_html(html)
    assert not errors, (errors, html[:500])
    assert visible.strip()


@settings(max_examples=300, deadline=None)
@given(card=cards, locale=locales, photo=st.booleans())
def test_every_card_fits_and_is_well_formed(
    context: I18n, card: ProductCard, locale: str, photo: bool
) -> None:
    with context.use_locale(locale):
        rendered = render_card(card, title="🔥 Popular now", locale=locale, photo=photo)
    assert_fits(rendered.text, CAPTION_LIMIT if rendered.photo else TEXT_LIMIT)
    if rendered.photo is not None:
        assert rendered.photo.startswith(("http://", "https://"))


def test_a_huge_card_keeps_its_name_price_and_stock(context: I18n) -> None:
    card = ProductCard(
        id="x",
        name="<Tom & Jerry> " * 200,
        image="https://shop.example/x.jpg",
        price=Decimal("1234.5"),
        old_price=Decimal("2000"),
        currency="UAH",
        brand="&" * 500,
        availability=Availability.OUT_OF_STOCK,
        description="<b>" * 2000,
    )
    with context.use_locale("uk"):
        rendered = render_card(card, title="Хіти", locale="uk")
    visible = parse_html(rendered.text)[0]
    assert tg_len(rendered.text) <= CAPTION_LIMIT
    assert "<Tom & Jerry>" in visible
    assert "1\xa0234,50\xa0₴" in visible  # Babel's Ukrainian format, no-break spaces
    assert "<s>2\xa0000,00\xa0₴</s> <b>1\xa0234,50\xa0₴</b>" in rendered.text
    assert "Немає в наявності" in visible
    assert visible.rstrip().endswith("…")


def test_prices_follow_the_users_locale(context: I18n) -> None:
    card = ProductCard(
        id="m", name="Mug", price=Decimal("28"), old_price=Decimal("46"), currency="EUR"
    )
    with context.use_locale("en"):
        english = parse_html(render_card(card, title="t", locale="en").text)[0]
    with context.use_locale("uk"):
        ukrainian = parse_html(render_card(card, title="t", locale="uk").text)[0]
    assert "€46.00 €28.00" in english
    assert "46,00\xa0EUR 28,00\xa0EUR" in ukrainian


@pytest.fixture
async def refs() -> AsyncIterator[ProductRefs]:
    database = open_bot_database("sqlite+aiosqlite:///:memory:")
    await migrate(database)
    try:
        yield ProductRefs(SqlBotStore(database.sessions))
    finally:
        await database.dispose()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(card=cards, kind=st.sampled_from(list(ListKind)), page=st.integers(0, 49))
async def test_every_callback_fits_64_bytes_and_finds_its_product(
    context: I18n, refs: ProductRefs, card: ProductCard, kind: ListKind, page: int
) -> None:
    card_ref = await refs.encode(card.id)
    assert await refs.decode(card_ref) == card.id
    list_ref = await refs.encode(card.id)
    with context.use_locale("uk"):
        markup = card_keyboard(
            card,
            kind=kind,
            page=page,
            total=50,
            list_ref=list_ref,
            card_ref=card_ref,
            utm_source="telegram",
            utm_medium="bot",
        )
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data is not None:
                assert 1 <= len(button.callback_data.encode()) <= CALLBACK_LIMIT
                if button.callback_data.startswith("l:"):
                    unpacked = ListCB.unpack(button.callback_data)
                    assert await refs.decode(unpacked.ref) == card.id
            if button.url is not None:
                assert button.url.startswith(("http://", "https://"))
                assert "utm_campaign=" in button.url
    assert len(StaffCB(action="s", contact=2**63 - 1, code="y").pack().encode()) <= CALLBACK_LIMIT


@settings(max_examples=100, deadline=None)
@given(
    name=nasty_text,
    email=nasty_text,
    external=nasty_text,
    numbers=st.lists(nasty_text, max_size=8),
    product_lists=st.lists(st.lists(product_ids, max_size=30), max_size=8),
    listed=st.lists(cards, max_size=12),
    locale=locales,
)
def test_staff_texts_fit_and_are_well_formed(
    context: I18n,
    name: str,
    email: str,
    external: str,
    numbers: list[str],
    product_lists: list[list[str]],
    listed: list[ProductCard],
    locale: str,
) -> None:
    profile = CustomerProfile(
        contact_id=2**63 - 1,
        name=name,
        email=email,
        phone="+380501110001",
        external_id=external,
        telegram_user_id=1,
        orders=tuple(
            OrderSummary(
                number=n,
                ordered_at=datetime.now(UTC),
                product_ids=tuple(p),
                total=Decimal("1e9"),
                currency="EUR",
            )
            for n, p in zip(numbers, product_lists, strict=False)
        ),
        cart=tuple(pid for products in product_lists for pid in products),
    )
    with context.use_locale(locale):
        assert_fits(profile_text(profile, locale), TEXT_LIMIT)
        assert_fits(compact_list_text(ListKind.NEW_FOR_YOU, profile, listed, locale), TEXT_LIMIT)
