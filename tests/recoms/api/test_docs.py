"""/docs: Swagger UI over the document, from this server's own files only."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from recoms.api.queries import DocsAssetPath
from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, Client, MakeClient

LOCAL_ONLY = "default-src 'self'"


async def test_the_page_loads_swagger_ui_from_this_server_only(client: Client) -> None:
    response = await client.get("/docs")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert LOCAL_ONLY in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = await response.text()
    assert "<script>" not in page, "the policy allows no inline script"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/docs/swagger-ui-bundle.js" in assets
    assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets), assets

    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": None}
    for asset in assets:
        answer = await client.get(asset)
        assert answer.status == 200, asset
        expected = types[asset[asset.rindex(".") :]]
        if expected is not None:
            assert answer.content_type == expected, asset
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
    start = await (await client.get("/docs/start.js")).text()
    assert 'url: "/openapi.json"' in start
    bundle = await (await client.get("/docs/swagger-ui-bundle.js")).read()
    assert len(bundle) > 100_000


@pytest.mark.parametrize(
    "path",
    [
        "/docs/..%2F..%2Fpyproject.toml",
        "/docs/%2e%2e/%2e%2e/pyproject.toml",
        "/docs/../recoms/api/docs.py",
        "/docs/index.j2",
        "/docs/swagger-ui.js.map",
        "/docs/__init__.py",
        "/docs/%2Fetc%2Fpasswd",
    ],
)
async def test_no_other_file_is_served(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status in (400, 404), path
    assert response.content_type == "application/json"
    assert "[tool" not in await response.text()


async def test_every_name_the_route_accepts_is_a_file_it_has(client: Client) -> None:
    for name in get_args(DocsAssetPath.model_fields["asset"].annotation):
        assert (await client.get(f"/docs/{name}")).status == 200, name


async def test_the_docs_are_open_like_the_document(
    service: RecomsService, make_client: MakeClient
) -> None:
    client = await make_client(service, api_key=API_KEY)
    assert (await client.get("/openapi.json")).status == 200
    assert (await client.get("/docs")).status == 200
    assert (await client.get("/docs/swagger-ui.css")).status == 200
