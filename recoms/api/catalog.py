"""Products: lookup, search and feed import."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from recoms.api.keys import FEED_LIMIT, SERVICE
from recoms.api.params import body_model, query_model
from recoms.api.schemas import FeedImportRequest, ImportReportOut, ProductsQuery, dump
from recoms.domain import MAX_ID_LENGTH, ProductId
from recoms.errors import InvalidRequest
from recoms.presenters import product_to_api_dict

routes = web.RouteTableDef()

XML_TYPES = frozenset(
    {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml"}
)
CHUNK = 256 * 1024


@routes.get("/api/v1/products")
async def get_products(request: web.Request) -> web.Response:
    query = query_model(ProductsQuery, request.query, arrays=("ids",))
    service = request.app[SERVICE]
    if query.search:
        products = await service.search_products(query.search, limit=query.limit)
    else:
        products = await service.get_products([ProductId(item) for item in query.ids])
    return web.json_response([product_to_api_dict(product) for product in products])


@routes.get("/api/v1/products/{productId:.+}")
async def get_product(request: web.Request) -> web.Response:
    product_id = request.match_info["productId"]
    if len(product_id) > MAX_ID_LENGTH:
        raise InvalidRequest(f"productId is too long (at most {MAX_ID_LENGTH} characters)")
    product = await request.app[SERVICE].get_product(ProductId(product_id))
    return web.json_response(product_to_api_dict(product))


@routes.post("/api/v1/feed/import")
async def post_feed_import(request: web.Request) -> web.Response:
    """JSON ``{"url": ..., "full": true}`` fetches a feed; an XML body is the feed itself
    (``?full=false`` for a partial one), spooled to a temporary file so that it never sits in
    memory whole."""
    service = request.app[SERVICE]
    if request.content_type in XML_TYPES:
        full = _flag(request.query.get("full", "true"), "full")
        async with _spooled(request, request.app[FEED_LIMIT]) as path:
            report = await service.import_feed(path, full=full)
    else:
        body = await body_model(FeedImportRequest, request)
        report = await service.import_feed(body.url, full=body.full)
    return web.json_response(dump(ImportReportOut.from_domain(report)))


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise InvalidRequest(f"{name} must be true or false")


@contextlib.asynccontextmanager
async def _spooled(request: web.Request, limit: int) -> AsyncIterator[Path]:
    declared = request.content_length
    if declared is not None and declared > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=declared)
    descriptor, name = await asyncio.to_thread(tempfile.mkstemp, prefix="feed-", suffix=".xml")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            size = 0
            async for chunk in request.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
                await asyncio.to_thread(file.write, chunk)
        if size == 0:
            raise InvalidRequest("the request body is empty; an XML feed is expected")
        yield path
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
