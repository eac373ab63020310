"""Health, figures, and an OpenAPI document that covers every route the app serves."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import event

from recoms.api import create_app
from recoms.api.schemas import ProductOut
from recoms.service import RecomsService
from recoms.storage.database import create_database, migrate
from tests.recoms.api.conftest import Client, MakeClient, settings


async def test_health_checks_the_database(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_health_says_unavailable_when_the_database_does_not_answer(
    tmp_path: Path, make_client: MakeClient
) -> None:
    # A database file the schema was never migrated into: every query fails.
    url = f"sqlite+aiosqlite:///{tmp_path / 'unmigrated.db'}"
    service = RecomsService(create_database(url), settings(url))
    try:
        client = await make_client(service)
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "unavailable"}
    finally:
        await service.close()


async def test_ready_once_migrated_with_the_model_in_memory(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready"}


async def test_not_ready_on_an_old_schema_and_the_reason_stays_in_the_log(
    database_url: str, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    database = create_database(database_url)
    await migrate(database, "0001")
    service = RecomsService(database, settings(database_url))
    try:
        client = await make_client(service)
        with caplog.at_level(logging.INFO, logger="recoms.httpkit"):
            response = await client.get("/readyz")
        assert response.status == 503
        assert await response.json() == {"status": "not ready"}
        assert "newest migration" in caplog.text
    finally:
        await service.close()


async def test_not_ready_when_the_database_is_out_of_reach(
    tmp_path: Path, make_client: MakeClient
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'recoms.db'}"
    database = create_database(url)
    await migrate(database)

    def refuse(*_args: object) -> None:
        raise OSError("database host unreachable")

    await database.engine.dispose()
    event.listen(database.engine.sync_engine, "do_connect", refuse)
    service = RecomsService(database, settings(url))
    try:
        client = await make_client(service)
        response = await client.get("/readyz")
        assert response.status == 503
        assert "unreachable" not in await response.text()
    finally:
        await service.close()


async def test_a_database_out_of_reach_is_a_503_with_a_json_message(
    tmp_path: Path, make_client: MakeClient
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'recoms.db'}"
    database = create_database(url)

    def refuse(*_args: object) -> None:
        raise OSError("database host unreachable")

    # Every connection fails, as when the database host is gone.
    event.listen(database.engine.sync_engine, "do_connect", refuse)
    service = RecomsService(database, settings(url))
    try:
        client = await make_client(service)
        response = await client.get("/api/v2/contacts/recoms/2", params={"webId": "w-1"})
        assert response.status == 503
        body = await response.json()
        assert body["error"] == "unavailable"
        assert "database cannot be reached" in body["message"]
    finally:
        await service.close()


async def test_stats_count_the_shop(client: Client) -> None:
    response = await client.get("/api/v1/stats")
    assert response.status == 200
    stats = await response.json()
    assert (stats["products"], stats["productsInStock"]) == (9, 8)
    assert (stats["contacts"], stats["orders"], stats["telegramLinked"]) == (2, 21, 0)
    assert stats["modelBuiltAt"] is not None
    # Two customers are too few to hold their latest orders out: the defaults, and why.
    tuning = stats["modelTuning"]
    assert (tuning["tuned"], tuning["settings"], tuning["lists"]) == (False, {}, [])
    assert "too few returning customers" in tuning["note"]


def documented_operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def served_operations(app: web.Application) -> set[tuple[str, str]]:
    served = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue  # added by aiohttp for every GET
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        assert isinstance(path, str)
        served.add((route.method, path))
    return served


async def test_openapi_documents_every_route_and_nothing_else(
    client: Client, bare_service: RecomsService
) -> None:
    response = await client.get("/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"].startswith("3.1")
    app = create_app(bare_service, settings())
    served = served_operations(app)
    assert len(served) >= 17
    assert documented_operations(document) == served


async def test_openapi_references_resolve_and_name_auth(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    text = str(document)
    for name in set(__import__("re").findall(r"#/components/schemas/(\w+)", text)):
        assert name in schemas, name
    for scheme in ("adminKey", "publicKey"):
        assert document["components"]["securitySchemes"][scheme]["scheme"] == "basic"
    recoms = document["paths"]["/api/v2/contacts/recoms/{dataSourceId}"]["get"]
    names = {parameter["name"] for parameter in recoms["parameters"]}
    assert {"contactId", "email", "phone", "externalCustomerId", "webId", "products"} <= names
    assert set(recoms["responses"]) >= {"200", "400", "401", "403", "404"}
    assert set(schemas["ProductOut"]["required"]) >= set(ProductOut.model_fields)
