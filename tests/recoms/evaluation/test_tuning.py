"""Self-tuning: it finds the regime a synthetic shop was built with, its lists then beat the
defaults on the shop's next month, the same orders give the same choice, and a shop too new
to hold anything out keeps the defaults and is told so."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from recoms.algorithms import DEFAULTS, OrderHistory
from recoms.evaluation import synthetic
from recoms.evaluation.tuning import (
    ALSO_BOUGHT,
    BESTSELLERS,
    PERSONAL,
    PERSONAL_NEW,
    Holdout,
    Tuning,
    tune,
)
from tests.recoms.algorithms import shop

LISTS = (PERSONAL, PERSONAL_NEW, ALSO_BOUGHT)


def split(history: OrderHistory, days: int) -> tuple[OrderHistory, Holdout]:
    """What the shop knows a month before the end, and its next month to score lists on."""
    cut = synthetic.START + timedelta(days=days - 30)
    return synthetic.until(history, cut), Holdout(history, cut, customers=10**6, baskets=10**6)


@pytest.fixture(scope="module")
def grocery() -> tuple[Tuning, Holdout]:
    past, future = split(synthetic.grocery(seed=1), synthetic.Grocery().days)
    return tune(past), future


@pytest.fixture(scope="module")
def trending() -> tuple[Tuning, Holdout]:
    past, future = split(synthetic.trending(seed=1), synthetic.Trending().days)
    return tune(past), future


@pytest.fixture(scope="module")
def wholesaler() -> tuple[Tuning, Holdout]:
    past, future = split(synthetic.gift_wholesaler(seed=1), synthetic.GiftWholesaler().days)
    return tune(past), future


def test_a_grocery_gets_heavy_repeats_and_what_sells_now(grocery: tuple[Tuning, Holdout]) -> None:
    tuning, _ = grocery
    chosen = tuning.settings
    assert chosen.personal.repeat_weight >= DEFAULTS.personal.repeat_weight
    # What customers try next is what sells now: popularity of the last weeks, similar
    # customers' purchases that age within a month.
    assert chosen.popularity.window_days <= 30
    assert 0 < chosen.build.customer.half_life_days <= 30


def test_a_fashion_shop_gets_the_bestsellers_of_the_last_weeks(
    trending: tuple[Tuning, Holdout], wholesaler: tuple[Tuning, Holdout]
) -> None:
    # New products every day, each selling for a few weeks: what sold lately sells next,
    # and those bestsellers beat the data source's 90 days on the month after.
    tuning, future = trending
    assert 0 < tuning.settings.bestsellers.window_days <= 30
    assert 0 < tuning.settings.build.customer.half_life_days <= 30
    assert future.score(BESTSELLERS, tuning.settings) > 2 * future.score(BESTSELLERS, DEFAULTS)
    # The wholesaler's sales do not move: its bestsellers keep a long window.
    assert wholesaler[0].settings.bestsellers.window_days in (0, 60)


def test_a_wholesaler_gets_light_repeats_and_lasting_tastes(
    wholesaler: tuple[Tuning, Holdout],
) -> None:
    tuning, _ = wholesaler
    chosen = tuning.settings
    assert chosen.personal.repeat_weight < DEFAULTS.personal.repeat_weight
    # A customer's themes never change: what similar customers bought long ago counts.
    assert chosen.build.customer.half_life_days == 0
    assert chosen.also_bought.customer_weight > 0


@pytest.mark.parametrize("regime", ["grocery", "wholesaler"])
def test_tuned_lists_beat_the_defaults_on_the_next_month(
    regime: str, request: pytest.FixtureRequest
) -> None:
    tuning, future = request.getfixturevalue(regime)
    tuned = {name: future.score(name, tuning.settings) for name in LISTS}
    untuned = {name: future.score(name, DEFAULTS) for name in LISTS}
    # The lists of the regime the shop was built with (repeats; new items) gain, ...
    assert tuned[PERSONAL] > untuned[PERSONAL], (tuned, untuned)
    assert tuned[PERSONAL_NEW] > untuned[PERSONAL_NEW], (tuned, untuned)
    # ... and none does worse by more than the noise of a month's cases: what one list's
    # tuning changes in a learned part (customers' neighbours) the others use too.
    for name in LISTS:
        difference = future.case_scores(name, tuning.settings) - future.case_scores(name, DEFAULTS)
        error = float(difference.std(ddof=1)) / math.sqrt(difference.size)
        assert difference.mean() > -2 * error, (name, tuned, untuned)
    # The holdout said so before: every tuned list at least matched the defaults there.
    assert all(row.chosen >= row.default for row in tuning.lists)


def test_the_same_orders_give_the_same_choice(grocery: tuple[Tuning, Holdout]) -> None:
    tuning, _ = grocery
    past, _ = split(synthetic.grocery(seed=1), synthetic.Grocery().days)
    again = tune(past)
    assert again.settings == tuning.settings
    assert again.lists == tuning.lists


def test_a_new_shop_keeps_the_defaults_and_says_why() -> None:
    tuning = tune(shop.history())
    assert tuning.settings == DEFAULTS
    assert tuning.holdout_from is None
    assert tuning.lines()[0].startswith("not tuned: the orders from ")
    assert "too few returning customers" in tuning.note
    assert tune(synthetic.until(shop.history(), shop.NOW - timedelta(days=300))).note


def test_the_summary_names_what_changed_and_the_scores(grocery: tuple[Tuning, Holdout]) -> None:
    tuning, _ = grocery
    summary = tuning.summary()
    assert summary["tuned"] is True
    assert summary["settings"]["popularity.window_days"] == tuning.settings.popularity.window_days
    assert [row["name"] for row in summary["lists"]] == [
        PERSONAL_NEW,
        PERSONAL,
        ALSO_BOUGHT,
        BESTSELLERS,
    ]
    text = "\n".join(tuning.lines())
    assert f"popularity.window_days = {tuning.settings.popularity.window_days}" in text
    assert "(defaults " in text
