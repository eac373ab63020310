"""The settings a model is built and ranked with: defaults that suit retail orders in general,
which a rebuild may replace with the ones that fit the shop's own orders best."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NeighbourParams:
    """How neighbours are learned.

    Each basket (for ``customer_neighbours``: each customer's set of products) of ``s``
    products shares one unit among its pairs: it adds ``1 / (s - 1) ** row_power`` to
    ``co(i, j)`` of every pair in it, so that a wholesale order of 300 products says less
    about any one pair than a basket of three. Similarity from ``i`` to ``j`` is then
    ``co(i, j) / (n(i) ** seed_power * n(j) ** neighbour_power)`` (``n``: the same weighted
    count of baskets holding the product), damped by ``co / (co + shrink)``. With
    ``seed_power`` 1 each product's neighbours read as "how likely is ``j`` in a basket with
    ``i``", so every product in a cart has an equal say; ``neighbour_power`` divides by the
    neighbour's own popularity, so that bestsellers, which are bought with everything, do
    not swamp every list; ``shrink`` distrusts pairs seen only a few times. Each product
    keeps its ``neighbours`` best. With ``half_life_days`` (0: off) the neighbour ``j`` of
    each pair counts ``0.5 ** (age / half_life_days)`` of its purchase in ``co(i, j)``, so
    that what sells with ``i`` lately (a season, a new range) outweighs what did years ago.
    """

    neighbours: int = 50
    row_power: float = 1.0
    seed_power: float = 1.0
    neighbour_power: float = 0.5
    shrink: float = 2.0
    half_life_days: float = 0.0


@dataclass(frozen=True)
class FactorParams:
    """Latent factors of customers' tastes, learned with implicit's alternating least squares
    on customer x product counts of distinct orders (confidence ``alpha * orders``).
    ``factors`` 0 turns them off. ``threads`` 0 uses every core; the result does not depend
    on it. ``iterations`` is the most sweeps: a shop so large that they would take more than
    the build's work budget gets fewer, five at least (``model._affordable_iterations``)."""

    factors: int = 64
    regularization: float = 0.05
    alpha: float = 1.0
    iterations: int = 15
    random_state: int = 42
    threads: int = 0


@dataclass(frozen=True)
class BuildParams:
    """Neighbour settings for products bought in one order and by one customer, and the
    factor model's."""

    basket: NeighbourParams = NeighbourParams()
    # What customers with similar purchases bought lately says most about what they buy next
    # (a range or a season comes and goes); a tuned rebuild may turn the ageing off.
    customer: NeighbourParams = NeighbourParams(half_life_days=30.0)
    factors: FactorParams = FactorParams()


@dataclass(frozen=True)
class PersonalParams:
    """How the signals of a personal list mix.

    Each purchase of a product counts ``0.5 ** (age / half_life_days)``, so what a customer
    buys again and again, and lately, comes first; times ``repeat_rate ** repeat_rate_power``
    so that what customers in general buy again (consumables) outranks what they buy once.
    The collaborative score of new products adds item-kNN over ``customer_neighbours`` (and
    ``basket_neighbours`` at ``basket_weight``), seeded by those purchase scores, the cart
    (``cart_weight`` each) and views and wishlist (``view_weight``, the latest view most), to
    the ALS taste scores at ``factor_weight``; each part is scaled so that its best is 1, and
    the repeat part so that its best is ``repeat_weight``. ``popularity_weight`` adds the
    shop's popularity prior (see ``PopularityParams``) to new products: how strongly a list
    leans on what everyone buys where the customer's own evidence says little.
    """

    half_life_days: float = 180.0
    repeat_weight: float = 2.0
    repeat_rate_power: float = 0.5
    basket_weight: float = 0.5
    factor_weight: float = 1.0
    cart_weight: float = 1.0
    view_weight: float = 0.5
    popularity_weight: float = 0.0


@dataclass(frozen=True)
class AlsoBoughtParams:
    """``customer_weight``: how much "bought by the same customers" adds to "bought in the same
    order" (it knows more pairs, but they are looser); ``factor_weight``: how much the factor
    model's taste of the whole basket adds (scaled so that its best is that, the
    neighbours' best 1). Each neighbour's similarity counts to the power
    ``similarity_power``: above 1 one product that nearly always comes with a cart item
    outranks several that come with many of them now and then."""

    customer_weight: float = 0.1
    factor_weight: float = 0.0
    similarity_power: float = 1.0


@dataclass(frozen=True)
class PopularityParams:
    """The popularity every list but bestsellers leans on (a bestsellers list keeps its data
    source's own window): distinct orders in the last ``window_days``, all-time orders at
    ``all_time_weight``, and, at ``trend_weight``, the trending score (how far a product's
    recent daily orders run above its long-run rate), each part scaled so that its best is 1.
    A short window with trend follows what sells now (groceries, seasons); a long one, or a
    large ``all_time_weight``, what sells always."""

    window_days: int = 90
    all_time_weight: float = 0.1
    trend_weight: float = 0.0


@dataclass(frozen=True)
class BestsellersParams:
    """``window_days`` (0: none) bounds a bestsellers list's window further than its data
    source does: a shop whose sales follow what is new or in season sells next what sold in
    the last weeks, another what sold all quarter."""

    window_days: int = 0


@dataclass(frozen=True)
class Settings:
    """Everything a model is built and ranked with. ``personal_new`` ranks personal lists
    with ``exclude_purchased`` (only new products count there, so they fit apart)."""

    build: BuildParams = BuildParams()
    personal: PersonalParams = PersonalParams()
    # New products: similar customers' recent purchases tell more than the same baskets.
    personal_new: PersonalParams = PersonalParams(basket_weight=0.0)
    also_bought: AlsoBoughtParams = AlsoBoughtParams()
    popularity: PopularityParams = PopularityParams()
    bestsellers: BestsellersParams = BestsellersParams()

    def to_json(self) -> str:
        """The settings as a JSON object, nested as the dataclasses are."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Read what ``to_json`` wrote; fields it lacks keep their defaults (older models).
        Raises ``ValueError`` for anything else."""
        try:
            settings: Settings = _from_dict(cls, json.loads(text))
            return settings
        except (TypeError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"not model settings: {error}") from error


DEFAULTS = Settings()
"""The built-in settings: what an untuned rebuild uses."""


def _from_dict(cls: type[Any], data: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__} must be an object")
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name not in data:
            continue
        default = getattr(cls(), field.name)
        value = data[field.name]
        if dataclasses.is_dataclass(default):
            values[field.name] = _from_dict(type(default), value)
        elif isinstance(default, bool) or not isinstance(value, int | float):
            raise TypeError(f"{cls.__name__}.{field.name} must be a number")
        else:
            values[field.name] = type(default)(value)
    return cls(**values)


def differences(chosen: Settings, base: Settings = DEFAULTS) -> dict[str, float]:
    """The settings of ``chosen`` that differ from ``base``, by dotted name
    (``"personal.half_life_days"``), in field order."""
    found: dict[str, float] = {}

    def walk(prefix: str, left: Any, right: Any) -> None:
        for field in dataclasses.fields(left):
            a, b = getattr(left, field.name), getattr(right, field.name)
            name = f"{prefix}{field.name}"
            if dataclasses.is_dataclass(a):
                walk(name + ".", a, b)
            elif a != b:
                found[name] = a

    walk("", chosen, base)
    return found
