"""The evaluation's customers and baskets asked of a running recommendation API over HTTP.

The engine behind the URL must hold the orders before the split and nothing after it
(``recoms import-orders ORDERS --before SPLIT``, then ``recoms rebuild``): its lists are then
scored exactly as :func:`recoms.evaluation.evaluate` scores the in-process ones, so that what
the shop's site gets from the API is measured, history reads and all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp

from recoms.domain import ProductId
from recoms.errors import RecomsError
from recoms.evaluation.data import OrderLog, load_orders, training_set
from recoms.evaluation.evaluate import (
    ALL_ITEMS,
    ALSO_BOUGHT,
    ALTERNATIVES,
    HIDDEN_ITEM,
    NEW_ITEMS,
    PERSONAL,
    PERSONAL_NEW,
    UPSELL,
    EvaluationReport,
    Row,
)
from recoms.evaluation.metrics import mean_scores
from recoms.evaluation.protocol import Customers, basket_cases, catalogue_index


class ApiError(RecomsError):
    """The API under evaluation could not be reached or refused a request."""


CUSTOMER_METHODS = (PERSONAL, PERSONAL_NEW)
BASKET_METHODS = (ALSO_BOUGHT, UPSELL, ALTERNATIVES)


async def evaluate_http(
    path: Path,
    *,
    split_date: date,
    base_url: str,
    sources: Mapping[str, int],
    columns: Mapping[str, str] | None = None,
    test_days: int = 30,
    k: int = 10,
    seed: int = 0,
    api_key: str | None = None,
    concurrency: int = 8,
    log: OrderLog | None = None,
) -> EvaluationReport:
    """Score the API's lists on the split :func:`~recoms.evaluation.evaluate` would use.

    ``sources`` maps method names (``"personal"``, ``"personal exclude_purchased"``,
    ``"also_bought"``, ``"you_may_also_like"``, ``"alternatives"``) to the data source ids
    that serve them; methods left out are not asked. Each data source's own limit should be
    ``k``. Customers are named by their external id; baskets are asked for by a web id that
    no one has (a visitor), as a site asks while the cart fills."""
    unknown = set(sources) - {*CUSTOMER_METHODS, *BASKET_METHODS}
    if unknown:
        raise ValueError(
            f"unknown methods {sorted(unknown)}; known: "
            + ", ".join((*CUSTOMER_METHODS, *BASKET_METHODS))
        )
    started = time.perf_counter()
    log = log if log is not None else load_orders(path, columns)
    split_at = datetime(split_date.year, split_date.month, split_date.day, tzinfo=UTC)
    split_ts = int(split_at.timestamp())
    end_ts = int((split_at + timedelta(days=test_days)).timestamp())
    train = log.select(log.timestamp < split_ts)
    test = log.select((log.timestamp >= split_ts) & (log.timestamp < end_ts))
    training = training_set(train)
    catalog = training.catalog
    to_catalog = catalogue_index(log, training)
    customers = Customers.of(train, test, to_catalog, len(catalog))
    cases = basket_cases(test, to_catalog, seed)
    ids = catalog.product_ids

    # HTTP Basic with the key as the password, as Yespo's API asks.
    headers = {"Authorization": aiohttp.encode_basic_auth("recoms", api_key)} if api_key else {}
    limit = asyncio.Semaphore(concurrency)
    url = base_url.rstrip("/") + "/api/v2/contacts/recoms/{}"
    rows: list[Row] = []
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:

        async def ask(source: int, params: list[tuple[str, str]]) -> list[ProductId]:
            try:
                async with limit, session.get(url.format(source), params=params) as response:
                    if response.status != 200:
                        raise ApiError(
                            f"the API answered {response.status} to {response.url}: "
                            f"{(await response.text())[:200]}"
                        )
                    body = await response.json()
            except (aiohttp.ClientError, TimeoutError) as error:
                raise ApiError(f"the API at {base_url} cannot be reached: {error}") from None
            return [ProductId(str(item["id"])) for item in body]

        for method in CUSTOMER_METHODS:
            if method not in sources:
                continue
            lists = await asyncio.gather(
                *(
                    ask(sources[method], [("externalCustomerId", train.customer_ids[customer])])
                    for customer in customers.ids.tolist()
                )
            )
            new = [{ids[i] for i in targets} for targets in customers.new_targets]
            if method != PERSONAL_NEW:
                everything = [{ids[i] for i in targets} for targets in customers.targets]
                rows.append(Row(f"{method} (HTTP)", ALL_ITEMS, mean_scores(lists, everything, k)))
            rows.append(Row(f"{method} (HTTP)", NEW_ITEMS, mean_scores(lists, new, k)))
        for method in BASKET_METHODS:
            if method not in sources:
                continue
            lists = await asyncio.gather(
                *(
                    ask(
                        sources[method],
                        [("webId", f"evaluation-basket-{number}")]
                        + [("products", ids[i]) for i in case.given],
                    )
                    for number, case in enumerate(cases)
                )
            )
            hidden = [{ids[case.hidden]} for case in cases]
            rows.append(Row(f"{method} (HTTP)", HIDDEN_ITEM, mean_scores(lists, hidden, k)))
    return EvaluationReport(
        path=path,
        split_date=split_date,
        test_days=test_days,
        k=k,
        train_lines=train.n_lines,
        test_lines=test.n_lines,
        products=len(catalog),
        customers=int(customers.ids.size),
        baskets=len(cases),
        rows=tuple(rows),
        build_seconds=0.0,
        seconds=time.perf_counter() - started,
        notes=(f"Lists asked of {base_url} over HTTP.",),
    )


def parse_sources(option: str) -> dict[str, int]:
    """``personal=1,also_bought=3`` (method names as in the report) as a mapping."""
    sources: dict[str, int] = {}
    for item in option.split(","):
        if not item.strip():
            continue
        name, _, number = item.partition("=")
        try:
            sources[name.strip()] = int(number)
        except ValueError:
            raise ValueError(f"bad data source {item.strip()!r}: expected NAME=ID") from None
    return sources
