"""Products: lookup, search and feed import."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from aiohttp import web

from recoms.api.keys import FEED_LIMIT, SERVICE
from recoms.api.params import body_model, path_params, query_params
from recoms.api.queries import (
    FeedImportQuery,
    FeedJobPath,
    ProductPath,
    ProductsQuery,
    SearchQuery,
)
from recoms.api.schemas import FeedImportRequest, FeedJobOut, dump
from recoms.domain import ProductId
from recoms.errors import InvalidRequest
from recoms.presenters import product_to_api_dict

routes = web.RouteTableDef()

XML_TYPES = frozenset(
    {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml"}
)
CHUNK = 256 * 1024


@routes.get("/api/v1/products")
async def get_products(request: web.Request) -> web.Response:
    query = query_params(ProductsQuery, request)
    service = request.app[SERVICE]
    if query.search:
        products = await service.search_products(query.search, limit=query.limit)
    else:
        products = await service.get_products([ProductId(item) for item in query.ids])
    return web.json_response([product_to_api_dict(product) for product in products])


# Before the product route below, which would take "search" for a product id.
@routes.get("/api/v1/products/search")
async def get_product_search(request: web.Request) -> web.Response:
    """Products matching ``q``, best first, raised by the named customer's personal list."""
    query = query_params(SearchQuery, request)
    products = await request.app[SERVICE].search_products(
        query.q, limit=query.limit, offset=query.offset, identity=query.to_identity()
    )
    return web.json_response([product_to_api_dict(product) for product in products])


@routes.get("/api/v1/products/{productId:.+}")
async def get_product(request: web.Request) -> web.Response:
    product_id = path_params(ProductPath, request).product_id
    product = await request.app[SERVICE].get_product(ProductId(product_id))
    return web.json_response(product_to_api_dict(product))


FEED_IMPORT = "/api/v1/feed/import"


@routes.post(FEED_IMPORT)
async def post_feed_import(request: web.Request) -> web.Response:
    """JSON ``{"url": ..., "full": true}`` fetches a feed; an XML body is the feed itself
    (``?full=false`` for a partial one), spooled to a temporary file so that it never sits in
    memory whole. Either way the import runs in the background: ``202`` with the job's URL
    in ``Location``; ``409`` while another feed import runs."""
    service = request.app[SERVICE]
    query = query_params(FeedImportQuery, request)
    if request.content_type in XML_TYPES:
        path = await _spool(request, request.app[FEED_LIMIT])
        job = await service.start_feed_import(path, full=query.full, remove_after=True)
    else:
        body = await body_model(FeedImportRequest, request)
        job = await service.start_feed_import(body.url, full=body.full)
    location = f"{FEED_IMPORT}/{job.id}"
    return web.json_response(
        dump(FeedJobOut.from_domain(job, location)), status=202, headers={"Location": location}
    )


@routes.get(FEED_IMPORT + "/{jobId}")
async def get_feed_import(request: web.Request) -> web.Response:
    """How far a feed import has got; its report once done, its error once failed."""
    job_id = path_params(FeedJobPath, request).job_id
    job = request.app[SERVICE].feed_job(job_id)
    return web.json_response(dump(FeedJobOut.from_domain(job, f"{FEED_IMPORT}/{job.id}")))


async def _spool(request: web.Request, limit: int) -> Path:
    """The request body in a temporary file that the caller removes (the import job does)."""
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
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return path
