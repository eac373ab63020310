"""The API's lists, asked over HTTP, score as the same lists computed in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from recoms.api import create_app
from recoms.config import RecomsSettings
from recoms.domain import Algorithm, DataSourceParams
from recoms.evaluation import evaluate
from recoms.evaluation.evaluate import (
    ALL_ITEMS,
    ALSO_BOUGHT,
    HIDDEN_ITEM,
    NEW_ITEMS,
    PERSONAL,
    PERSONAL_NEW,
)
from recoms.evaluation.http import ApiError, evaluate_http, parse_sources
from recoms.service import open_service
from tests.recoms.evaluation.test_evaluate import SPLIT, write_orders


async def test_lists_over_http_score_as_in_process(database_url: str, tmp_path: Path) -> None:
    orders = write_orders(tmp_path / "orders.csv")
    settings = RecomsSettings(database_url=database_url, api_key="evaluation-key")
    service = await open_service(settings)
    try:
        await service.import_orders(orders, before=SPLIT)
        sources = {}
        for method, algorithm, exclude in (
            (PERSONAL, Algorithm.PERSONAL, False),
            (PERSONAL_NEW, Algorithm.PERSONAL, True),
            (ALSO_BOUGHT, Algorithm.ALSO_BOUGHT, False),
        ):
            source = await service.create_data_source(
                method, algorithm, DataSourceParams(limit=3, exclude_purchased=exclude)
            )
            sources[method] = int(source.id)
        await service.rebuild()
        server = TestServer(create_app(service, settings))
        await server.start_server()
        try:
            over_http = await evaluate_http(
                orders,
                split_date=SPLIT,
                base_url=str(server.make_url("/")),
                sources=sources,
                k=3,
                api_key="evaluation-key",
            )
        finally:
            await server.close()
    finally:
        await service.close()
    in_process = evaluate(orders, split_date=SPLIT, k=3, baselines=False)
    for method, targets in (
        (PERSONAL, ALL_ITEMS),
        (PERSONAL, NEW_ITEMS),
        (PERSONAL_NEW, NEW_ITEMS),
        (ALSO_BOUGHT, HIDDEN_ITEM),
    ):
        assert over_http.score(f"{method} (HTTP)", targets) == in_process.score(method, targets)
    assert over_http.score(f"{PERSONAL} (HTTP)", ALL_ITEMS).ndcg == pytest.approx(1.0)


async def test_an_api_that_refuses_is_reported(database_url: str, tmp_path: Path) -> None:
    orders = write_orders(tmp_path / "orders.csv")
    settings = RecomsSettings(database_url=database_url, api_key="evaluation-key")
    service = await open_service(settings)
    try:
        server = TestServer(create_app(service, settings))
        await server.start_server()
        try:
            with pytest.raises(ApiError, match="answered 401"):
                await evaluate_http(
                    orders,
                    split_date=SPLIT,
                    base_url=str(server.make_url("/")),
                    sources={PERSONAL: 1},
                    api_key="wrong",
                )
        finally:
            await server.close()
    finally:
        await service.close()


def test_sources_option() -> None:
    assert parse_sources("personal=1, also_bought=3") == {"personal": 1, "also_bought": 3}
    with pytest.raises(ValueError, match="NAME=ID"):
        parse_sources("personal")
