"""GET /metrics: Prometheus text a scraper reads, labelled by route templates, never by values."""

from __future__ import annotations

from aiohttp import encode_basic_auth
from prometheus_client.parser import text_string_to_metric_families

from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, ORDERS, Client, MakeClient, ids
from tests.recoms.api.test_events import event

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PHONE = "+380501110001"


async def scrape(client: Client, **headers: str) -> tuple[str, Samples]:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain"
    text = await response.text()
    return text, samples_of(text)


def samples_of(text: str) -> Samples:
    """Every sample of Prometheus text, by name and labels, as a scraper reads them."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_a_list_request_counts_under_its_route_template_and_data_source(
    client: Client,
) -> None:
    assert await ids(await client.get(f"/api/v2/contacts/recoms/2?phone={PHONE}"))
    assert await ids(await client.get("/api/v2/contacts/recoms/002?webId=visitor-1"))
    assert (await client.get("/api/v2/contacts/recoms/2")).status == 400

    text, samples = await scrape(client)
    route = {"method": "GET", "route": "/api/v2/contacts/recoms/{dataSourceId}"}
    assert value(samples, "recoms_http_requests_total", **route, status="200") == 2
    assert value(samples, "recoms_http_requests_total", **route, status="400") == 1
    assert value(samples, "recoms_http_request_duration_seconds_count", **route) == 3
    assert value(samples, "recoms_recommendation_duration_seconds_count", data_source="2") == 2
    assert "380501110001" not in text
    assert "visitor-1" not in text
    assert 'data_source="002"' not in text


async def test_paths_that_match_no_route_share_one_label(client: Client) -> None:
    assert (await client.get(f"/api/v2/contacts/{PHONE}")).status == 404
    assert (await client.request("PURGE", "/api/v1/events")).status == 405

    text, samples = await scrape(client)
    unmatched = {"method": "*", "route": "unmatched"}
    assert value(samples, "recoms_http_requests_total", **unmatched, status="404") == 1
    assert value(samples, "recoms_http_requests_total", **unmatched, status="405") == 1
    assert "380501110001" not in text
    assert "PURGE" not in text


async def test_tracker_events_count_as_accepted_or_rejected(client: Client) -> None:
    view = event("ProductPage", {"Product": {"productKey": "k-mug"}}, externalCustomerId="x-1")
    assert (await client.post("/api/v1/events", json=view)).status == 202
    response = await client.post("/api/v1/events", json=[view, {"GeneralInfo": {}}])
    assert response.status == 202
    assert (await client.post("/api/v1/events", json={"GeneralInfo": {}})).status == 400

    _, samples = await scrape(client)
    assert value(samples, "recoms_events_total", result="accepted") == 2
    assert value(samples, "recoms_events_total", result="rejected") == 2
    route = {"method": "POST", "route": "/api/v1/events"}
    assert value(samples, "recoms_http_requests_total", **route, status="202") == 2


async def test_an_event_the_public_key_may_not_send_counts_as_rejected(
    service: RecomsService, make_client: MakeClient
) -> None:
    client = await make_client(service, api_key=API_KEY, public_key="page-key")
    public = {"Authorization": encode_basic_auth("", "page-key")}
    naming = event("ProductPage", {"Product": {"productKey": "k-mug"}}, user_email="a@b.example")
    assert (await client.post("/api/v1/events", json=naming, headers=public)).status == 403

    _, samples = await scrape(client, Authorization=encode_basic_auth("shop", API_KEY))
    assert value(samples, "recoms_events_total", result="rejected") == 1
    assert value(samples, "recoms_events_total", result="accepted") == 0


async def test_imports_are_counted_by_kind_and_result(client: Client) -> None:
    """The shop fixture imported its feed and its orders, once each."""
    _, samples = await scrape(client)
    assert value(samples, "recoms_imports_total", kind="feed", result="done") == 1
    assert value(samples, "recoms_imports_total", kind="order", result="done") == 1
    assert value(samples, "recoms_imports_total", kind="feed", result="failed") is None


async def test_model_age_and_size_appear_after_a_rebuild(
    bare_service: RecomsService, make_client: MakeClient
) -> None:
    client = await make_client(bare_service)
    _, before = await scrape(client)
    assert not any(name.startswith("recoms_model_") for name, _ in before)

    empty = await bare_service.rebuild()
    _, after = await scrape(client)
    age = value(after, "recoms_model_age_seconds")
    assert age is not None
    assert 0 <= age < 60
    assert value(after, "recoms_model_products") == empty.products == 0
    assert value(after, "recoms_model_neighbour_pairs", kind="basket") == 0


async def test_a_shops_model_shows_its_size(client: Client) -> None:
    _, samples = await scrape(client)
    ordered = {product for _, _, products in ORDERS.values() for product in products}
    assert value(samples, "recoms_model_products") == len(ordered)
    basket = value(samples, "recoms_model_neighbour_pairs", kind="basket")
    assert basket is not None
    assert basket > 0
    assert value(samples, "recoms_catalogue_products") == 9


async def test_metrics_need_the_admin_key(service: RecomsService, make_client: MakeClient) -> None:
    client = await make_client(service, api_key=API_KEY, public_key="page-key")
    assert (await client.get("/metrics")).status == 401
    public = {"Authorization": encode_basic_auth("shop", "page-key")}
    assert (await client.get("/metrics", headers=public)).status == 403
    await scrape(client, Authorization=encode_basic_auth("shop", API_KEY))


async def test_two_apps_in_one_process_count_apart(
    service: RecomsService, make_client: MakeClient
) -> None:
    first, second = await make_client(service), await make_client(service)
    assert (await first.get("/healthz")).status == 200
    _, samples = await scrape(second)
    health = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(samples, "recoms_http_requests_total", **health) is None
