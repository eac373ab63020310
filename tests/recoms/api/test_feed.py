"""POST /api/v1/feed/import: a feed from a URL or from the request body, imported in the
background and followed at the job's URL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from recoms.service import RecomsService, open_service
from tests.recoms.api.conftest import CATALOGUE, Client, MakeClient, feed_xml, settings

IMPORT = "/api/v1/feed/import"
XML = {"Content-Type": "application/xml"}


async def finished(client: Client, started: Any) -> dict[str, Any]:
    """The job an import answer started, once it is no longer running."""
    assert started.status == 202, await started.text()
    job = await started.json()
    assert started.headers["Location"] == job["url"] == f"{IMPORT}/{job['jobId']}"
    for _ in range(500):
        response = await client.get(job["url"])
        assert response.status == 200
        job = await response.json()
        if job["state"] != "running":
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"the import is still running: {job}")


async def imported(client: Client, **request: Any) -> dict[str, Any]:
    """The report of an import that must succeed."""
    job = await finished(client, await client.post(IMPORT, **request))
    assert job["state"] == "done", job
    report: dict[str, Any] = job["report"]
    return report


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
    report = await imported(empty_client, data=feed_xml().encode(), headers=XML)
    assert (report["read"], report["created"], report["rejected"]) == (len(CATALOGUE), 9, [])
    product = await (await empty_client.get("/api/v1/products/k-kettle")).json()
    assert (product["name"], product["price"]) == ("Kettle", 40.0)


async def test_a_full_feed_deactivates_what_it_no_longer_lists(client: Client) -> None:
    renamed = [("k-mug", "Big mug", *CATALOGUE[0][2:]), CATALOGUE[1]]
    partial = feed_xml(renamed)
    report = await imported(
        client, params={"full": "false"}, data=partial, headers={"Content-Type": "text/xml"}
    )
    assert (report["read"], report["updated"], report["deactivated"]) == (2, 1, 0)
    mug = await (await client.get("/api/v1/products/k-mug")).json()
    assert mug["name"] == "Big mug"
    lamp = await (await client.get("/api/v1/products/o-lamp")).json()
    assert lamp["isInStock"] == 1

    report = await imported(client, data=partial, headers=XML)
    assert report["deactivated"] == len(CATALOGUE) - 2
    lamp = await (await client.get("/api/v1/products/o-lamp")).json()
    assert lamp["isInStock"] == 0
    got = await (await client.get("/api/v2/contacts/recoms/2?webId=v")).json()
    assert {product["id"] for product in got} <= {"k-mug", "k-cup"}


async def test_a_broken_item_is_reported_with_its_line(empty_client: Client) -> None:
    broken = feed_xml().replace("<g:title>Cup</g:title>", "")
    report = await imported(empty_client, data=broken, headers=XML)
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
    job = await finished(empty_client, await empty_client.post(IMPORT, data=bomb, headers=XML))
    assert job["state"] == "failed"
    assert job["error"].startswith("feed refused: it declares the entity 'a'")
    assert job["report"] is None
    assert (await empty_client.get("/api/v1/stats")).status == 200
    assert (await (await empty_client.get("/api/v1/stats")).json())["products"] == 0


async def test_not_xml_at_all(empty_client: Client) -> None:
    job = await finished(
        empty_client, await empty_client.post(IMPORT, data=b"\x00garbage", headers=XML)
    )
    assert job["state"] == "failed"
    assert job["error"].startswith("malformed XML at line 1, column 1")
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
    started = await shop_client.post(IMPORT, json={"url": url + "?token=s3cret", "full": True})
    job = await finished(shop_client, started)
    assert job["report"]["created"] == len(CATALOGUE)
    assert job["source"] == url + "?…"
    assert job["receivedBytes"] == len(feed_xml().encode())
    assert job["itemsWritten"] == len(CATALOGUE)


async def test_an_unreachable_feed_url_is_a_clear_error(
    shop_client: Client, feed_server: TestServer
) -> None:
    url = str(feed_server.make_url("/missing.xml"))
    job = await finished(shop_client, await shop_client.post(IMPORT, json={"url": url}))
    assert (job["state"], job["error"]) == ("failed", "could not fetch the feed: HTTP 404")


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


@pytest.fixture
async def slow_feed() -> AsyncIterator[tuple[TestServer, asyncio.Event]]:
    """A shop's server that sends its feed a byte at a time until told to finish."""
    finish = asyncio.Event()

    async def feed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/xml"})
        await response.prepare(request)
        body = feed_xml().encode()
        for position in range(len(body)):
            if finish.is_set():
                await response.write(body[position:])
                break
            await response.write(body[position : position + 1])
            await asyncio.sleep(0.05)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    server = TestServer(app)
    await server.start_server()
    yield server, finish
    finish.set()
    await server.close()


async def test_a_slow_feed_holds_nothing_but_its_own_job(
    shop_client: Client, slow_feed: tuple[TestServer, asyncio.Event]
) -> None:
    server, finish = slow_feed
    url = str(server.make_url("/feed.xml"))
    started = await shop_client.post(IMPORT, json={"url": url})
    assert started.status == 202
    job = await started.json()
    assert job["state"] == "running"

    second = await shop_client.post(IMPORT, data=feed_xml(), headers=XML)
    assert second.status == 409
    assert (await second.json())["message"] == (
        "another feed import is running on this database; try again when it has finished"
    )
    # The shop goes on: events are stored and the health check answers, while bytes trickle.
    for n in range(10):
        event = {
            "GeneralInfo": {"eventName": "ProductPage", "externalCustomerId": f"c-{n}"},
            "ProductPage": {"Product": {"productKey": "k-mug"}},
        }
        assert (await shop_client.post("/api/v1/events", json=event)).status == 202
    assert (await shop_client.get("/healthz")).status == 200
    running = await (await shop_client.get(job["url"])).json()
    assert running["state"] == "running"
    assert 0 < running["receivedBytes"] < len(feed_xml().encode())
    stats = await (await shop_client.get("/api/v1/stats")).json()
    assert (stats["contacts"], stats["products"]) == (10, 0)

    finish.set()
    done = await finished(shop_client, started)
    assert done["report"]["created"] == len(CATALOGUE)
    again = await shop_client.post(IMPORT, data=feed_xml(), headers=XML)
    assert (await finished(shop_client, again))["report"]["read"] == len(CATALOGUE)


async def test_a_cut_description_is_reported(empty_client: Client) -> None:
    long = feed_xml([CATALOGUE[0]]).replace("A mug &amp; more.", "d" * 6000)
    report = await imported(empty_client, data=long, headers=XML)
    [cut] = report["trimmed"]
    assert cut["reason"] == "item 'k-mug': description cut to 5000 characters"
    product = await (await empty_client.get("/api/v1/products/k-mug")).json()
    assert product["descr"] == "d" * 5000


async def test_an_unknown_job_is_not_found(empty_client: Client) -> None:
    response = await empty_client.get(f"{IMPORT}/no-such-job")
    assert response.status == 404
    assert (await response.json())["message"] == "feed import 'no-such-job' not found"
