"""POST /api/v1/feed/import: a feed from a URL or from the request body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from recoms.service import RecomsService, open_service
from tests.recoms.api.conftest import CATALOGUE, Client, MakeClient, feed_xml, settings

IMPORT = "/api/v1/feed/import"
XML = {"Content-Type": "application/xml"}


@pytest.fixture
async def feed_server() -> AsyncIterator[TestServer]:
    """A shop's web server on loopback, publishing its feed."""

    async def feed(request: web.Request) -> web.Response:
        return web.Response(text=feed_xml(), content_type="application/xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    server = TestServer(app)
    await server.start_server()
    yield server
    await server.close()


async def test_an_xml_body_imports_the_catalogue(empty_client: Client) -> None:
    response = await empty_client.post(IMPORT, data=feed_xml().encode(), headers=XML)
    assert response.status == 200, await response.text()
    report = await response.json()
    assert (report["read"], report["created"], report["rejected"]) == (len(CATALOGUE), 9, [])
    product = await (await empty_client.get("/api/v1/products/k-kettle")).json()
    assert (product["name"], product["price"]) == ("Kettle", 40.0)


async def test_a_full_feed_deactivates_what_it_no_longer_lists(client: Client) -> None:
    renamed = [("k-mug", "Big mug", *CATALOGUE[0][2:]), CATALOGUE[1]]
    partial = feed_xml(renamed)
    response = await client.post(
        IMPORT + "?full=false", data=partial, headers={"Content-Type": "text/xml"}
    )
    report = await response.json()
    assert (report["read"], report["updated"], report["deactivated"]) == (2, 1, 0)
    mug = await (await client.get("/api/v1/products/k-mug")).json()
    assert mug["name"] == "Big mug"
    lamp = await (await client.get("/api/v1/products/o-lamp")).json()
    assert lamp["isInStock"] == 1

    response = await client.post(IMPORT, data=partial, headers=XML)
    report = await response.json()
    assert report["deactivated"] == len(CATALOGUE) - 2
    lamp = await (await client.get("/api/v1/products/o-lamp")).json()
    assert lamp["isInStock"] == 0
    got = await (await client.get("/api/v2/contacts/recoms/2?webId=v")).json()
    assert {product["id"] for product in got} <= {"k-mug", "k-cup"}


async def test_a_broken_item_is_reported_with_its_line(empty_client: Client) -> None:
    broken = feed_xml().replace("<g:title>Cup</g:title>", "")
    response = await empty_client.post(IMPORT, data=broken, headers=XML)
    report = await response.json()
    assert report["created"] == len(CATALOGUE) - 1
    [rejected] = report["rejected"]
    assert rejected["line"] > 1
    assert "k-cup" in rejected["reason"]


async def test_hostile_xml_is_refused(empty_client: Client) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>&b;</g:id>'
        "</item></channel></rss>"
    )
    response = await empty_client.post(IMPORT, data=bomb, headers=XML)
    assert response.status == 400
    assert (await response.json())["message"]
    assert (await empty_client.get("/api/v1/stats")).status == 200
    assert (await (await empty_client.get("/api/v1/stats")).json())["products"] == 0


async def test_not_xml_at_all(empty_client: Client) -> None:
    response = await empty_client.post(IMPORT, data=b"\x00garbage", headers=XML)
    assert response.status == 400
    response = await empty_client.post(IMPORT, data=b"", headers=XML)
    assert response.status == 400
    assert "empty" in (await response.json())["message"]


async def test_a_feed_larger_than_the_limit_is_refused(
    bare_service: RecomsService, make_client: MakeClient
) -> None:
    client = await make_client(bare_service, max_feed_bytes=1000)
    response = await client.post(IMPORT, data=feed_xml(), headers=XML)
    assert response.status == 413
    body = await response.json()
    assert body["error"] == "too_large"
    assert "1000" in body["message"]

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit must hold while streaming too.
        for _ in range(10):
            yield b" " * 500

    response = await client.post(IMPORT, data=chunks(), headers=XML)
    assert response.status == 413


@pytest.fixture
async def shop_client(database_url: str, make_client: MakeClient) -> AsyncIterator[Client]:
    """The API over an empty shop whose feed server is on its own network (loopback)."""
    service = await open_service(settings(database_url, feed_allow_private=True))
    try:
        yield await make_client(service)
    finally:
        await service.close()


async def test_a_feed_url_is_fetched(shop_client: Client, feed_server: TestServer) -> None:
    url = str(feed_server.make_url("/feed.xml"))
    response = await shop_client.post(IMPORT, json={"url": url, "full": True})
    assert response.status == 200, await response.text()
    assert (await response.json())["created"] == len(CATALOGUE)


async def test_an_unreachable_feed_url_is_a_clear_error(
    shop_client: Client, feed_server: TestServer
) -> None:
    url = str(feed_server.make_url("/missing.xml"))
    response = await shop_client.post(IMPORT, json={"url": url})
    assert response.status == 400
    assert (await response.json())["message"] == "could not fetch the feed: HTTP 404"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"url": "file:///etc/passwd"}, "url: must be an http:// or https:// URL"),
        ({"url": "/etc/passwd"}, "url: must be an http:// or https:// URL"),
        ({}, "url: Field required"),
        ({"url": "https://x.example/f.xml", "full": "maybe"}, "full:"),
        ({"url": "https://x.example/f.xml", "extra": 1}, "extra:"),
    ],
)
async def test_bad_import_requests(empty_client: Client, body: object, expected: str) -> None:
    response = await empty_client.post(IMPORT, json=body)
    assert response.status == 400
    assert (await response.json())["message"].startswith(expected)
