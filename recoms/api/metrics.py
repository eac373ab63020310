"""Prometheus metrics of the API at ``/metrics``: requests per route template and per list,
what the engine took in, and the model it serves. One registry per application."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from recoms.api.access import RECOMS, route_of
from recoms.httpkit import METRICS, metrics_response
from recoms.service import RecomsService

routes = web.RouteTableDef()

CLIENT_GONE = 499
"""The status counted for a request whose client went away before the answer (nginx's)."""
UNMATCHED = ("*", "unmatched")
"""The labels of a request that matched no route: what it asked for never becomes a label."""


class EngineCollector(Collector):
    """Read at each scrape from what the service holds in memory; nothing is queried."""

    def __init__(self, service: RecomsService) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        intake = self._service.intake
        events = CounterMetricFamily(
            "recoms_events", "Tracker events posted, by result", labels=["result"]
        )
        for result in ("accepted", "rejected"):
            events.add_metric([result], intake.events[result])
        yield events
        imports = CounterMetricFamily(
            "recoms_imports",
            "Imports run by this process (feed, order, event), by how they ended",
            labels=["kind", "result"],
        )
        for (kind, result), count in sorted(intake.imports.items()):
            imports.add_metric([kind, result], count)
        yield imports
        yield from self._model()

    def _model(self) -> Iterator[Metric]:
        figures = self._service.model_figures()
        if figures is None:
            return
        if figures.built_at is not None:
            age = (datetime.now(UTC) - figures.built_at).total_seconds()
            yield GaugeMetricFamily(
                "recoms_model_age_seconds", "Seconds since the served model was built", age
            )
        yield GaugeMetricFamily(
            "recoms_model_products", "Products the served model knows", figures.products
        )
        pairs = GaugeMetricFamily(
            "recoms_model_neighbour_pairs",
            "Neighbour pairs the served model keeps: basket (same order), customer (same buyer)",
            labels=["kind"],
        )
        pairs.add_metric(["basket"], figures.basket_pairs)
        pairs.add_metric(["customer"], figures.customer_pairs)
        yield pairs
        yield GaugeMetricFamily(
            "recoms_model_factors", "Dimensions of the served model's taste space", figures.factors
        )
        yield GaugeMetricFamily(
            "recoms_catalogue_products",
            "Active products in the catalogue served from memory",
            figures.catalogue_products,
        )


# Spellings of data source ids remembered ("7", "007"): a bound on what callers may send.
MAX_LIST_CHILDREN = 1_000


class ApiMetrics:
    """The API's registry and the request metrics its middleware records."""

    def __init__(self, service: RecomsService) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "recoms_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "recoms_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.lists = Histogram(
            "recoms_recommendation_duration_seconds",
            "Time to answer a recommendation list, by data source (lists answered 200 only)",
            ["data_source"],
            registry=self.registry,
        )
        self.registry.register(EngineCollector(service))
        # Each labelled child looked up once: ``labels()`` costs more than the observation.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._list_children: dict[str, Any] = {}

    def observe(self, request: web.Request, status: int, seconds: float) -> None:
        method, route = route_of(request) or UNMATCHED
        children = self._children.get((method, route, status))
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[method, route, status] = children
        children[0].inc()
        children[1].observe(seconds)
        if route == RECOMS and status == 200:
            # Only a data source that answered: its id is one the shop created, as a number
            # (``007`` is 7), so the labels stay as few as the data sources.
            raw = request.match_info["dataSourceId"]
            child = self._list_children.get(raw)
            if child is None:
                child = self.lists.labels(str(int(raw)))
                if len(self._list_children) < MAX_LIST_CHILDREN:
                    self._list_children[raw] = child
            child.observe(seconds)


API_METRICS = web.AppKey("api_metrics", ApiMetrics)


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Times every request to its answer; the outermost middleware, so it sees the status
    the client gets."""
    metrics = request.app.get(API_METRICS)
    if metrics is None:
        return await handler(request)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = CLIENT_GONE
        raise
    finally:
        metrics.observe(request, status, time.perf_counter() - started)


@routes.get("/metrics")
async def get_metrics(request: web.Request) -> web.Response:
    return metrics_response(request.app[METRICS])
