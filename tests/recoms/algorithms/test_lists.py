"""Each algorithm on the synthetic grocery, where the right answer is known."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from recoms.algorithms import CatalogView, ContactHistory, Model, Purchase, recommend
from recoms.algorithms.catalog import category_key
from recoms.domain import Algorithm, DataSource, DataSourceId, DataSourceParams, ProductId
from tests.recoms.algorithms import shop
from tests.recoms.algorithms.shop import ask

BAKERY = category_key(shop.BAKERY)


# --- also bought ---------------------------------------------------------------------------


def test_also_bought_ranks_the_partner_above_the_bestseller(
    model: Model, catalog: CatalogView
) -> None:
    # Water is in more baskets with bread than anything but butter, and in most baskets
    # overall: raw co-occurrence would put it near the top; normalised, butter wins.
    ranked = ask(model, catalog, Algorithm.ALSO_BOUGHT, products=("bread",))
    assert ranked[0] == "butter"
    assert ranked.index(ProductId("butter")) < ranked.index(ProductId("water"))


def test_also_bought_sums_over_the_given_products(model: Model, catalog: CatalogView) -> None:
    # Cheese goes with baguette; with baguette and bread in the cart, both partners lead.
    ranked = ask(model, catalog, Algorithm.ALSO_BOUGHT, products=("baguette", "bread"), limit=2)
    assert set(ranked) == set(shop.ids("butter", "cheese"))


def test_also_bought_of_an_unordered_product_falls_back_to_its_category(
    model: Model, catalog: CatalogView
) -> None:
    # Nobody bought brioche: its category's bestsellers come first, then the shop's.
    ranked = ask(model, catalog, Algorithm.ALSO_BOUGHT, products=("brioche",), limit=5)
    assert ranked == shop.ids("bread", "baguette", "rye", "cake", "water")


# --- personal ------------------------------------------------------------------------------


CUSTOMER_1 = shop.bought(
    ("bread", 60),
    ("butter", 60),
    ("bread", 40),
    ("butter", 40),
    ("water", 40),
    ("bread", 20),
    ("butter", 20),
    ("bread", 5),
    ("water", 5),
)


def test_personal_puts_what_the_customer_buys_again_first(
    model: Model, catalog: CatalogView
) -> None:
    ranked = ask(model, catalog, Algorithm.PERSONAL, history=CUSTOMER_1, limit=3)
    assert ranked[:2] == shop.ids("bread", "butter")


def test_personal_prefers_recent_purchases(model: Model, catalog: CatalogView) -> None:
    # Two purchases each: the juice was bought lately, the cheese long ago.
    history = shop.bought(("cheese", 400), ("cheese", 390), ("juice", 3), ("juice", 2))
    ranked = ask(model, catalog, Algorithm.PERSONAL, history=history, limit=2)
    assert ranked[0] == "juice"


def test_personal_counts_lines_of_one_order_as_one_purchase(
    model: Model, catalog: CatalogView
) -> None:
    # Cheese twice in each of two orders is still two purchases, fewer than the juice's three.
    history = shop.bought(
        ("cheese", 20), ("cheese", 20), ("cheese", 10), ("cheese", 10),
        ("juice", 30), ("juice", 20), ("juice", 10),
    )  # fmt: skip
    once = shop.bought(("cheese", 20), ("cheese", 10), ("juice", 30), ("juice", 20), ("juice", 10))
    ranked = ask(model, catalog, Algorithm.PERSONAL, history=history, limit=5)
    assert ranked == ask(model, catalog, Algorithm.PERSONAL, history=once, limit=5)
    assert ranked[0] == "juice"


def test_personal_reads_times_without_a_zone_as_utc(model: Model, catalog: CatalogView) -> None:
    history = shop.bought(("cheese", 400), ("juice", 3), ("juice", 2), ("bread", 40))
    naive = ContactHistory(
        purchases=[
            dataclasses.replace(purchase, ordered_at=purchase.ordered_at.replace(tzinfo=None))
            for purchase in history.purchases
        ]
    )
    ranked = ask(model, catalog, Algorithm.PERSONAL, history=naive, limit=5)
    assert ranked == ask(model, catalog, Algorithm.PERSONAL, history=history, limit=5)


def test_personal_without_purchased_offers_what_similar_customers_bought(
    model: Model, catalog: CatalogView
) -> None:
    # Customers who bought baguette also bought cheese; nothing of theirs goes with water.
    history = shop.bought(("baguette", 10))
    ranked = ask(model, catalog, Algorithm.PERSONAL, history=history, exclude_purchased=True)
    assert ProductId("baguette") not in ranked
    assert ranked[0] == "cheese"


def test_personal_exclude_purchased_drops_everything_bought(
    model: Model, catalog: CatalogView
) -> None:
    ranked = ask(
        model, catalog, Algorithm.PERSONAL, history=CUSTOMER_1, exclude_purchased=True, limit=50
    )
    assert ranked
    assert not set(ranked) & {"bread", "butter", "water"}


def test_personal_purchased_only_is_the_repeat_ranking_alone(
    model: Model, catalog: CatalogView
) -> None:
    # The repeat part of the personal list, in its order, and nothing else: no similar
    # customers' items, no bestsellers to fill it.
    ranked = ask(
        model, catalog, Algorithm.PERSONAL, history=CUSTOMER_1, purchased_only=True, limit=50
    )
    assert ranked == shop.ids("bread", "butter", "water")
    full = ask(model, catalog, Algorithm.PERSONAL, history=CUSTOMER_1, limit=2)
    assert ranked[:2] == full
    assert ask(model, catalog, Algorithm.PERSONAL, purchased_only=True) == []
    visitor = ContactHistory(cart=shop.ids("baguette"))
    assert ask(model, catalog, Algorithm.PERSONAL, history=visitor, purchased_only=True) == []


def test_personal_counts_the_cart_and_views(model: Model, catalog: CatalogView) -> None:
    # A visitor with baguette in the cart and nothing bought yet gets its partner.
    ranked = ask(
        model, catalog, Algorithm.PERSONAL, history=ContactHistory(cart=shop.ids("baguette"))
    )
    assert ranked[0] in ("cheese", "baguette")
    assert ProductId("cheese") in ranked[:3]
    viewed = ask(
        model, catalog, Algorithm.PERSONAL, history=ContactHistory(viewed=shop.ids("juice"))
    )
    assert viewed[0] == "water"


def test_personal_for_a_contact_whose_purchases_are_all_unknown_gets_bestsellers(
    model: Model, catalog: CatalogView
) -> None:
    history = ContactHistory(purchases=[Purchase(ProductId("ghost"), shop.NOW)])
    assert ask(model, catalog, Algorithm.PERSONAL, history=history, limit=2) == shop.ids(
        "water", "butter"
    )


# --- bestsellers ---------------------------------------------------------------------------


def test_bestsellers_count_distinct_orders_in_the_window(
    model: Model, catalog: CatalogView
) -> None:
    # The cake's only order (two lines) is 200 days old: outside a 90-day window it ranks
    # after everything ordered lately, and it never counts twice.
    ranked = ask(model, catalog, Algorithm.BESTSELLERS, limit=50)
    assert ranked[:3] == shop.ids("water", "butter", "bread")
    assert ranked[-1] == "cake"
    recent = ask(model, catalog, Algorithm.BESTSELLERS, window_days=7, limit=3)
    # In the last week: water 5 orders; bread, butter 2 each (ties by all-time orders).
    assert recent == shop.ids("water", "butter", "bread")


def test_bestsellers_of_a_category(model: Model, catalog: CatalogView) -> None:
    assert ask(model, catalog, Algorithm.BESTSELLERS, category="Food > Dairy") == shop.ids(
        "butter", "cheese"
    )
    bakery = ask(model, catalog, Algorithm.BESTSELLERS, category="bakery", limit=50)
    assert bakery == shop.ids("bread", "baguette", "rye", "cake")
    food = ask(model, catalog, Algorithm.BESTSELLERS, category="food", limit=50)
    assert set(food) == set(bakery) | {"butter", "cheese"}
    assert ask(model, catalog, Algorithm.BESTSELLERS, category="Toys") == []


def test_bestsellers_window_ends_at_the_last_order(catalog: CatalogView) -> None:
    # A demo on old orders: asked a year after the last order, the window still has them.
    built = shop.model(view=catalog)
    later = recommend(
        built,
        catalog,
        DataSource(DataSourceId(2), "b", Algorithm.BESTSELLERS, DataSourceParams(limit=1)),
        history=None,
        now=shop.NOW + timedelta(days=365),
    )
    assert later == shop.ids("water")


# --- upsell --------------------------------------------------------------------------------


def test_upsell_offers_pricier_products_of_the_category_first(
    model: Model, catalog: CatalogView
) -> None:
    ranked = ask(model, catalog, Algorithm.YOU_MAY_ALSO_LIKE, products=("bread",), limit=5)
    # Bread costs 2.00; rye 2.60, baguette 2.20 and brioche 2.90 are bakery within x1.5;
    # cake (9.00) is too dear, sourdough out of stock; then the complement, butter.
    assert set(ranked[:3]) == set(shop.ids("rye", "baguette", "brioche"))
    assert ranked[3] == "butter"
    assert ProductId("cake") not in ranked[:3]


def test_upsell_never_offers_a_cheaper_product_of_the_category(
    model: Model, catalog: CatalogView
) -> None:
    # Brioche (2.90) is the dearest loaf: the cake (9.00, beyond the band) is the only
    # bakery product on its list; the rest are the shop's bestsellers of other kinds.
    ranked = ask(model, catalog, Algorithm.YOU_MAY_ALSO_LIKE, products=("brioche",), limit=50)
    assert ranked
    bakery = [pid for pid in ranked if catalog.categories[catalog.index[pid]] == BAKERY]
    assert bakery == shop.ids("cake")


# --- alternatives --------------------------------------------------------------------------


def test_alternatives_of_an_out_of_stock_item_are_in_stock_alike_and_similar_in_price(
    model: Model, catalog: CatalogView
) -> None:
    # Sourdough (2.40, bakery) is out of stock.
    ranked = ask(model, catalog, Algorithm.ALTERNATIVES, products=("sourdough",))
    assert ranked
    for pid in ranked:
        index = catalog.index[pid]
        assert catalog.in_stock[index]
        assert catalog.categories[index] == BAKERY
        assert 0.7 * 2.40 <= catalog.price[index] <= 1.5 * 2.40
    # The loaves share words with "Sourdough bread loaf" and come before the baguette.
    assert set(ranked[:3]) == set(shop.ids("bread", "rye", "brioche"))
    assert ProductId("cake") not in ranked


def test_alternatives_respect_the_price_band(model: Model, catalog: CatalogView) -> None:
    ranked = ask(
        model,
        catalog,
        Algorithm.ALTERNATIVES,
        products=("bread",),
        price_ratio_min=1.0,
        price_ratio_max=1.2,
    )
    # Within 2.00-2.40 only the baguette (2.20); fill-ins come from the bakery's bestsellers.
    assert ranked[0] == "baguette"


def test_alternatives_without_categories_use_content(catalog: CatalogView) -> None:
    plain = [dataclasses.replace(product, category=()) for product in shop.PRODUCTS]
    view = shop.catalog(plain)
    built = shop.model(view=view)
    ranked = recommend(
        built,
        view,
        DataSource(DataSourceId(5), "alt", Algorithm.ALTERNATIVES, DataSourceParams()),
        history=None,
        products=shop.ids("bread"),
        now=shop.NOW,
    )
    # Without categories, "bread loaf" words make the kind: the in-stock loaves.
    assert set(ranked) == set(shop.ids("rye", "brioche", "baguette"))


# --- curated -------------------------------------------------------------------------------


def test_curated_list_keeps_its_order_and_drops_what_cannot_be_offered(
    model: Model, catalog: CatalogView
) -> None:
    ranked = recommend(
        model,
        catalog,
        DataSource(
            DataSourceId(6),
            "picks",
            Algorithm.OTHER,
            DataSourceParams(
                product_ids=tuple(shop.ids("cheese", "milk", "ghost", "juice", "cheese"))
            ),
        ),
        history=None,
        now=shop.NOW,
    )
    assert ranked == shop.ids("cheese", "juice")
