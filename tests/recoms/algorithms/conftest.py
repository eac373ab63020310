"""Fixtures of the algorithm tests: the synthetic grocery's catalogue and model, built once."""

from __future__ import annotations

import pytest

from recoms.algorithms import CatalogView, Model
from tests.recoms.algorithms import shop


@pytest.fixture(scope="module")
def catalog() -> CatalogView:
    return shop.catalog()


@pytest.fixture(scope="module")
def model(catalog: CatalogView) -> Model:
    return shop.model(view=catalog)
